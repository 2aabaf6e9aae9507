"""The learning API: programs and versions, the question bank, cohorts and enrolment, progress,
and quiz attempts.

Each endpoint is tried by the people who may use it (exact JSON) and by those who may not, who
get an empty list, 403 or 404 and change nothing. Quiz answers are checked never to appear in
anything served before an attempt is submitted. Authentication and error mapping themselves are
tested in ``cascade/api/tests``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry, Notification
from cascade.learning.curriculum.install import install_trainer_essentials
from cascade.learning.models import (
    Cohort,
    Enrolment,
    Program,
    ProgressStatus,
    Question,
    QuizAttempt,
    Step,
    StepProgress,
    StepQuestion,
)
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import programs as program_services
from cascade.learning.services import progress as progress_services
from cascade.learning.tests.factories import (
    attempt_answers,
    build_path,
    build_program,
    enrol,
    open_cohort,
    scoped_program_manager,
)
from cascade.people import services as people_services
from cascade.people.models import AccessToken, Person
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory

API = "/api/v1"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # the lesson (due 11-08) and quiz (11-15) are late
NOW_JSON = "2026-11-20T09:00:00Z"
START = date(2026, 11, 1)
EXPLANATION = "Open questions invite people to think aloud."
# Strings that only an answer key holds: none may be served before submission.
SECRETS = ("wait time", "That is answered with yes or no.", EXPLANATION)
ANSWER_WORDS = {"key", "correct", "accepted", "explanation", "answer", "feedback"}


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class World:
    pm: Person
    master: Person
    candidate: Person
    program: Program
    lesson: Step
    quiz: Step
    task: Step
    reflection: Step
    cohort: Cohort
    enrolment: Enrolment


@pytest.fixture
def world(program_manager: Person, make_person: Any) -> World:
    """Facilitation basics, published; a cohort run by Mo Master; Casey Candidate enrolled."""
    master = make_person("master_trainer", display_name="Mo Master", email="mo@example.org")
    candidate = make_person("trainer", display_name="Casey Candidate", email="casey@example.org")
    program, steps = build_program(program_manager)
    Question.objects.filter(program=program, kind="single").update(explanation=EXPLANATION)
    cohort = open_cohort(program, program_manager, masters=[master], start=START)
    return World(
        pm=program_manager,
        master=master,
        candidate=candidate,
        program=program,
        cohort=cohort,
        enrolment=enrol(cohort, candidate, program_manager),
        **steps,
    )


def auth(person: Person, scope: str = AccessToken.Scope.WRITE) -> dict[str, str]:
    _token, key = people_services.token_create(person=person, name="test", scope=scope)
    return {"authorization": f"Bearer {key}"}


def get(client: Any, person: Person, path: str, **params: Any) -> Any:
    return client.get(f"{API}{path}", params, headers=auth(person))


def send(client: Any, method: str, person: Person | None, path: str, body: Any = None, **kw: Any):
    headers = auth(person, **kw) if person is not None else {}
    return getattr(client, method)(
        f"{API}{path}", body or {}, content_type="application/json", headers=headers
    )


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


def words_in(value: Any) -> tuple[set[str], set[str]]:
    """Every key and every string value anywhere in a JSON document."""
    keys: set[str] = set()
    strings: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            sub_keys, sub_strings = words_in(v)
            keys |= sub_keys
            strings |= sub_strings
    elif isinstance(value, list):
        for v in value:
            sub_keys, sub_strings = words_in(v)
            keys |= sub_keys
            strings |= sub_strings
    elif isinstance(value, str):
        strings.add(value)
    return keys, strings


def assert_no_answers(body: Any) -> None:
    keys, strings = words_in(body)
    assert keys & ANSWER_WORDS == set()
    assert strings & ANSWER_WORDS == set()
    text = json.dumps(body)
    for secret in SECRETS:
        assert secret not in text


def served_questions(attempt: QuizAttempt) -> list[dict[str, Any]]:
    """What the attempt's three questions (single, short, true/false) look like to the candidate."""
    single, short, true_false = attempt.served
    return [
        {
            "qid": single["qid"],
            "kind": "single",
            "prompt": "Which question is open?",
            "options": single["options"],
            "items": None,
            "lefts": None,
            "rights": None,
        },
        {
            "qid": short["qid"],
            "kind": "short",
            "prompt": "Name the pause after a question.",
            "options": None,
            "items": None,
            "lefts": None,
            "rights": None,
        },
        {
            "qid": true_false["qid"],
            "kind": "true_false",
            "prompt": "Adults learn best by listening only.",
            "options": true_false["options"],
            "items": None,
            "lefts": None,
            "rights": None,
        },
    ]


def db_state() -> dict[str, Any]:
    """Everything a learning request could write, fresh from the database."""
    return {
        "enrolments": sorted(Enrolment.objects.values_list("cohort_id", "person_id", "status")),
        "progress": sorted(StepProgress.objects.values_list("enrolment_id", "step_id", "status")),
        "attempts": sorted(
            QuizAttempt.objects.values_list("id", "number", "responses", "score", "submitted_at")
        ),
        "notifications": Notification.objects.count(),
        # Tokens made for the requests themselves are audited too; they are not the request's doing.
        "audit": AuditEntry.objects.exclude(action__startswith="people.token.").count(),
    }


def complete_lesson(world: World) -> None:
    progress_services.lesson_complete(enrolment=world.enrolment, step=world.lesson)


