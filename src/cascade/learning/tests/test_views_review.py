"""Reviewing through the pages: the queue and one submission (approve, return, reply,
attendance). Only the cohort's master trainers, program managers in scope, the person's mentor
and line manager may review; everyone else gets 404 and nothing changes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cascade.core.models import Notification
from cascade.learning.models import ProgressStatus, ReflectionEntry, StepProgress
from cascade.learning.services import cohorts as cohort_svc
from cascade.learning.services import progress as progress_svc
from cascade.learning.services import quizzes
from cascade.learning.tests.factories import (
    attempt_answers,
    build_path,
    build_program,
    enrol,
    open_cohort,
)

XSS = "<svg onload=alert(1)> < > & &lt; ' \\' 碁"


@pytest.fixture
def world(make_person):
    pm = make_person("program_manager", display_name="Pat Manager")
    master = make_person("master_trainer", display_name="Max Master")
    mentor = make_person("trainer", display_name="Mo Mentor")
    boss = make_person("manager", display_name="Bo Boss")
    candidate = make_person("trainer", display_name="Cam Candidate", manager=boss)
    other = make_person("trainer", display_name="Oli Other")
    other_master = make_person("master_trainer", display_name="Elsewhere Master")
    program, steps = build_program(pm)
    cohort = open_cohort(program, pm, masters=[master])
    enrolment = enrol(cohort, candidate, pm)
    other_enrolment = enrol(cohort, other, pm)
    cohort_svc.enrolment_set_mentor(enrolment=enrolment, mentor=mentor, actor=pm)
    other_program, _ = build_program(pm, slug="other")
    open_cohort(other_program, pm, masters=[other_master])
    return SimpleNamespace(
        pm=pm,
        master=master,
        mentor=mentor,
        boss=boss,
        candidate=candidate,
        other=other,
        other_master=other_master,
        cohort=cohort,
        enrolment=enrolment,
        other_enrolment=other_enrolment,
        **steps,
    )


def submit_task(w: Any, enrolment: Any = None, note: str = "Ran it on Tuesday") -> StepProgress:
    enrolment = enrolment or w.enrolment
    progress_svc.lesson_complete(enrolment=enrolment, step=w.lesson)
    attempt = quizzes.attempt_start(enrolment=enrolment, step=w.quiz)
    quizzes.attempt_submit(attempt=attempt, responses=attempt_answers(attempt, right=True))
    return progress_svc.task_submit(
        enrolment=enrolment,
        step=w.task,
        checked_items=[0, 1],
        note=note,
        uploads=[SimpleUploadedFile("plan.txt", b"three questions")],
    )


def html(response: Any) -> str:
    return response.content.decode()


def review_url(progress: StepProgress) -> str:
    return reverse("learning:review", args=[progress.pk])


def state(progress: StepProgress) -> tuple[Any, ...]:
    progress.refresh_from_db()
    return (progress.status, progress.reviewer_note, progress.signed_off_by_id)


# --- The queue ------------------------------------------------------------------------------


@pytest.mark.parametrize("reviewer", ["master", "mentor", "boss", "pm"])
def test_the_queue_lists_work_and_reflections_for_each_kind_of_reviewer(client, world, reviewer):
    progress = submit_task(world)
    progress_svc.reflection_submit(
        enrolment=world.enrolment, step=world.reflection, text="It went well, mostly."
    )
    client.force_login(getattr(world, reviewer))

    response = client.get(reverse("learning:review_queue"))

    assert response.status_code == 200
    page = html(response)
    assert review_url(progress) in page
    assert "Cam Candidate" in page
    assert "Run a huddle" in page
    reflection = StepProgress.objects.get(step=world.reflection)
    assert review_url(reflection) in page
    assert "It went well, mostly." in page


def test_the_queue_leaves_out_cohorts_the_reviewer_has_nothing_to_do_with(client, world):
    submit_task(world)
    client.force_login(world.other_master)

    response = client.get(reverse("learning:review_queue"))

    assert response.status_code == 200
    assert "Cam Candidate" not in html(response)
    assert "Nothing is waiting for your sign-off." in html(response)


def test_the_mentor_sees_only_their_mentees_work(client, world):
    mine = submit_task(world)
    theirs = submit_task(world, world.other_enrolment)
    client.force_login(world.mentor)

    page = html(client.get(reverse("learning:review_queue")))

    assert review_url(mine) in page
    assert review_url(theirs) not in page


@pytest.mark.parametrize("who", ["candidate", "other"])
def test_the_queue_is_404_for_candidates(client, world, who):
    submit_task(world)
    client.force_login(getattr(world, who))

    assert client.get(reverse("learning:review_queue")).status_code == 404


def test_the_queue_query_count_does_not_grow_with_the_work_waiting(client, world, make_person):
    submit_task(world)
    client.force_login(world.master)
    client.get(reverse("learning:review_queue"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("learning:review_queue"))
    for _ in range(6):
        person = make_person("trainer")
        submit_task(world, enrol(world.cohort, person, world.pm))

    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("learning:review_queue"))

    assert html(response).count(">Review<") == 7
    assert len(many.captured_queries) == len(few.captured_queries)


# --- One submission -------------------------------------------------------------------------


def test_the_review_page_shows_checklist_note_and_evidence(client, world):
    progress = submit_task(world, note=f"Went fine {XSS} https://example.org/clip")
    client.force_login(world.master)

    response = client.get(review_url(progress))

    assert response.status_code == 200
    page = html(response)
    assert "Plan three questions" in page
    assert "Run the huddle" in page
    assert page.count("(ticked)") == 2
    assert "&lt;svg onload=alert(1)&gt;" in page
    assert "<svg onload" not in page
    assert 'href="https://example.org/clip"' in page
    evidence = progress.files.get()
    assert reverse("learning:evidence", args=[evidence.pk]) in page
    assert "plan.txt" in page
    assert "Approve" in page
    assert "Return for more work" in page


@pytest.mark.parametrize("who", ["candidate", "other", "other_master"])
def test_the_review_page_is_404_for_people_who_may_not_review_and_nothing_changes(
    client, world, who
):
    progress = submit_task(world)
    before = state(progress)
    client.force_login(getattr(world, who))

    get = client.get(review_url(progress))
    post = client.post(
        review_url(progress), {"action": "sign_off", "decision": "approve", "note": "ok"}
    )

    assert (get.status_code, post.status_code) == (404, 404)
    assert state(progress) == before
    assert not Notification.objects.filter(recipient=world.candidate).exists()


def test_a_missing_review_is_404(client, world):
    client.force_login(world.master)

    assert client.get(reverse("learning:review", args=[999999])).status_code == 404


def test_the_mentor_approves_and_the_candidate_is_told(client, world):
    progress = submit_task(world)
    client.force_login(world.mentor)

    response = client.post(
        review_url(progress), {"action": "sign_off", "decision": "approve", "note": "Well done"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("learning:review_queue")
    assert state(progress) == (ProgressStatus.COMPLETED, "Well done", world.mentor.pk)
    told = Notification.objects.get(recipient=world.candidate, kind="review")
    assert told.title == "“Run a huddle” is signed off"
    queue = html(client.get(reverse("learning:review_queue")))
    assert "“Run a huddle” by Cam Candidate is signed off." in queue
    assert review_url(progress) not in queue


def test_approving_twice_shows_a_message_not_an_error(client, world):
    progress = submit_task(world)
    client.force_login(world.master)
    data = {"action": "sign_off", "decision": "approve"}

    client.post(review_url(progress), data)
    again = client.post(review_url(progress), data)

    assert again.status_code == 400
    assert "There is nothing waiting for sign-off here." in html(again)
    assert state(progress) == (ProgressStatus.COMPLETED, "", world.master.pk)


def test_returning_work_needs_a_note(client, world):
    progress = submit_task(world)
    client.force_login(world.master)

    bare = client.post(review_url(progress), {"action": "sign_off", "decision": "return"})
    returned = client.post(
        review_url(progress),
        {"action": "sign_off", "decision": "return", "note": "Add a photo of the board"},
    )

    assert bare.status_code == 400
    assert "Say what needs to change before returning the work." in html(bare)
    assert returned.status_code == 302
    assert state(progress) == (ProgressStatus.IN_PROGRESS, "Add a photo of the board", None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose one of the actions on this page."),
        ({"action": "delete"}, "Choose one of the actions on this page."),
        ({"action": "sign_off", "decision": "publish"}, "Choose Approve or Return."),
        (
            {"action": "attendance", "step": "abc", "attended": "1"},
            "Choose a live session and whether the person attended.",
        ),
    ],
)
def test_garbage_actions_are_refused_with_a_message_and_nothing_changes(
    client, world, data, message
):
    progress = submit_task(world)
    before = state(progress)
    client.force_login(world.master)

    response = client.post(review_url(progress), data)

    assert response.status_code == 400
    assert message in html(response)
    assert state(progress) == before


def test_the_master_trainer_replies_to_a_reflection(client, world):
    progress_svc.reflection_submit(
        enrolment=world.enrolment, step=world.reflection, text=f"I noticed {XSS}"
    )
    progress = StepProgress.objects.get(step=world.reflection)
    client.force_login(world.master)
    page = html(client.get(review_url(progress)))

    empty = client.post(review_url(progress), {"action": "reply", "reply": "   "})
    sent = client.post(review_url(progress), {"action": "reply", "reply": "Good noticing."})

    assert "I noticed &lt;svg onload=alert(1)&gt;" in page
    assert "Reply to the reflection" in page
    assert empty.status_code == 400
    assert sent.status_code == 302
    entry = ReflectionEntry.objects.get()
    assert (entry.reply, entry.replied_by) == ("Good noticing.", world.master)
    assert "Good noticing." in html(client.get(review_url(progress)))


def test_attendance_is_recorded_for_a_live_session_of_the_persons_path(client, world, make_person):
    pm, master, person = world.pm, world.master, make_person("trainer")
    program, (live, reflection) = build_path(
        pm,
        [
            {"kind": "live_session", "title": "Workshop day"},
            {"kind": "reflection", "config": {"min_words": 1}},
        ],
        slug="live",
    )
    cohort = open_cohort(program, pm, masters=[master])
    enrolment = enrol(cohort, person, pm)
    progress_svc.reflection_submit(enrolment=enrolment, step=reflection, text="Noted")
    progress = StepProgress.objects.get(enrolment=enrolment, step=reflection)
    client.force_login(master)

    page = html(client.get(review_url(progress)))
    foreign = client.post(
        review_url(progress), {"action": "attendance", "step": world.lesson.pk, "attended": "1"}
    )
    attended = client.post(
        review_url(progress), {"action": "attendance", "step": live.pk, "attended": "1"}
    )

    assert "Workshop day" in page
    assert "Not recorded" in page
    assert foreign.status_code == 404
    assert attended.status_code == 302
    recorded = StepProgress.objects.get(enrolment=enrolment, step=live)
    assert (recorded.status, recorded.signed_off_by) == (ProgressStatus.COMPLETED, master)
    assert not StepProgress.objects.filter(step=world.lesson, enrolment=enrolment).exists()


def test_the_review_pages_answer_get_and_post_only(client, world):
    progress = submit_task(world)
    client.force_login(world.master)

    assert client.put(review_url(progress)).status_code == 405
    assert client.post(reverse("learning:review_queue")).status_code == 405
    assert state(progress)[0] == ProgressStatus.SUBMITTED


def test_the_line_manager_may_open_the_review(client, world):
    progress = submit_task(world)
    client.force_login(world.boss)

    response = client.get(review_url(progress))

    assert response.status_code == 200
    assert "Cam Candidate" in html(response)
