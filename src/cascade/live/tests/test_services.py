"""The live room's rules: who may join, questions and votes, polls and their results,
reactions, spoken turns, participation figures and the anonymity of anonymous questions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.errors import ApplicationError
from cascade.live import rules, selectors, services
from cascade.live.models import Contribution, PollResponse, QuestionVote, RoomQuestion
from cascade.live.participation import contributed_share, gini, quiet_pick
from cascade.live.tests.factories import during, running_room

pytestmark = pytest.mark.django_db


def test_who_may_join_and_host(program_manager):
    run = running_room(program_manager)
    assert rules.can_join(run.learners[0], run.session)
    assert rules.can_join(run.trainer, run.session)
    assert rules.can_host(run.trainer, run.session)
    assert not rules.can_host(run.learners[0], run.session)
    assert not rules.can_join(run.outsider, run.session)


def test_room_is_open_only_around_the_session(program_manager):
    run = running_room(program_manager)
    assert run.session.starts_at is not None
    assert run.session.ends_at is not None
    assert rules.room_is_open(run.room, now=run.session.starts_at - timedelta(minutes=29))
    assert not rules.room_is_open(run.room, now=run.session.starts_at - timedelta(minutes=31))
    assert rules.room_is_open(run.room, now=run.session.ends_at + timedelta(minutes=29))
    assert not rules.room_is_open(run.room, now=run.session.ends_at + timedelta(minutes=31))


def test_closed_room_refuses_posts_and_keeps_what_was_said(program_manager):
    run = running_room(program_manager)
    with during(run):
        services.question_ask(room=run.room, person=run.learners[0], text="Why?", anonymous=False)
        services.room_close(room=run.room, actor=run.trainer)
        with pytest.raises(ApplicationError) as exc:
            services.question_ask(
                room=run.room, person=run.learners[1], text="And?", anonymous=False
            )
    assert exc.value.code == "room_closed"
    assert RoomQuestion.objects.filter(room=run.room).count() == 1


def test_one_vote_per_person_and_not_for_your_own(program_manager):
    run = running_room(program_manager)
    a, b, c = run.learners
    with during(run):
        q = services.question_ask(
            room=run.room, person=a, text="How long to wait?", anonymous=False
        )
        assert services.question_vote(question=q, person=b) is True
        assert services.question_vote(question=q, person=b) is False  # second click
        assert services.question_vote(question=q, person=c) is True
        with pytest.raises(ApplicationError) as exc:
            services.question_vote(question=q, person=a)
        assert exc.value.code == "own_question"
        assert services.question_vote(question=q, person=c, up=False) is True
    q.refresh_from_db()
    assert q.vote_count == 1
    assert QuestionVote.objects.filter(question=q).count() == 1


def test_anonymous_questions_stay_anonymous_to_learners_but_not_hosts(program_manager):
    run = running_room(program_manager, names=["Amara Okafor", "Bruno Costa"])
    with during(run):
        services.question_ask(
            room=run.room, person=run.learners[0], text="Is it OK to ask twice?", anonymous=True
        )
        learner_view = selectors.snapshot(run.room, run.learners[1], host=False)
        host_view = selectors.snapshot(run.room, run.trainer, host=True)
    assert "Amara" not in json.dumps(learner_view)
    assert learner_view["questions"][0]["author"] is None
    assert learner_view["questions"][0]["author_id"] is None
    assert host_view["questions"][0]["author"] == "Amara Okafor"


def test_hidden_questions_leave_the_learners_view(program_manager):
    run = running_room(program_manager)
    with during(run):
        q = services.question_ask(
            room=run.room, person=run.learners[0], text="spam", anonymous=False
        )
        services.question_moderate(question=q, actor=run.trainer, action="hide")
        assert selectors.questions_slice(run.room, host=False) == []
        assert selectors.questions_slice(run.room, host=True)[0]["status"] == "hidden"


def test_question_text_is_checked(program_manager):
    run = running_room(program_manager)
    with during(run):
        for text, code in [("   ", "empty"), ("x" * 501, "too_long")]:
            with pytest.raises(ApplicationError) as exc:
                services.question_ask(
                    room=run.room, person=run.learners[0], text=text, anonymous=False
                )
            assert exc.value.code == code
    assert not RoomQuestion.objects.exists()


def test_asking_is_rate_limited(program_manager):
    run = running_room(program_manager)
    with during(run):
        for i in range(services.QUESTIONS_PER_MINUTE):
            services.question_ask(
                room=run.room, person=run.learners[0], text=f"Q{i}", anonymous=False
            )
        with pytest.raises(ApplicationError) as exc:
            services.question_ask(
                room=run.room, person=run.learners[0], text="one more", anonymous=False
            )
    assert exc.value.code == "rate_limited"
    assert exc.value.status == 429


def test_single_choice_poll_results_hidden_until_revealed(program_manager):
    run = running_room(program_manager)
    a, b, c = run.learners
    with during(run):
        poll = services.poll_create(
            room=run.room,
            actor=run.trainer,
            kind="single",
            prompt="Best wait time?",
            options=["1 s", "3–5 s", "10 s"],
        )
        services.poll_launch(poll=poll, actor=run.trainer)
        run.room.refresh_from_db()
        for person, choice in [(a, 1), (b, 1), (c, 0)]:
            services.poll_respond(poll=poll, person=person, value=choice)
        services.poll_respond(poll=poll, person=c, value=1)  # changed their mind
        learner = selectors.poll_slice(run.room, host=False)
        host = selectors.poll_slice(run.room, host=True)
        assert learner is not None
        assert host is not None
        assert "results" not in learner
        assert learner["responses"] == 3
        assert host["results"]["counts"] == [0, 3, 0]
        services.poll_close(poll=poll, actor=run.trainer, reveal=True)
        revealed = selectors.poll_slice(run.room, host=False)
    assert revealed is not None
    assert revealed["results"]["counts"] == [0, 3, 0]
    assert PollResponse.objects.filter(poll=poll).count() == 3
    assert Contribution.objects.filter(room=run.room, kind="poll").count() == 3


@pytest.mark.parametrize(
    ("kind", "options", "good", "bad"),
    [
        ("multiple", ["A", "B", "C"], [2, 0, 2], [3]),
        ("rating", [], 4, 6),
        ("word_cloud", [], "Wait Time", "far too many words here"),
        ("open_text", [], "Pause after asking", ""),
    ],
)
def test_answers_are_checked_per_kind(program_manager, kind, options, good, bad):
    run = running_room(program_manager)
    with during(run):
        poll = services.poll_create(
            room=run.room, actor=run.trainer, kind=kind, prompt="?", options=options
        )
        services.poll_launch(poll=poll, actor=run.trainer)
        stored = services.poll_respond(poll=poll, person=run.learners[0], value=good)
        with pytest.raises(ApplicationError):
            services.poll_respond(poll=poll, person=run.learners[1], value=bad)
    expected = {
        "multiple": [0, 2],
        "rating": 4,
        "word_cloud": "wait time",
        "open_text": "Pause after asking",
    }
    assert stored.value == expected[kind]


def test_confidence_before_and_after(program_manager):
    run = running_room(program_manager)
    a, b, _c = run.learners
    with during(run):
        before = services.poll_create(
            room=run.room, actor=run.trainer, kind="confidence", prompt="How sure?"
        )
        services.poll_launch(poll=before, actor=run.trainer)
        services.poll_respond(poll=before, person=a, value=2)
        services.poll_respond(poll=before, person=b, value=3)
        after = services.poll_create(
            room=run.room,
            actor=run.trainer,
            kind="confidence",
            prompt="How sure now?",
            before=before,
        )
        services.poll_launch(poll=after, actor=run.trainer)
        run.room.refresh_from_db()
        services.poll_respond(poll=after, person=a, value=4)
        services.poll_respond(poll=after, person=b, value=5)
        results = selectors.poll_slice(run.room, host=True)
    assert results is not None
    assert results["results"]["before"]["mean"] == 2.5
    assert results["results"]["mean"] == 4.5


def test_poll_options_are_checked(program_manager):
    run = running_room(program_manager)
    for options in (["only one"], ["Same", "same"]):
        with pytest.raises(ApplicationError):
            services.poll_create(
                room=run.room, actor=run.trainer, kind="single", prompt="?", options=options
            )


def test_reactions_are_counts_only_and_throttled(program_manager):
    run = running_room(program_manager)
    with during(run):
        assert services.reaction_send(room=run.room, person=run.learners[0], kind="too_fast")
        assert not services.reaction_send(room=run.room, person=run.learners[0], kind="too_fast")
        services.reaction_send(room=run.room, person=run.learners[1], kind="too_fast")
        services.reaction_send(room=run.room, person=run.learners[1], kind="got_it")
        pace = selectors.pace_slice(run.room)
    assert pace == {"too_fast": 2, "lost": 0, "got_it": 1}


def test_participation_panel(program_manager):
    run = running_room(program_manager, names=["Amara", "Bruno", "Chen", "Dana"])
    a, b, c, _d = run.learners
    with during(run):
        for person in run.learners:
            services.presence_touch(room=run.room, person=person)
        services.question_ask(room=run.room, person=a, text="Why?", anonymous=True)
        services.spoken_turn_log(room=run.room, person=a, actor=run.trainer)
        services.spoken_turn_log(room=run.room, person=b, actor=run.trainer)
        with pytest.raises(ApplicationError):
            services.spoken_turn_log(room=run.room, person=run.outsider, actor=run.trainer)
        panel = selectors.participation_slice(run.room)
    totals = {row["name"]: row["total"] for row in panel["people"]}
    assert totals == {"Amara": 2, "Bruno": 1, "Chen": 0, "Dana": 0}
    assert panel["contributed"] == 2
    assert panel["share"] == 0.5
    assert panel["gini"] == round(gini([2, 1, 0, 0]), 3)
    assert panel["people"][0]["total"] == 0  # the quiet first
    assert panel["suggest"] is not None
    assert c.pk in {row["id"] for row in panel["people"]}


def test_gini_matches_the_mean_absolute_difference_definition():
    values = [0, 0, 1, 2, 7]
    n, mean = len(values), sum(values) / len(values)
    by_definition = sum(abs(x - y) for x in values for y in values) / (2 * n * n * mean)
    assert gini(values) == pytest.approx(by_definition)
    assert gini([3, 3, 3]) == 0
    assert gini([]) == 0
    assert gini([0, 0]) == 0
    assert gini([0, 0, 0, 5]) == pytest.approx(0.75)


def test_quiet_pick_favours_the_quiet():
    import random

    rng = random.Random(4)
    picks = [quiet_pick({1: 0, 2: 5}, rng=rng) for _ in range(2000)]
    assert picks.count(1) > 0.9 * len(picks)  # weights 1 and 1/36
    assert quiet_pick({}) is None
    assert contributed_share({1: 0, 2: 3}) == 0.5


def test_snapshot_query_count_does_not_grow(program_manager):
    run = running_room(program_manager, learners=3)
    with during(run):
        services.question_ask(room=run.room, person=run.learners[0], text="One", anonymous=False)
        with CaptureQueriesContext(connection) as few:
            selectors.snapshot(run.room, run.trainer, host=True)
        for i, person in enumerate(run.learners[1:]):
            services.question_ask(room=run.room, person=person, text=f"More {i}", anonymous=False)
            services.spoken_turn_log(room=run.room, person=person, actor=run.trainer)
        with CaptureQueriesContext(connection) as many:
            selectors.snapshot(run.room, run.trainer, host=True)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_voting_at_once_count_once(program_manager):
    """Eight threads (tabs) vote for one question at the same moment as one person."""
    import threading

    from django.db import connections

    run = running_room(program_manager)
    with during(run):
        question = services.question_ask(
            room=run.room, person=run.learners[0], text="Twice?", anonymous=False
        )
        voter = run.learners[1]
        barrier = threading.Barrier(8)
        results: list[bool] = []

        def tab() -> None:
            try:
                barrier.wait()
                results.append(services.question_vote(question=question, person=voter))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=tab) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    question.refresh_from_db()
    assert results.count(True) == 1
    assert question.vote_count == 1
    assert QuestionVote.objects.filter(question=question).count() == 1