# --- GET /programs --------------------------------------------------------------------------


def test_program_manager_lists_the_programs_they_manage_with_version_numbers(client, world):
    # Given a second, unpublished program and a draft of the first
    unpublished = program_services.program_create(
        title="Advanced facilitation", slug="advanced", actor=world.pm, summary="Next steps."
    )
    program_services.version_start_draft(program=world.program, actor=world.pm)
    # When the program manager lists programs
    response = get(client, world.pm, "/programs")
    # Then both come by title, with their published and draft versions
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": unpublished.pk,
                "title": "Advanced facilitation",
                "slug": "advanced",
                "summary": "Next steps.",
                "audience": "trainers",
                "published_version": None,
                "draft_version": 1,
            },
            {
                "id": world.program.pk,
                "title": "Facilitation basics",
                "slug": "essentials",
                "summary": "",
                "audience": "trainers",
                "published_version": 1,
                "draft_version": 2,
            },
        ],
        "count": 2,
        "page": 1,
        "page_size": 50,
    }


def test_programs_list_shows_each_person_what_they_may_see(client, world, make_person):
    # Given programs of every kind
    pm = world.pm
    unpublished = program_services.program_create(title="Unpublished", slug="unpub", actor=pm)
    archived, _steps = build_path(pm, [{"kind": "lesson"}], slug="archived")
    Program.objects.filter(pk=archived.pk).update(archived_at=NOW)
    for_learners, _steps = build_path(pm, [{"kind": "lesson"}], slug="follow", audience="learners")
    coached = open_cohort(for_learners, pm, masters=[world.master])
    learner = make_person("learner")
    enrol(coached, learner, pm)
    dropped_out = make_person("learner")
    withdrawn = enrol(coached, dropped_out, pm)
    cohort_services.enrolment_withdraw(enrolment=withdrawn, actor=pm)
    other_trainer = make_person("trainer")
    own_path = program_services.program_create(
        title="Ward follow-up", slug="ward", actor=other_trainer, audience="learners"
    )
    nobody = make_person("learner")
    manager = make_person("manager")
    # Then trainers see published programs for trainers (not drafts, archived ones or others'
    # learner paths), the learner paths they build, and what they take part in; learners only
    # what they are enrolled in (and not withdrawn from).
    assert ids(get(client, world.candidate, "/programs")) == [world.program.pk]
    mine = get(client, other_trainer, "/programs")
    assert ids(mine) == [world.program.pk, own_path.pk]
    assert [p["draft_version"] for p in mine.json()["items"]] == [None, 1]
    assert ids(get(client, world.master, "/programs")) == [world.program.pk, for_learners.pk]
    assert ids(get(client, learner, "/programs")) == [for_learners.pk]
    assert ids(get(client, dropped_out, "/programs")) == []
    assert ids(get(client, nobody, "/programs")) == []
    assert ids(get(client, manager, "/programs")) == []
    # ...and the program manager everything they manage, drafts and archived ones included.
    assert ids(get(client, pm, "/programs")) == [
        world.program.pk,
        archived.pk,
        for_learners.pk,
        unpublished.pk,
        own_path.pk,
    ]


def test_scoped_program_manager_lists_only_programs_of_their_units(client, world):
    north = OrgUnitFactory(name="North", code="north")
    south = OrgUnitFactory(name="South", code="south")
    northern, _steps = build_path(world.pm, [{"kind": "lesson"}], slug="north", org_unit=north)
    build_path(world.pm, [{"kind": "lesson"}], slug="south", org_unit=south)
    scoped = scoped_program_manager(north)
    response = get(client, scoped, "/programs")
    assert ids(response) == [northern.pk]
    assert response.json()["items"][0]["draft_version"] is None


def test_programs_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    headers = auth(world.pm)
    client.get(f"{API}/programs", headers=headers)  # the token's first use records last_used_at
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/programs", headers=headers).status_code == 200
    for n in range(30):
        program_services.program_create(title=f"Program {n:02d}", slug=f"p{n}", actor=world.pm)
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/programs", headers=headers)
    assert response.json()["count"] == 31
    assert len(many) == len(few)


# --- GET /programs/{id} and its versions ----------------------------------------------------


def test_read_a_program(client, world):
    program_services.version_start_draft(program=world.program, actor=world.pm)
    expected = {
        "id": world.program.pk,
        "title": "Facilitation basics",
        "slug": "essentials",
        "summary": "",
        "audience": "trainers",
        "published_version": 1,
        "draft_version": 2,
    }
    path = f"/programs/{world.program.pk}"
    assert get(client, world.pm, path).json() == expected
    # Those who take part see it without the draft.
    assert get(client, world.candidate, path).json() == {**expected, "draft_version": None}
    assert get(client, world.master, path).json() == {**expected, "draft_version": None}


def test_a_hidden_program_answers_404_like_a_missing_one(client, world, make_person):
    learner = make_person("learner")
    hidden = get(client, learner, f"/programs/{world.program.pk}")
    missing = get(client, learner, "/programs/999999")
    assert_problem(hidden, 404, "not_found")
    assert hidden.json() == missing.json()
    assert_problem(
        get(client, learner, f"/programs/{world.program.pk}/versions/1"), 404, "not_found"
    )


def test_read_a_version_with_its_steps(client, world):
    module = program_services.module_create(
        version=program_services.version_start_draft(program=world.program, actor=world.pm),
        title="Week 1",
    )
    response = get(client, world.candidate, f"/programs/{world.program.pk}/versions/1")
    assert response.status_code == 200
    lesson, quiz, task, reflection = world.lesson, world.quiz, world.task, world.reflection
    assert response.json() == {
        "id": lesson.version_id,
        "program_id": world.program.pk,
        "number": 1,
        "status": "published",
        "notes": "",
        "published_at": NOW_JSON,
        "modules": [],
        "steps": [
            {
                "id": lesson.pk,
                "key": str(lesson.key),
                "module_id": None,
                "position": 1,
                "kind": "lesson",
                "title": "Asking questions",
                "body": "# Questions\nAsk open questions.",
                "required": True,
                "due_offset_days": 7,
                "prerequisites": [],
                "config": {"video_url": ""},
                "question_count": None,
            },
            {
                "id": quiz.pk,
                "key": str(quiz.key),
                "module_id": None,
                "position": 2,
                "kind": "quiz",
                "title": "Check: questions",
                "body": "",
                "required": True,
                "due_offset_days": 14,
                "prerequisites": [lesson.pk],
                "config": {
                    "pass_mark": 100,
                    "attempts_limit": 3,
                    "time_limit_minutes": None,
                    "shuffle_questions": False,
                    "shuffle_options": True,
                    "draw_count": None,
                    "policy": "best",
                    "show_answers": "final",
                },
                "question_count": 3,
            },
            {
                "id": task.pk,
                "key": str(task.key),
                "module_id": None,
                "position": 3,
                "kind": "on_the_job",
                "title": "Run a huddle",
                "body": "",
                "required": True,
                "due_offset_days": 30,
                "prerequisites": [quiz.pk],
                "config": {
                    "checklist": ["Plan three questions", "Run the huddle"],
                    "evidence_required": True,
                },
                "question_count": None,
            },
            {
                "id": reflection.pk,
                "key": str(reflection.key),
                "module_id": None,
                "position": 4,
                "kind": "reflection",
                "title": "What surprised you?",
                "body": "Reflect.",
                "required": False,
                "due_offset_days": None,
                "prerequisites": [],
                "config": {"min_words": 3},
                "question_count": None,
            },
        ],
    }
    # The draft (with its module) is for those who manage the program.
    draft_path = f"/programs/{world.program.pk}/versions/2"
    draft = get(client, world.pm, draft_path)
    assert draft.status_code == 200
    assert draft.json()["status"] == "draft"
    assert draft.json()["modules"] == [{"id": module.pk, "title": "Week 1", "position": 1}]
    assert [s["key"] for s in draft.json()["steps"]] == [
        str(s.key) for s in (lesson, quiz, task, reflection)
    ]
    assert_problem(get(client, world.candidate, draft_path), 404, "not_found")
    assert_problem(
        get(client, world.pm, f"/programs/{world.program.pk}/versions/9"), 404, "not_found"
    )


def test_a_version_never_shows_questions_or_answers(client, world):
    response = get(client, world.candidate, f"/programs/{world.program.pk}/versions/1")
    assert response.status_code == 200
    text = response.content.decode()
    for prompt_or_answer in ("Which question is open?", "Why did that happen?", *SECRETS):
        assert prompt_or_answer not in text


def test_version_query_count_does_not_grow_with_steps(client, world, django_assert_max_num_queries):
    headers = auth(world.pm)

    def path(slug: str, size: int) -> str:
        steps = [
            {"kind": "quiz" if i % 2 else "lesson", "after": [i - 1] if i else []}
            for i in range(size)
        ]
        program, _steps = build_path(world.pm, steps, slug=slug)
        return f"{API}/programs/{program.pk}/versions/1"

    small, big = path("small", 2), path("big", 30)
    client.get(small, headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert client.get(small, headers=headers).status_code == 200
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as many:
        response = client.get(big, headers=headers)
    assert len(response.json()["steps"]) == 30
    assert len(many) == len(few)


# --- GET /programs/{id}/questions -----------------------------------------------------------


def test_managers_read_the_question_bank_with_answers(client, world):
    single, short, true_false = Question.objects.filter(program=world.program).order_by("id")
    Question.objects.filter(pk=true_false.pk).update(archived=True)
    response = get(client, world.pm, f"/programs/{world.program.pk}/questions")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": single.pk,
                "key": str(single.key),
                "kind": "single",
                "prompt": "Which question is open?",
                "data": {
                    "options": [
                        {
                            "id": "a",
                            "text": "Why did that happen?",
                            "correct": True,
                            "feedback": "",
                        },
                        {
                            "id": "b",
                            "text": "Is it Tuesday?",
                            "correct": False,
                            "feedback": "That is answered with yes or no.",
                        },
                    ]
                },
                "explanation": EXPLANATION,
                "topic": "questioning",
                "bloom_level": "understand",
                "archived": False,
            },
            {
                "id": short.pk,
                "key": str(short.key),
                "kind": "short",
                "prompt": "Name the pause after a question.",
                "data": {"accepted": ["wait time"]},
                "explanation": "",
                "topic": "questioning",
                "bloom_level": "remember",
                "archived": False,
            },
        ],
        "count": 2,
        "page": 1,
        "page_size": 50,
    }
    everything = get(
        client, world.pm, f"/programs/{world.program.pk}/questions", include_archived="true"
    )
    assert ids(everything) == [single.pk, short.pk, true_false.pk]


def test_question_bank_denials(client, world, make_person):
    path = f"/programs/{world.program.pk}/questions"
    # Those who see the program but do not manage it: 403; those who do not see it: 404.
    assert_problem(get(client, world.candidate, path), 403, "forbidden")
    assert_problem(get(client, world.master, path), 403, "forbidden")
    assert_problem(get(client, make_person("learner"), path), 404, "not_found")
    scoped = scoped_program_manager(OrgUnitFactory())
    assert_problem(get(client, scoped, path), 404, "not_found")


# --- Cohorts --------------------------------------------------------------------------------


def cohort_json(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "id": world.cohort.pk,
        "name": "Spring intake",
        "program_id": world.program.pk,
        "program_title": "Facilitation basics",
        "version_number": 1,
        "start_date": "2026-11-01",
        "status": "planned",
        "master_trainers": [
            {"id": world.master.pk, "display_name": "Mo Master", "email": "mo@example.org"}
        ],
        "enrolled": 1,
        **changes,
    }


def test_cohort_runners_list_and_read_cohorts(client, world):
    withdrawn = enrol(world.cohort, PersonFactory(), world.pm)
    cohort_services.enrolment_withdraw(enrolment=withdrawn, actor=world.pm)
    later = cohort_services.cohort_create(
        program=world.program, name="Autumn intake", start_date=date(2027, 3, 1), actor=world.pm
    )
    expected = {
        "items": [
            cohort_json(
                world,
                id=later.pk,
                name="Autumn intake",
                start_date="2027-03-01",
                master_trainers=[],
                enrolled=0,
            ),
            cohort_json(world),
        ],
        "count": 2,
        "page": 1,
        "page_size": 50,
    }
    assert get(client, world.pm, "/cohorts").json() == expected
    assert ids(get(client, world.master, "/cohorts")) == [world.cohort.pk]
    one = get(client, world.master, f"/cohorts/{world.cohort.pk}")
    assert one.status_code == 200
    assert one.json() == cohort_json(world)


def test_people_who_do_not_run_cohorts_get_an_empty_list_and_404s(client, world, make_person):
    other_master = make_person("master_trainer")
    scoped = scoped_program_manager(OrgUnitFactory())
    for person in (world.candidate, make_person("learner"), other_master, scoped):
        assert get(client, person, "/cohorts").json()["items"] == []
        assert_problem(get(client, person, f"/cohorts/{world.cohort.pk}"), 404, "not_found")
        path = f"/cohorts/{world.cohort.pk}/enrolments"
        assert_problem(get(client, person, path), 404, "not_found")


def test_cohorts_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    headers = auth(world.pm)
    client.get(f"{API}/cohorts", headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/cohorts", headers=headers).status_code == 200
    masters = PersonFactory.create_batch(3, roles=["master_trainer"])
    for n in range(20):
        cohort = cohort_services.cohort_create(
            program=world.program,
            name=f"Intake {n}",
            start_date=START,
            actor=world.pm,
            master_trainers=masters,
        )
        enrol(cohort, world.candidate, world.pm)
    with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/cohorts", headers=headers)
    assert response.json()["count"] == 21
    assert len(many) == len(few)


# --- GET /cohorts/{id}/enrolments -----------------------------------------------------------


def test_cohort_enrolments_show_where_each_person_stands(client, world):
    ann = PersonFactory(display_name="Ann Able", email="ann@example.org")
    ann_enrolment = enrol(world.cohort, ann, world.pm)
    progress_services.lesson_complete(enrolment=ann_enrolment, step=world.lesson)
    cohort_services.enrolment_set_mentor(
        enrolment=world.enrolment, mentor=world.master, actor=world.pm
    )
    response = get(client, world.master, f"/cohorts/{world.cohort.pk}/enrolments")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": ann_enrolment.pk,
                "person": {"id": ann.pk, "display_name": "Ann Able", "email": "ann@example.org"},
                "status": "active",
                "mentor_id": None,
                "percent": 33,
                "overdue_count": 1,
                "next_step_id": world.quiz.pk,
            },
            {
                "id": world.enrolment.pk,
                "person": {
                    "id": world.candidate.pk,
                    "display_name": "Casey Candidate",
                    "email": "casey@example.org",
                },
                "status": "active",
                "mentor_id": world.master.pk,
                "percent": 0,
                "overdue_count": 2,
                "next_step_id": world.lesson.pk,
            },
        ],
        "count": 2,
        "page": 1,
        "page_size": 50,
    }
    second_page = get(
        client, world.pm, f"/cohorts/{world.cohort.pk}/enrolments", page_size=1, page=2
    )
    assert ids(second_page) == [world.enrolment.pk]
    assert second_page.json()["count"] == 2


def test_cohort_enrolments_query_count_is_the_same_for_5_and_40_people(
    client, world, django_assert_max_num_queries
):
    headers = auth(world.master)
    path = f"{API}/cohorts/{world.cohort.pk}/enrolments"

    def add(n: int) -> None:
        people = PersonFactory.create_batch(n)
        cohort_services.cohort_enrol(
            cohort=world.cohort, people=people, actor=world.pm, notify=False
        )
        for enrolment in Enrolment.objects.filter(person__in=people):
            progress_services.lesson_complete(enrolment=enrolment, step=world.lesson)

    add(4)
    client.get(path, headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(path, headers=headers).json()["items"]) == 5
    add(35)
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as many:
        response = client.get(path, headers=headers)
    assert len(response.json()["items"]) == 40
    assert len(many) == len(few)


# --- POST /cohorts/{id}/enrolments ----------------------------------------------------------


def test_enrol_people_by_email_and_id_is_idempotent(client, world):
    ann = PersonFactory(email="ann@example.org")
    bob = PersonFactory()
    path = f"/cohorts/{world.cohort.pk}/enrolments"
    body = {"emails": [" ANN@example.org ", "casey@example.org"], "person_ids": [bob.pk, bob.pk]}
    first = send(client, "post", world.pm, path, body)
    assert first.status_code == 200
    assert first.json() == {"enrolled": sorted([ann.pk, bob.pk]), "already": [world.candidate.pk]}
    assert sorted(
        Enrolment.objects.filter(cohort=world.cohort).values_list("person_id", flat=True)
    ) == sorted([world.candidate.pk, ann.pk, bob.pk])
    assert Notification.objects.filter(recipient=ann).count() == 1
    # A retried request enrols nobody twice and tells nobody twice.
    before = db_state()
    again = send(client, "post", world.master, path, body)
    assert again.status_code == 200
    assert again.json() == {
        "enrolled": [],
        "already": sorted([world.candidate.pk, ann.pk, bob.pk]),
    }
    assert db_state() == before


def test_enrol_with_unknown_people_enrols_nobody(client, world):
    ann = PersonFactory(email="ann@example.org")
    gone = PersonFactory(email="gone@example.org", is_active=False)
    before = db_state()
    response = send(
        client,
        "post",
        world.pm,
        f"/cohorts/{world.cohort.pk}/enrolments",
        {
            "emails": ["ann@example.org", "nobody@example.org", "gone@example.org"],
            "person_ids": [999999, gone.pk],
        },
    )
    assert_problem(response, 400, "unknown_people")
    assert response.json()["unknown_emails"] == ["nobody@example.org", "gone@example.org"]
    assert response.json()["unknown_person_ids"] == [999999, gone.pk]
    assert db_state() == before
    assert not Enrolment.objects.filter(person=ann).exists()


def test_enrol_denials_change_nothing(client, world, make_person):
    ann = PersonFactory(email="ann@example.org")
    path = f"/cohorts/{world.cohort.pk}/enrolments"
    body = {"emails": ["ann@example.org"]}
    before = db_state()
    for person in (world.candidate, make_person("learner"), make_person("master_trainer")):
        assert_problem(send(client, "post", person, path, body), 404, "not_found")
    assert_problem(
        send(client, "post", world.pm, path, body, scope="read"), 403, "insufficient_scope"
    )
    assert_problem(send(client, "post", None, path, body), 401, "not_authenticated")
    assert_problem(send(client, "post", world.pm, path, {}), 422, "validation_error")
    assert_problem(
        send(client, "post", world.pm, path, {"emails": "ann@example.org"}), 422, "validation_error"
    )
    Cohort.objects.filter(pk=world.cohort.pk).update(status=Cohort.Status.CLOSED)
    assert_problem(send(client, "post", world.pm, path, body), 400, "cohort_closed")
    assert db_state() == before
    assert not Enrolment.objects.filter(person=ann).exists()


# --- GET /enrolments and progress -----------------------------------------------------------


def test_people_list_their_own_enrolments(client, world, make_person):
    follow_up, _steps = build_path(world.pm, [{"kind": "lesson"}], slug="follow")
    later = cohort_services.cohort_create(
        program=follow_up, name="Follow-up", start_date=date(2027, 1, 10), actor=world.pm
    )
    later_enrolment = enrol(later, world.candidate, world.pm)
    withdrawn_cohort = open_cohort(follow_up, world.pm)
    cohort_services.enrolment_withdraw(
        enrolment=enrol(withdrawn_cohort, world.candidate, world.pm), actor=world.pm
    )
    enrol(world.cohort, make_person("learner"), world.pm)
    response = get(client, world.candidate, "/enrolments")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": later_enrolment.pk,
                "cohort_id": later.pk,
                "cohort_name": "Follow-up",
                "program_id": follow_up.pk,
                "program_title": "Program follow",
                "version_number": 1,
                "start_date": "2027-01-10",
                "status": "active",
                "mentor_id": None,
                "enrolled_at": NOW_JSON,
                "completed_at": None,
            },
            {
                "id": world.enrolment.pk,
                "cohort_id": world.cohort.pk,
                "cohort_name": "Spring intake",
                "program_id": world.program.pk,
                "program_title": "Facilitation basics",
                "version_number": 1,
                "start_date": "2026-11-01",
                "status": "active",
                "mentor_id": None,
                "enrolled_at": NOW_JSON,
                "completed_at": None,
            },
        ],
        "count": 2,
        "page": 1,
        "page_size": 50,
    }
    # Not other people's, even for those who run the cohort.
    assert get(client, world.pm, "/enrolments").json()["items"] == []


def test_enrolments_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    headers = auth(world.candidate)
    client.get(f"{API}/enrolments", headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/enrolments", headers=headers).status_code == 200
    for n in range(15):
        enrol(
            open_cohort(world.program, world.pm, start=date(2027, 1, n + 1)),
            world.candidate,
            world.pm,
        )
    with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/enrolments", headers=headers)
    assert response.json()["count"] == 16
    assert len(many) == len(few)


def test_progress_shows_each_step(client, world):
    complete_lesson(world)
    attempt = QuizAttempt.objects.get(pk=start_attempt(client, world).json()["id"])
    submit = send(
        client,
        "post",
        world.candidate,
        f"/attempts/{attempt.pk}/submit",
        {"responses": attempt_answers(attempt, right=True)},
    )
    assert submit.json()["passed"] is True
    response = get(client, world.candidate, f"/enrolments/{world.enrolment.pk}/progress")
    assert response.status_code == 200
    assert response.json() == {
        "enrolment_id": world.enrolment.pk,
        "person": {
            "id": world.candidate.pk,
            "display_name": "Casey Candidate",
            "email": "casey@example.org",
        },
        "status": "active",
        "percent": 67,
        "required_total": 3,
        "required_done": 2,
        "overdue_count": 0,
        "next_step_id": world.task.pk,
        "steps": [
            {
                "step_id": world.lesson.pk,
                "title": "Asking questions",
                "kind": "lesson",
                "required": True,
                "status": "completed",
                "unlocked": True,
                "waiting_on": [],
                "due": "2026-11-08",
                "overdue": False,
                "score": None,
            },
            {
                "step_id": world.quiz.pk,
                "title": "Check: questions",
                "kind": "quiz",
                "required": True,
                "status": "completed",
                "unlocked": True,
                "waiting_on": [],
                "due": "2026-11-15",
                "overdue": False,
                "score": 100.0,
            },
            {
                "step_id": world.task.pk,
                "title": "Run a huddle",
                "kind": "on_the_job",
                "required": True,
                "status": "not_started",
                "unlocked": True,
                "waiting_on": [],
                "due": "2026-12-01",
                "overdue": False,
                "score": None,
            },
            {
                "step_id": world.reflection.pk,
                "title": "What surprised you?",
                "kind": "reflection",
                "required": False,
                "status": "not_started",
                "unlocked": True,
                "waiting_on": [],
                "due": None,
                "overdue": False,
                "score": None,
            },
        ],
    }


def test_progress_of_a_fresh_enrolment_is_locked_and_late(client, world):
    body = get(client, world.candidate, f"/enrolments/{world.enrolment.pk}/progress").json()
    assert (body["percent"], body["overdue_count"], body["next_step_id"]) == (0, 2, world.lesson.pk)
    assert [(s["status"], s["unlocked"], s["waiting_on"], s["overdue"]) for s in body["steps"]] == [
        ("not_started", True, [], True),
        ("not_started", False, [world.lesson.pk], True),
        ("not_started", False, [world.quiz.pk], False),
        ("not_started", True, [], False),
    ]


def test_progress_is_for_the_person_their_mentor_and_manager_and_cohort_runners(
    client, world, make_person
):
    boss = make_person("manager")
    mentor = make_person("trainer")
    Person.objects.filter(pk=world.candidate.pk).update(manager=boss)
    cohort_services.enrolment_set_mentor(enrolment=world.enrolment, mentor=mentor, actor=world.pm)
    path = f"/enrolments/{world.enrolment.pk}/progress"
    for person in (world.candidate, boss, mentor, world.master, world.pm):
        assert get(client, person, path).status_code == 200
    for person in (
        make_person("trainer"),
        make_person("learner"),
        make_person("master_trainer"),
        scoped_program_manager(OrgUnitFactory()),
    ):
        assert_problem(get(client, person, path), 404, "not_found")
    assert get(client, world.candidate, "/enrolments/999999/progress").status_code == 404


# --- Quiz attempts --------------------------------------------------------------------------


def start_attempt(client: Any, world: World, person: Person | None = None, **kw: Any) -> Any:
    path = f"/enrolments/{world.enrolment.pk}/steps/{world.quiz.pk}/attempts"
    return send(client, "post", person or world.candidate, path, **kw)


def test_a_locked_quiz_cannot_be_started(client, world):
    before = db_state()
    response = start_attempt(client, world)
    assert_problem(response, 400, "step_locked")
    assert db_state() == before


def test_starting_an_attempt_serves_the_questions_without_answers(client, world):
    complete_lesson(world)
    response = start_attempt(client, world)
    assert response.status_code == 200
    attempt = QuizAttempt.objects.get()
    assert response.json() == {
        "id": attempt.pk,
        "enrolment_id": world.enrolment.pk,
        "step_id": world.quiz.pk,
        "number": 1,
        "started_at": NOW_JSON,
        "deadline": None,
        "submitted_at": None,
        "questions": served_questions(attempt),
        "responses": {},
        "score": None,
        "passed": None,
        "results": None,
    }
    assert sorted(o["text"] for o in response.json()["questions"][0]["options"]) == [
        "Is it Tuesday?",
        "Why did that happen?",
    ]
    assert_no_answers(response.json())
    # A retried start returns the open attempt.
    again = start_attempt(client, world)
    assert again.json() == response.json()
    assert QuizAttempt.objects.count() == 1


def test_read_and_autosave_an_open_attempt(client, world):
    complete_lesson(world)
    attempt_id = start_attempt(client, world).json()["id"]
    attempt = QuizAttempt.objects.get(pk=attempt_id)
    single, short, _tf = attempt.served
    saved = {str(single["qid"]): single["options"][0]["token"], str(short["qid"]): "a pause"}
    put = send(
        client, "put", world.candidate, f"/attempts/{attempt_id}/responses", {"responses": saved}
    )
    assert put.status_code == 200
    assert put.json()["responses"] == saved
    assert_no_answers(put.json())
    read = get(client, world.candidate, f"/attempts/{attempt_id}")
    assert read.status_code == 200
    assert read.json() == {**put.json(), "questions": served_questions(attempt)}
    assert_no_answers(read.json())
    attempt.refresh_from_db()
    assert (attempt.responses, attempt.submitted_at, attempt.score) == (saved, None, None)


def test_submit_grades_once_and_shows_results(client, world):
    complete_lesson(world)
    attempt = QuizAttempt.objects.get(pk=start_attempt(client, world).json()["id"])
    single, short, true_false = attempt.served
    right = attempt_answers(attempt, right=True)
    response = send(
        client, "post", world.candidate, f"/attempts/{attempt.pk}/submit", {"responses": right}
    )
    assert response.status_code == 200
    correct_option = next(
        o["text"] for o in single["options"] if o["token"] in single["key"]["correct"]
    )
    assert correct_option == "Why did that happen?"
    assert response.json() == {
        "id": attempt.pk,
        "enrolment_id": world.enrolment.pk,
        "step_id": world.quiz.pk,
        "number": 1,
        "started_at": NOW_JSON,
        "deadline": None,
        "submitted_at": NOW_JSON,
        "questions": served_questions(attempt),
        "responses": right,
        "score": 100.0,
        "passed": True,
        "results": [
            {
                "qid": single["qid"],
                "points": 1.0,
                "correct": True,
                "feedback": [],
                "explanation": EXPLANATION,
                "correct_answer": "Why did that happen?",
            },
            {
                "qid": short["qid"],
                "points": 1.0,
                "correct": True,
                "feedback": [],
                "explanation": "",
                "correct_answer": "wait time",
            },
            {
                "qid": true_false["qid"],
                "points": 1.0,
                "correct": True,
                "feedback": [],
                "explanation": "",
                "correct_answer": "False",
            },
        ],
    }
    assert StepProgress.objects.get(step=world.quiz).status == ProgressStatus.COMPLETED
    # A second (double-clicked, retried) submit returns the first grade, even with other answers.
    before = db_state()
    wrong = attempt_answers(attempt, right=False)
    again = send(
        client, "post", world.candidate, f"/attempts/{attempt.pk}/submit", {"responses": wrong}
    )
    assert again.status_code == 200
    assert again.json() == response.json()
    # ...and so does a late autosave, which changes nothing.
    late = send(
        client, "put", world.candidate, f"/attempts/{attempt.pk}/responses", {"responses": wrong}
    )
    assert late.json() == response.json()
    assert db_state() == before
    assert get(client, world.candidate, f"/attempts/{attempt.pk}").json() == response.json()
    # Passed: no new attempt.
    assert_problem(start_attempt(client, world), 400, "already_passed")


def test_wrong_answers_show_feedback_and_use_up_attempts(client, world):
    Step.objects.filter(pk=world.quiz.pk).update(config={**world.quiz.config, "attempts_limit": 1})
    complete_lesson(world)
    attempt = QuizAttempt.objects.get(pk=start_attempt(client, world).json()["id"])
    single = attempt.served[0]
    wrong_token = next(o["token"] for o in single["options"] if o["text"] == "Is it Tuesday?")
    response = send(
        client,
        "post",
        world.candidate,
        f"/attempts/{attempt.pk}/submit",
        {"responses": {str(single["qid"]): wrong_token}},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["passed"]) == (0.0, False)
    assert body["results"][0] == {
        "qid": single["qid"],
        "points": 0.0,
        "correct": False,
        "feedback": ["That is answered with yes or no."],
        "explanation": EXPLANATION,
        "correct_answer": "Why did that happen?",
    }
    before = db_state()
    assert_problem(start_attempt(client, world), 400, "no_attempts_left")
    assert db_state() == before
    assert StepProgress.objects.get(step=world.quiz).status == ProgressStatus.FAILED


def test_time_limit_sets_a_deadline(client, world):
    Step.objects.filter(pk=world.quiz.pk).update(
        config={**world.quiz.config, "time_limit_minutes": 10}
    )
    complete_lesson(world)
    assert start_attempt(client, world).json()["deadline"] == "2026-11-20T09:10:00Z"


def test_attempt_start_refuses_other_steps_and_other_peoples_enrolments(client, world, make_person):
    complete_lesson(world)
    _other, (other_quiz,) = build_path(world.pm, [{"kind": "quiz"}], slug="other")
    before = db_state()
    base = f"/enrolments/{world.enrolment.pk}/steps"
    assert_problem(
        send(client, "post", world.candidate, f"{base}/{world.lesson.pk}/attempts"),
        400,
        "wrong_kind",
    )
    assert_problem(
        send(client, "post", world.candidate, f"{base}/{other_quiz.pk}/attempts"), 404, "not_found"
    )
    assert_problem(
        send(client, "post", world.candidate, f"{base}/999999/attempts"), 404, "not_found"
    )
    # Even those who may see the enrolment cannot take its quizzes.
    for person in (world.pm, world.master, make_person("trainer")):
        assert_problem(start_attempt(client, world, person), 404, "not_found")
    assert_problem(start_attempt(client, world, scope="read"), 403, "insufficient_scope")
    assert_problem(
        send(client, "post", None, f"{base}/{world.quiz.pk}/attempts"), 401, "not_authenticated"
    )
    assert db_state() == before


def test_another_persons_attempt_answers_404_and_changes_nothing(client, world, make_person):
    complete_lesson(world)
    attempt = QuizAttempt.objects.get(pk=start_attempt(client, world).json()["id"])
    right = {"responses": attempt_answers(attempt, right=True)}
    before = db_state()
    for person in (world.pm, world.master, make_person("trainer")):
        assert_problem(get(client, person, f"/attempts/{attempt.pk}"), 404, "not_found")
        put = send(client, "put", person, f"/attempts/{attempt.pk}/responses", right)
        assert_problem(put, 404, "not_found")
        submit = send(client, "post", person, f"/attempts/{attempt.pk}/submit", right)
        assert_problem(submit, 404, "not_found")
    assert_problem(get(client, world.candidate, "/attempts/999999"), 404, "not_found")
    assert db_state() == before


def test_attempt_writes_need_a_write_token_and_a_caller(client, world):
    complete_lesson(world)
    attempt = QuizAttempt.objects.get(pk=start_attempt(client, world).json()["id"])
    right = {"responses": attempt_answers(attempt, right=True)}
    before = db_state()
    for method, path in (("put", "responses"), ("post", "submit")):
        read_only = send(
            client, method, world.candidate, f"/attempts/{attempt.pk}/{path}", right, scope="read"
        )
        assert_problem(read_only, 403, "insufficient_scope")
        anonymous = send(client, method, None, f"/attempts/{attempt.pk}/{path}", right)
        assert_problem(anonymous, 401, "not_authenticated")
    assert_problem(client.get(f"{API}/attempts/{attempt.pk}"), 401, "not_authenticated")
    assert db_state() == before


def test_a_withdrawn_person_cannot_use_their_attempt(client, world):
    complete_lesson(world)
    attempt = QuizAttempt.objects.get(pk=start_attempt(client, world).json()["id"])
    cohort_services.enrolment_withdraw(enrolment=world.enrolment, actor=world.pm)
    before = db_state()
    right = {"responses": attempt_answers(attempt, right=True)}
    assert_problem(
        send(client, "post", world.candidate, f"/attempts/{attempt.pk}/submit", right),
        404,
        "not_found",
    )
    assert_problem(start_attempt(client, world), 400, "withdrawn")
    assert db_state() == before


def test_malformed_responses_are_refused(client, world):
    complete_lesson(world)
    attempt_id = start_attempt(client, world).json()["id"]
    before = db_state()
    for body in ({}, {"responses": []}, {"responses": {"1": 5}}, {"responses": {"1": "x" * 2001}}):
        response = send(client, "put", world.candidate, f"/attempts/{attempt_id}/responses", body)
        assert_problem(response, 422, "validation_error")
    assert db_state() == before


# --- Unauthenticated ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/programs",
        "/programs/1",
        "/programs/1/versions/1",
        "/programs/1/questions",
        "/cohorts",
        "/cohorts/1",
        "/cohorts/1/enrolments",
        "/enrolments",
        "/enrolments/1/progress",
        "/attempts/1",
    ],
)
def test_every_read_needs_a_caller(client, db, path):
    assert_problem(client.get(f"{API}{path}"), 401, "not_authenticated")


# --- The built-in curriculum ----------------------------------------------------------------


def test_trainer_essentials_is_reachable_through_the_api(client, program_manager, make_person):
    # Given the built-in curriculum, installed as the demo does, and a trainer enrolled in it
    program = install_trainer_essentials(actor=program_manager)
    trainer = make_person("trainer", display_name="Tess Trainer")
    cohort = open_cohort(program, program_manager, start=START)
    enrolment = enrol(cohort, trainer, program_manager)
    # When the trainer lists programs
    listed = get(client, trainer, "/programs")
    # Then Trainer Essentials is there, published
    assert [(p["title"], p["published_version"]) for p in listed.json()["items"]] == [
        ("Trainer Essentials", 1)
    ]
    # ...with its lessons (Markdown) and quizzes (settings and question counts) in version 1
    version = get(client, trainer, f"/programs/{program.pk}/versions/1").json()
    lessons = [s for s in version["steps"] if s["kind"] == "lesson"]
    quizzes = [s for s in version["steps"] if s["kind"] == "quiz"]
    assert len(lessons) >= 10
    assert len(quizzes) >= 10
    assert all(s["body"].strip() for s in lessons)
    assert all(s["question_count"] >= 1 and s["config"]["pass_mark"] for s in quizzes)
    assert len(version["modules"]) >= 2
    assert {s["module_id"] for s in version["steps"]} <= {m["id"] for m in version["modules"]}
    # ...and its first quiz can be taken through the API without any answer showing.
    first_lesson = Step.objects.get(pk=lessons[0]["id"])
    progress_services.lesson_complete(enrolment=enrolment, step=first_lesson)
    quiz = next(s for s in quizzes if s["prerequisites"] == [first_lesson.pk])
    started = send(
        client, "post", trainer, f"/enrolments/{enrolment.pk}/steps/{quiz['id']}/attempts"
    )
    assert started.status_code == 200
    assert len(started.json()["questions"]) == min(
        quiz["question_count"], quiz["config"]["draw_count"] or quiz["question_count"]
    )
    keys, _strings = words_in(started.json())
    assert keys & ANSWER_WORDS == set()
    text = started.content.decode()
    asked = StepQuestion.objects.filter(step_id=quiz["id"]).values("question_id")
    for question in Question.objects.filter(pk__in=asked):
        if question.explanation:
            assert question.explanation not in text
        for accepted in question.data.get("accepted", []):
            assert f'"{accepted}"' not in text
