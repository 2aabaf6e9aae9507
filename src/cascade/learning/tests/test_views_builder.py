"""The program builder's pages: each role on each view, what the allowed ones do, field errors
in place, drafts and versions, reorder without JavaScript, the question editor, the preview."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cascade.core.models import AuditEntry
from cascade.learning import portable
from cascade.learning.models import (
    Enrolment,
    Module,
    Program,
    ProgramVersion,
    Question,
    Step,
    StepQuestion,
    StepResource,
)
from cascade.learning.services import programs as svc
from cascade.learning.tests.factories import (
    build_path,
    enrol,
    open_cohort,
    quiz_questions,
    scoped_program_manager,
)
from cascade.people.models import Person
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PATH = [
    {"kind": "lesson", "title": "Asking questions", "body": "Ask **open** questions."},
    {"kind": "quiz", "title": "Check", "after": [0], "config": {"shuffle_questions": False}},
    {"kind": "on_the_job", "title": "Run a huddle", "config": {"checklist": ["Plan"]}},
]


@pytest.fixture
def world(db) -> dict[str, Any]:
    """North and South; a North program manager; in North, program P (v1 published, v2 draft)
    and program Q (v1 published, no draft)."""
    north = OrgUnitFactory(name="North", code="north")
    south = OrgUnitFactory(name="South", code="south")
    pm = scoped_program_manager(north, display_name="North PM", email="npm@example.org")
    p, _steps = build_path(pm, PATH, slug="p", org_unit=north)
    draft = svc.version_start_draft(program=p, actor=pm)
    q, _ = build_path(pm, PATH[:1], slug="q", org_unit=north)
    steps = list(Step.objects.filter(version=draft).order_by("position"))
    return {
        "north": north,
        "south": south,
        "pm": pm,
        "p": p,
        "q": q,
        "draft": draft,
        "steps": steps,
        "question": Question.objects.filter(program=p).order_by("id").first(),
    }


def viewer_of(kind: str, world: dict[str, Any]) -> Person:
    if kind == "other_pm":
        return scoped_program_manager(world["south"], display_name="South PM")
    return PersonFactory(roles=[kind], org_unit=world["north"])


def snapshot() -> dict[str, Any]:
    """Everything a denied or refused request could have changed."""
    through = Step.prerequisites.through
    return {
        "programs": list(
            Program.objects.order_by("pk").values("pk", "title", "slug", "audience", "org_unit")
        ),
        "versions": list(
            ProgramVersion.objects.order_by("pk").values("pk", "number", "status", "notes")
        ),
        "modules": list(Module.objects.order_by("pk").values("pk", "title", "position")),
        "steps": list(
            Step.objects.order_by("pk").values(
                "pk", "version", "title", "body", "position", "config", "required", "module"
            )
        ),
        "prerequisites": sorted(through.objects.values_list("from_step_id", "to_step_id")),
        "step_questions": sorted(
            StepQuestion.objects.values_list("step_id", "question_id", "position")
        ),
        "questions": list(
            Question.objects.order_by("pk").values("pk", "prompt", "data", "archived", "topic")
        ),
        "resources": StepResource.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def lesson_data(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Listening",
        "body": "Listen *well*.",
        "required": "on",
        "due_offset_days": "7",
        "video_url": "",
        "new_module": "",
    }
    data.update(changes)
    return data


def page(response: Any) -> str:
    return response.content.decode()


# --- Who may do what ------------------------------------------------------------------------

# (url name, method, args from the world, query string, POST data)
VIEWS: list[tuple[str, str, Callable[[dict[str, Any]], list[Any]], str, dict[str, Any]]] = [
    ("learning:program", "get", lambda w: [w["p"].pk], "", {}),
    ("learning:draft", "get", lambda w: [w["p"].pk], "", {}),
    ("learning:draft", "post", lambda w: [w["q"].pk], "", {}),
    ("learning:step_new", "get", lambda w: [w["p"].pk], "?kind=lesson", {}),
    ("learning:step_new", "post", lambda w: [w["p"].pk], "?kind=lesson", lesson_data()),
    ("learning:step_edit", "get", lambda w: [w["p"].pk, w["steps"][0].pk], "", {}),
    (
        "learning:step_edit",
        "post",
        lambda w: [w["p"].pk, w["steps"][0].pk],
        "",
        lesson_data(title="Changed"),
    ),
    (
        "learning:step_move",
        "post",
        lambda w: [w["p"].pk, w["steps"][0].pk],
        "",
        {"direction": "down"},
    ),
    ("learning:step_delete", "post", lambda w: [w["p"].pk, w["steps"][2].pk], "", {}),
    ("learning:steps_reorder", "post", lambda w: [w["p"].pk], "", {}),
    ("learning:preview", "get", lambda w: [w["p"].pk], "", {}),
    ("learning:publish", "post", lambda w: [w["p"].pk], "", {"notes": "x"}),
    ("learning:questions", "get", lambda w: [w["p"].pk], "", {}),
    ("learning:question_new", "get", lambda w: [w["p"].pk], "?kind=short", {}),
    (
        "learning:question_new",
        "post",
        lambda w: [w["p"].pk],
        "?kind=short",
        {"prompt": "Name it", "accepted": "it"},
    ),
    ("learning:question_edit", "get", lambda w: [w["p"].pk, w["question"].pk], "", {}),
    (
        "learning:question_edit",
        "post",
        lambda w: [w["p"].pk, w["question"].pk],
        "",
        {"prompt": "Changed", "option_1_text": "a", "option_1_correct": "on", "option_2_text": "b"},
    ),
    ("learning:program_export", "get", lambda w: [w["p"].pk], "", {}),
]
DENIED = {"learner": 403, "manager": 403, "trainer": 404, "master_trainer": 404, "other_pm": 404}


@pytest.mark.parametrize("viewer_kind", list(DENIED))
@pytest.mark.parametrize(
    ("name", "method", "args", "query", "data"),
    VIEWS,
    ids=[f"{v[0].split(':')[1]}-{v[1]}" for v in VIEWS],
)
def test_other_roles_and_scopes_are_denied_and_nothing_changes(
    client, world, viewer_kind, name, method, args, query, data
):
    # given someone who may not manage the program
    client.force_login(viewer_of(viewer_kind, world))
    if name == "learning:steps_reorder":
        data = {"order": [s.pk for s in reversed(world["steps"])]}
    before = snapshot()

    # when they open or post to the builder's page
    url = reverse(name, args=args(world)) + query
    response = getattr(client, method)(url, data)

    # then they are refused and nothing changed
    assert response.status_code == DENIED[viewer_kind]
    assert snapshot() == before


@pytest.mark.parametrize("viewer_kind", ["learner", "manager"])
@pytest.mark.parametrize(
    "name", ["learning:programs", "learning:program_new", "learning:program_import"]
)
def test_people_who_build_nothing_are_refused_the_lists_and_forms(client, world, viewer_kind, name):
    client.force_login(viewer_of(viewer_kind, world))
    before = snapshot()

    get = client.get(reverse(name))
    post = client.post(reverse(name), {"title": "Sneaky", "audience": "learners"})

    assert (get.status_code, post.status_code) == (403, 403)
    assert snapshot() == before


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("learning:draft", args=[world["p"].pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("learning:step_move", lambda w: [w["p"].pk, w["steps"][0].pk]),
        ("learning:step_delete", lambda w: [w["p"].pk, w["steps"][0].pk]),
        ("learning:steps_reorder", lambda w: [w["p"].pk]),
        ("learning:publish", lambda w: [w["p"].pk]),
    ],
)
def test_changes_are_never_made_by_get(client, world, name, args):
    client.force_login(world["pm"])
    before = snapshot()

    response = client.get(reverse(name, args=args(world)))

    assert response.status_code == 405
    assert snapshot() == before


def test_a_step_of_another_program_or_a_published_version_is_not_found(client, world):
    # given a step of Q (another program) and a step of P's published v1
    client.force_login(world["pm"])
    q_step = Step.objects.filter(version__program=world["q"]).first()
    published = Step.objects.filter(version__program=world["p"], version__number=1).first()
    before = snapshot()

    responses = [
        client.get(reverse("learning:step_edit", args=[world["p"].pk, q_step.pk])),
        client.post(
            reverse("learning:step_move", args=[world["p"].pk, published.pk]), {"direction": "up"}
        ),
        client.post(reverse("learning:step_delete", args=[world["p"].pk, published.pk])),
        client.post(
            reverse("learning:step_edit", args=[world["p"].pk, published.pk]), lesson_data()
        ),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert snapshot() == before


def test_a_question_of_another_program_is_not_found(client, world):
    client.force_login(world["pm"])
    other = Question.objects.filter(program=world["q"]).first() or svc.question_create(
        program=world["q"], kind="short", prompt="Other", data={"accepted": ["x"]}
    )
    before = snapshot()

    response = client.post(
        reverse("learning:question_edit", args=[world["p"].pk, other.pk]),
        {"prompt": "Stolen", "accepted": "y"},
    )

    assert response.status_code == 404
    assert snapshot() == before


# --- Program list, new program, detail --------------------------------------------------------


def test_program_list_shows_the_programs_in_scope_with_their_status(client, world):
    # given a program in South that the North manager does not manage
    south_pm = scoped_program_manager(world["south"])
    build_path(south_pm, PATH[:1], slug="south-only", org_unit=world["south"])
    client.force_login(world["pm"])

    response = client.get(reverse("learning:programs"))

    html = page(response)
    assert response.status_code == 200
    assert "Program p" in html
    assert "Program q" in html
    assert "south-only" not in html
    assert "Published v1" in html
    assert "Draft v2" in html


def test_program_list_query_count_does_not_grow_with_programs(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["pm"])
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("learning:programs"))
    for i in range(8):
        build_path(world["pm"], PATH[:1], slug=f"more-{i}", org_unit=world["north"])

    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("learning:programs"))

    assert page(response).count("Published v1") == 10


def test_a_trainer_lists_only_their_own_learner_programs(client, world):
    trainer = PersonFactory(roles=["trainer"])
    build_path(trainer, PATH[:1], slug="mine", audience="learners")
    client.force_login(trainer)

    html = page(client.get(reverse("learning:programs")))

    assert "Program mine" in html
    assert "Program p" not in html


def test_a_program_manager_creates_a_program_with_a_slug_from_its_title(client, world):
    client.force_login(world["pm"])

    response = client.post(
        reverse("learning:program_new"),
        {
            "title": "Coaching Skills 101",
            "slug": "",
            "summary": "For new coaches.",
            "audience": "trainers",
            "org_unit": world["north"].pk,
        },
    )

    program = Program.objects.get(title="Coaching Skills 101")
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:draft", args=[program.pk])
    assert (program.slug, program.summary, program.audience, program.org_unit) == (
        "coaching-skills-101",
        "For new coaches.",
        "trainers",
        world["north"],
    )
    assert list(program.versions.values_list("number", "status")) == [(1, "draft")]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"slug": "p"}, "slug", "That short name is taken."),
        ({"slug": "not a slug!"}, "slug", "Enter a valid “slug”"),
        ({"org_unit": "south"}, "org_unit", "Select a valid choice."),
        ({"org_unit": ""}, "org_unit", "This field is required."),
        ({"audience": "everyone"}, "audience", "Select a valid choice."),
    ],
    ids=["no-title", "slug-taken", "bad-slug", "unit-out-of-scope", "no-unit", "bad-audience"],
)
def test_a_bad_new_program_shows_field_errors_and_creates_nothing(
    client, world, changes, field, message
):
    client.force_login(world["pm"])
    data = {"title": "New one", "slug": "", "audience": "trainers", "org_unit": world["north"].pk}
    data.update(changes)
    if data.get("org_unit") == "south":
        data["org_unit"] = world["south"].pk
    before = snapshot()

    response = client.post(reverse("learning:program_new"), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    assert snapshot() == before


def test_a_trainer_creates_only_learner_programs(client, world):
    trainer = PersonFactory(roles=["trainer"], org_unit=world["north"])
    client.force_login(trainer)

    refused = client.post(
        reverse("learning:program_new"), {"title": "For trainers", "audience": "trainers"}
    )
    made = client.post(
        reverse("learning:program_new"), {"title": "Follow-up", "audience": "learners"}
    )

    assert "audience" in refused.context["form"].errors
    assert made.status_code == 302
    program = Program.objects.get(title="Follow-up")
    assert (program.audience, program.created_by) == ("learners", trainer)
    # and they may build it
    assert client.get(reverse("learning:draft", args=[program.pk])).status_code == 200


def test_a_trainer_may_not_build_another_trainers_program(client, world):
    owner = PersonFactory(roles=["trainer"])
    program, _ = build_path(owner, PATH[:1], slug="theirs", audience="learners")
    client.force_login(PersonFactory(roles=["trainer"]))
    before = snapshot()

    responses = [
        client.get(reverse("learning:draft", args=[program.pk])),
        client.post(reverse("learning:draft", args=[program.pk])),
        client.get(reverse("learning:program_export", args=[program.pk])),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert snapshot() == before


def test_program_detail_shows_the_version_history(client, world):
    client.force_login(world["pm"])
    v1 = world["p"].versions.get(number=1)

    response = client.get(reverse("learning:program", args=[world["p"].pk]))

    html = page(response)
    assert response.status_code == 200
    assert [(v.number, v.status) for v in response.context["versions"]] == [
        (2, "draft"),
        (1, "published"),
    ]
    assert v1.published_at is not None
    assert "Edit draft v2" in html


# --- Drafts and versions --------------------------------------------------------------------


def test_editing_a_published_program_starts_v2_and_enrolled_people_keep_v1(client, world):
    # given Q published as v1 with a person enrolled
    q = world["q"]
    v1 = q.versions.get()
    learner = PersonFactory(roles=["learner"])
    enrolment = enrol(open_cohort(q, world["pm"]), learner, world["pm"])
    client.force_login(world["pm"])
    before = client.get(reverse("learning:draft", args=[q.pk]))

    # when the manager clicks "Edit"
    response = client.post(reverse("learning:draft", args=[q.pk]))

    # then a v2 draft copied from v1 exists, v1 stays published, the person keeps v1
    assert "There is no draft" in page(before)
    assert response.status_code == 302
    v2 = q.versions.get(number=2)
    v1.refresh_from_db()
    assert (v1.status, v2.status) == ("published", "draft")
    assert list(v2.steps.values_list("title", "key")) == list(v1.steps.values_list("title", "key"))
    assert Enrolment.objects.get(pk=enrolment.pk).version_id == v1.pk
    assert "Draft v2" in page(client.get(reverse("learning:draft", args=[q.pk])))

    # and publishing v2 retires v1 for new cohorts but not for the person enrolled
    client.post(reverse("learning:publish", args=[q.pk]), {"notes": "Shorter"})
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status, v2.notes) == ("retired", "published", "Shorter")
    assert Enrolment.objects.get(pk=enrolment.pk).version_id == v1.pk


def test_starting_a_draft_twice_keeps_one_draft(client, world):
    client.force_login(world["pm"])

    client.post(reverse("learning:draft", args=[world["p"].pk]))

    assert world["p"].versions.filter(status="draft").count() == 1
    assert world["p"].versions.count() == 2


def test_the_draft_page_lists_steps_with_what_blocks_publishing(client, world):
    client.force_login(world["pm"])
    svc.step_create(version=world["draft"], kind="quiz", title="Empty quiz")

    response = client.get(reverse("learning:draft", args=[world["p"].pk]))

    html = page(response)
    assert [r.step.title for r in response.context["rows"]] == [
        "Asking questions",
        "Check",
        "Run a huddle",
        "Empty quiz",
    ]
    assert response.context["problems"] == ["The quiz “Empty quiz” has no questions."]
    assert "Before you can publish:" in html
    assert "After: Asking questions" in html


def test_publishing_an_unpublishable_draft_shows_the_problems(client, world):
    # given a draft whose lesson has no content and whose quiz has no questions
    client.force_login(world["pm"])
    lesson, quiz = world["steps"][0], world["steps"][1]
    svc.step_update(step=lesson, body="")
    svc.step_questions_set(step=quiz, question_ids=[])
    before = snapshot()

    response = client.post(reverse("learning:publish", args=[world["p"].pk]), {"notes": "Go"})

    assert response.status_code == 400
    assert response.context["refused"] == [
        "The lesson “Asking questions” has no content.",
        "The quiz “Check” has no questions.",
    ]
    assert "Version 2 was not published." in page(response)
    assert snapshot() == before


def test_publishing_a_ready_draft(client, world):
    client.force_login(world["pm"])

    response = client.post(
        reverse("learning:publish", args=[world["p"].pk]), {"notes": "Added a huddle"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("learning:program", args=[world["p"].pk])
    draft = ProgramVersion.objects.get(pk=world["draft"].pk)
    assert (draft.status, draft.notes, draft.published_by) == (
        "published",
        "Added a huddle",
        world["pm"],
    )
    assert world["p"].versions.get(number=1).status == "retired"


def test_publishing_without_a_draft_changes_nothing(client, world):
    client.force_login(world["pm"])
    before = snapshot()

    response = client.post(reverse("learning:publish", args=[world["q"].pk]), {"notes": ""})

    assert response.status_code == 302
    assert snapshot() == before


@pytest.mark.parametrize("name", ["learning:draft", "learning:preview"])
def test_draft_and_preview_query_counts_do_not_grow_with_steps(
    client, world, django_assert_max_num_queries, name
):
    # given two drafts, of 5 and of 30 steps of every kind, with questions, files and links
    pm = world["pm"]
    client.force_login(pm)

    def draft_with(n: int, slug: str) -> Program:
        program = svc.program_create(title=slug, slug=slug, actor=pm, org_unit=world["north"])
        version = svc.draft_version(program)
        bank = quiz_questions(program)
        module = svc.module_create(version=version, title="Week 1")
        kinds = ["lesson", "quiz", "on_the_job", "reflection", "mentoring", "teach_back"]
        previous = None
        for i in range(n):
            step = svc.step_create(
                version=version,
                kind=kinds[i % len(kinds)],
                title=f"Step {i}",
                body="Text",
                module=module if i % 2 else None,
                due_offset_days=i,
            )
            if step.kind == "quiz":
                svc.step_questions_set(step=step, question_ids=[q.pk for q in bank])
            if step.kind == "lesson":
                svc.resource_add(step=step, upload=SimpleUploadedFile("a.pdf", PDF))
            if previous is not None:
                svc.step_set_prerequisites(step=step, prerequisite_ids=[previous.pk])
            previous = step
        return program

    small, big = draft_with(5, "small"), draft_with(30, "big")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(name, args=[small.pk]))

    # when the bigger draft is shown, then it takes no more queries
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse(name, args=[big.pk]))
    assert response.status_code == 200
    assert "Step 29" in page(response)


# --- Steps ------------------------------------------------------------------------------------


def test_adding_a_step_starts_with_a_choice_of_kind(client, world):
    client.force_login(world["pm"])

    response = client.get(reverse("learning:step_new", args=[world["p"].pk]))

    html = page(response)
    assert response.status_code == 200
    for label in ("Lesson", "Quiz", "Live session", "Teach-back", "On-the-job task"):
        assert label in html
    assert "?kind=reflection" in html


def test_adding_a_lesson_with_a_module_a_prerequisite_and_a_file(client, world):
    client.force_login(world["pm"])
    first = world["steps"][0]

    response = client.post(
        reverse("learning:step_new", args=[world["p"].pk]) + "?kind=lesson",
        lesson_data(
            new_module="Week 2: Listening",
            video_url="https://video.example.org/listen",
            prerequisites=[first.pk],
            resource=SimpleUploadedFile("handout.pdf", PDF, content_type="application/pdf"),
            resource_title="Handout",
        ),
    )

    step = Step.objects.get(version=world["draft"], title="Listening")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#step-{step.pk}")
    assert (step.kind, step.body, step.position, step.due_offset_days, step.required) == (
        "lesson",
        "Listen *well*.",
        4,
        7,
        True,
    )
    assert step.config == {"video_url": "https://video.example.org/listen"}
    assert step.module.title == "Week 2: Listening"
    assert list(step.prerequisites.values_list("pk", flat=True)) == [first.pk]
    resource = step.resources.get()
    assert (resource.title, resource.original_name, resource.file.read()) == (
        "Handout",
        "handout.pdf",
        PDF,
    )


@pytest.mark.parametrize(
    ("kind", "data", "config"),
    [
        (
            "quiz",
            {
                "pass_mark": "70",
                "attempts_limit": "0",
                "time_limit_minutes": "20",
                "draw_count": "",
                "policy": "last",
                "shuffle_options": "on",
            },
            {
                "pass_mark": 70,
                "attempts_limit": 0,
                "time_limit_minutes": 20,
                "shuffle_questions": False,
                "shuffle_options": True,
                "draw_count": None,
                "policy": "last",
                "show_answers": "final",
            },
        ),
        (
            "on_the_job",
            {"checklist": "Plan the huddle\n\n  Run it  \nWrite notes", "evidence_required": ""},
            {"checklist": ["Plan the huddle", "Run it", "Write notes"], "evidence_required": False},
        ),
        (
            "live_session",
            {
                "starts_at": "2026-11-03T10:00",
                "ends_at": "2026-11-03T11:30",
                "venue": "Room 4",
                "join_url": "https://meet.example.org/abc",
            },
            {
                "starts_at": "2026-11-03T10:00:00+00:00",
                "ends_at": "2026-11-03T11:30:00+00:00",
                "venue": "Room 4",
                "join_url": "https://meet.example.org/abc",
            },
        ),
        ("reflection", {"min_words": "120"}, {"min_words": 120}),
        ("mentoring", {"meetings_required": "3"}, {"meetings_required": 3}),
        (
            "teach_back",
            {"duration_minutes": "10"},
            {"duration_minutes": 10, "peers_may_observe": False},
        ),
        (
            "teach_back",
            {"duration_minutes": "10", "peers_may_observe": "on"},
            {"duration_minutes": 10, "peers_may_observe": True},
        ),
    ],
)
def test_adding_a_step_of_each_kind_saves_its_settings(client, world, kind, data, config):
    client.force_login(world["pm"])

    response = client.post(
        reverse("learning:step_new", args=[world["p"].pk]) + f"?kind={kind}",
        {"title": f"A {kind}", "body": "Do it.", "required": "on", **data},
    )

    assert response.status_code == 302, response.context["form"].errors
    step = Step.objects.get(version=world["draft"], title=f"A {kind}")
    assert (step.kind, step.config) == (kind, config)


def test_a_quiz_takes_bank_questions_in_the_order_typed(client, world):
    client.force_login(world["pm"])
    a, b, c = Question.objects.filter(program=world["p"]).order_by("id")

    response = client.post(
        reverse("learning:step_new", args=[world["p"].pk]) + "?kind=quiz",
        {
            "title": "Second check",
            "pass_mark": "80",
            "attempts_limit": "3",
            "draw_count": "2",
            "policy": "best",
            "questions": [a.pk, b.pk, c.pk],
            f"order_{a.pk}": "3",
            f"order_{b.pk}": "",
            f"order_{c.pk}": "1",
        },
    )

    assert response.status_code == 302
    step = Step.objects.get(version=world["draft"], title="Second check")
    assert list(step.step_questions.values_list("question_id", flat=True)) == [c.pk, a.pk, b.pk]
    assert step.config["draw_count"] == 2


def test_the_quiz_editor_shows_the_chosen_questions_ticked_in_order(client, world):
    client.force_login(world["pm"])
    quiz = world["steps"][1]

    response = client.get(reverse("learning:step_edit", args=[world["p"].pk, quiz.pk]))

    rows = response.context["form"].question_rows()
    assert [(r["checked"], r["order"].value()) for r in rows] == [(True, 1), (True, 2), (True, 3)]


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        ("quiz", {"pass_mark": "150"}, "pass_mark", "Must be between 0 and 100."),
        ("quiz", {"attempts_limit": "many"}, "attempts_limit", "Enter a whole number."),
        ("quiz", {"policy": "worst"}, "policy", "Select a valid choice."),
        (
            "lesson",
            {"video_url": "javascript:alert(1)"},
            "video_url",
            "Must be an http(s) address.",
        ),
        ("lesson", {"title": ""}, "title", "This field is required."),
        ("lesson", {"due_offset_days": "-1"}, "due_offset_days", "greater than or equal to 0"),
        (
            "lesson",
            {"resource": SimpleUploadedFile("run.exe", b"MZ\x90\x00")},
            "resource",
            "Files of type “.exe” are not accepted.",
        ),
        (
            "lesson",
            {"resource": SimpleUploadedFile("fake.pdf", b"<html></html>")},
            "resource",
            "does not contain what its name says",
        ),
        (
            "live_session",
            {"starts_at": "2026-11-03T10:00", "ends_at": "2026-11-03T09:00"},
            "ends_at",
            "Must be after the start.",
        ),
        ("live_session", {"starts_at": "soon"}, "starts_at", "Enter a valid date/time."),
        ("reflection", {"min_words": "99999"}, "min_words", "Must be between 0 and 5000."),
        ("mentoring", {"meetings_required": "0"}, "meetings_required", "Must be between 1 and 20."),
        ("teach_back", {"duration_minutes": "0"}, "duration_minutes", "Must be between 1 and 480."),
    ],
)
def test_bad_step_input_shows_field_errors_and_saves_nothing(
    client, world, kind, data, field, message
):
    client.force_login(world["pm"])
    before = snapshot()

    response = client.post(
        reverse("learning:step_new", args=[world["p"].pk]) + f"?kind={kind}",
        {"title": "Bad", "required": "on", **data},
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert 'class="error"' in page(response)
    assert snapshot() == before


def test_a_prerequisite_must_be_an_earlier_step(client, world):
    client.force_login(world["pm"])
    first, _second, third = world["steps"]
    before = snapshot()

    response = client.post(
        reverse("learning:step_edit", args=[world["p"].pk, first.pk]),
        lesson_data(prerequisites=[third.pk]),
    )

    assert response.status_code == 400
    assert "prerequisites" in response.context["form"].errors
    assert snapshot() == before


def test_editing_a_step_changes_only_the_draft(client, world):
    client.force_login(world["pm"])
    lesson = world["steps"][0]
    published = Step.objects.get(version__program=world["p"], version__number=1, key=lesson.key)

    response = client.post(
        reverse("learning:step_edit", args=[world["p"].pk, lesson.pk]),
        lesson_data(title="Asking better questions", body="New text", required=""),
    )

    assert response.status_code == 302
    lesson.refresh_from_db()
    published.refresh_from_db()
    assert (lesson.title, lesson.body, lesson.required) == (
        "Asking better questions",
        "New text",
        False,
    )
    assert (published.title, published.body) == ("Asking questions", "Ask **open** questions.")


def test_the_step_editor_shows_the_steps_settings(client, world):
    client.force_login(world["pm"])
    quiz = world["steps"][1]

    response = client.get(reverse("learning:step_edit", args=[world["p"].pk, quiz.pk]))

    form = response.context["form"]
    assert response.status_code == 200
    assert form["pass_mark"].value() == 80
    assert form["shuffle_questions"].value() is False
    assert [p.pk for p in form.fields["prerequisites"].queryset] == [world["steps"][0].pk]
    assert form["prerequisites"].value() == [world["steps"][0].pk]


def test_moving_steps_up_and_down_without_javascript(client, world):
    client.force_login(world["pm"])
    a, b, c = world["steps"]

    down = client.post(
        reverse("learning:step_move", args=[world["p"].pk, a.pk]), {"direction": "down"}
    )
    order_after_down = list(
        Step.objects.filter(version=world["draft"])
        .order_by("position")
        .values_list("pk", flat=True)
    )
    client.post(reverse("learning:step_move", args=[world["p"].pk, c.pk]), {"direction": "up"})
    order_after_up = list(
        Step.objects.filter(version=world["draft"])
        .order_by("position")
        .values_list("pk", flat=True)
    )

    assert down.status_code == 302
    assert down["Location"] == reverse("learning:draft", args=[world["p"].pk]) + f"#step-{a.pk}"
    assert order_after_down == [b.pk, a.pk, c.pk]
    assert order_after_up == [b.pk, c.pk, a.pk]


def test_moving_the_first_step_up_changes_nothing_and_a_bad_direction_is_refused(client, world):
    client.force_login(world["pm"])
    first = world["steps"][0]
    before = snapshot()

    up = client.post(
        reverse("learning:step_move", args=[world["p"].pk, first.pk]), {"direction": "up"}
    )
    sideways = client.post(
        reverse("learning:step_move", args=[world["p"].pk, first.pk]), {"direction": "left"}
    )

    assert (up.status_code, sideways.status_code) == (302, 400)
    assert snapshot() == before


def test_the_draft_page_has_move_buttons_that_work_without_javascript(client, world):
    client.force_login(world["pm"])

    html = page(client.get(reverse("learning:draft", args=[world["p"].pk])))

    _first, second, _third = world["steps"]
    move = reverse("learning:step_move", args=[world["p"].pk, second.pk])
    assert f'action="{move}"' in html
    assert 'name="direction" value="up"' in html
    assert "Move “Asking questions” down" in html
    assert f'data-reorder-url="{reverse("learning:steps_reorder", args=[world["p"].pk])}"' in html


def test_reordering_all_steps_at_once(client, world):
    client.force_login(world["pm"])
    a, b, c = world["steps"]

    response = client.post(
        reverse("learning:steps_reorder", args=[world["p"].pk]),
        {"order": [c.pk, b.pk, a.pk]},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True}
    assert list(
        Step.objects.filter(version=world["draft"])
        .order_by("position")
        .values_list("pk", flat=True)
    ) == [c.pk, b.pk, a.pk]
    # the quiz's prerequisite (the lesson) now comes after it, so it was dropped
    assert list(b.prerequisites.all()) == []
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["One “open only after” link pointed to a later step and was removed."]


@pytest.mark.parametrize("order", [[], ["x"], "partial"])
def test_a_bad_new_order_is_refused_and_changes_nothing(client, world, order):
    client.force_login(world["pm"])
    if order == "partial":
        order = [world["steps"][0].pk]
    before = snapshot()

    as_json = client.post(
        reverse("learning:steps_reorder", args=[world["p"].pk]),
        {"order": order},
        HTTP_ACCEPT="application/json",
    )
    as_form = client.post(reverse("learning:steps_reorder", args=[world["p"].pk]), {"order": order})

    assert as_json.status_code == 400
    assert json.loads(as_json.content) == {
        "ok": False,
        "detail": "The new order must list every step once.",
    }
    assert as_form.status_code == 302
    assert snapshot() == before


def test_deleting_a_step(client, world):
    client.force_login(world["pm"])
    task = world["steps"][2]

    response = client.post(reverse("learning:step_delete", args=[world["p"].pk, task.pk]))

    assert response.status_code == 302
    assert list(
        Step.objects.filter(version=world["draft"])
        .order_by("position")
        .values_list("title", flat=True)
    ) == ["Asking questions", "Check"]
    # the published version still has it
    assert Step.objects.filter(
        version__number=1, version__program=world["p"], key=task.key
    ).exists()


# --- Preview ----------------------------------------------------------------------------------

NASTY = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"


def test_preview_shows_the_path_as_a_candidate_sees_it_without_answers(client, world):
    client.force_login(world["pm"])
    svc.step_update(step=world["steps"][0], due_offset_days=7)

    response = client.get(reverse("learning:preview", args=[world["p"].pk]))

    html = page(response)
    assert response.status_code == 200
    assert response.context["version"].pk == world["draft"].pk
    assert "Ask <strong>open</strong> questions." in html
    assert "Due 7 days after the start" in html
    assert "Opens after: Asking questions" in html
    # the quiz's questions are shown, none of their answers, feedback or explanations
    assert "Which question is open?" in html
    assert "Why did that happen?" in html
    assert "That is answered with yes or no." not in html
    assert "wait time" not in html
    assert '"correct"' not in html
    assert "Plan" in html  # the task's checklist


def test_preview_of_an_older_version_and_an_unknown_one(client, world):
    client.force_login(world["pm"])

    v1 = client.get(reverse("learning:preview", args=[world["p"].pk]) + "?version=1")
    v9 = client.get(reverse("learning:preview", args=[world["p"].pk]) + "?version=9")

    assert v1.context["version"].number == 1
    assert v9.status_code == 404


def test_preview_sanitises_markup_in_a_lesson(client, world):
    # given a lesson whose text and title try to run script
    client.force_login(world["pm"])
    svc.step_update(
        step=world["steps"][0],
        title=f"<img src=x onerror=alert(1)> {NASTY}",
        body=(
            "<svg onload=alert(1)></svg>\n\n<script>alert(2)</script>\n\n"
            "[click](javascript:alert(3)) and [ok](https://example.org)\n\n" + NASTY
        ),
    )

    html = page(client.get(reverse("learning:preview", args=[world["p"].pk])))

    assert "<svg onload" not in html
    assert "onload=alert(1)>" not in html
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html
    assert "&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp; &#x27; \\&#x27; 碁 \\ \\\\" in html


def test_preview_of_every_kind_of_question_renders(client, world):
    client.force_login(world["pm"])
    program = world["p"]
    extra = [
        svc.question_create(
            program=program,
            kind="multiple",
            prompt="Pick two",
            data={"options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}]},
        ),
        svc.question_create(
            program=program, kind="ordering", prompt="Order", data={"items": ["One", "Two"]}
        ),
        svc.question_create(
            program=program,
            kind="matching",
            prompt="Match",
            data={"pairs": [{"left": "L1", "right": "R1"}, {"left": "L2", "right": "R2"}]},
        ),
    ]
    quiz = world["steps"][1]
    current = list(quiz.step_questions.values_list("question_id", flat=True))
    svc.step_questions_set(step=quiz, question_ids=current + [q.pk for q in extra])

    response = client.get(reverse("learning:preview", args=[program.pk]))

    kinds = [q["kind"] for q in response.context["sections"][0].steps[1].questions]
    assert sorted(kinds) == ["matching", "multiple", "ordering", "short", "single", "true_false"]
    html = page(response)
    for text in ("Pick two", "Order", "One", "Two", "L1", "R2"):
        assert text in html


# --- Question bank ----------------------------------------------------------------------------


def test_question_bank_lists_and_filters_by_topic_and_bloom_level(client, world):
    client.force_login(world["pm"])
    url = reverse("learning:questions", args=[world["p"].pk])

    everything = client.get(url)
    by_topic = client.get(url, {"topic": "andragogy"})
    by_bloom = client.get(url, {"bloom": "understand"})

    assert [q.prompt for q in everything.context["page_obj"]] == [
        "Adults learn best by listening only.",
        "Which question is open?",
        "Name the pause after a question.",
    ]
    assert [q.prompt for q in by_topic.context["page_obj"]] == [
        "Adults learn best by listening only."
    ]
    assert [q.prompt for q in by_bloom.context["page_obj"]] == ["Which question is open?"]
    assert everything.context["topics"] == ["andragogy", "questioning"]


QUESTION_CASES = [
    (
        "single",
        {
            "option_1_text": "Why?",
            "option_1_correct": "on",
            "option_1_feedback": "Yes: it invites talk.",
            "option_2_text": "Is it?",
            "option_2_feedback": "Closed.",
        },
        {
            "options": [
                {"id": "1", "text": "Why?", "correct": True, "feedback": "Yes: it invites talk."},
                {"id": "2", "text": "Is it?", "correct": False, "feedback": "Closed."},
            ]
        },
    ),
    (
        "multiple",
        {
            "option_1_text": "A",
            "option_1_correct": "on",
            "option_3_text": "C",
            "option_3_correct": "on",
            "option_4_text": "D",
        },
        {
            "options": [
                {"id": "1", "text": "A", "correct": True, "feedback": ""},
                {"id": "2", "text": "C", "correct": True, "feedback": ""},
                {"id": "3", "text": "D", "correct": False, "feedback": ""},
            ]
        },
    ),
    (
        "true_false",
        {"answer": "false", "feedback_true": "Adults need practice."},
        {"answer": False, "feedback": {"true": "Adults need practice.", "false": ""}},
    ),
    ("short", {"accepted": "wait time\n\n Wait-time \n"}, {"accepted": ["wait time", "Wait-time"]}),
    ("ordering", {"items": "Plan\nDo\nReview"}, {"items": ["Plan", "Do", "Review"]}),
    (
        "matching",
        {"pairs": "Open = Why?\nClosed=Is it?\n"},
        {"pairs": [{"left": "Open", "right": "Why?"}, {"left": "Closed", "right": "Is it?"}]},
    ),
]


@pytest.mark.parametrize(
    ("kind", "data", "expected"), QUESTION_CASES, ids=[c[0] for c in QUESTION_CASES]
)
def test_adding_a_question_of_each_kind(client, world, kind, data, expected):
    client.force_login(world["pm"])
    form_page = client.get(reverse("learning:question_new", args=[world["p"].pk]) + f"?kind={kind}")

    response = client.post(
        reverse("learning:question_new", args=[world["p"].pk]) + f"?kind={kind}",
        {
            "prompt": f"A {kind} question",
            "topic": " feedback ",
            "bloom_level": "apply",
            "explanation": "Because.",
            **data,
        },
    )

    assert form_page.status_code == 200
    assert response.status_code == 302, response.context["form"].errors
    question = Question.objects.get(prompt=f"A {kind} question")
    assert (question.program, question.kind, question.data) == (world["p"], kind, expected)
    assert (question.topic, question.bloom_level, question.explanation) == (
        "feedback",
        "apply",
        "Because.",
    )


@pytest.mark.parametrize(
    ("kind", "data", "expected"), QUESTION_CASES, ids=[c[0] for c in QUESTION_CASES]
)
def test_the_question_editor_shows_and_keeps_each_kind(client, world, kind, data, expected):
    # given a question of each kind in the bank
    client.force_login(world["pm"])
    question = svc.question_create(program=world["p"], kind=kind, prompt="Q", data=expected)
    url = reverse("learning:question_edit", args=[world["p"].pk, question.pk])

    # when its editor is opened and saved as shown
    form = client.get(url).context["form"]
    shown = {
        name: value
        for name in form.fields
        if (value := form[name].value()) not in (None, "", False)
    }
    shown = {k: ("on" if v is True else v) for k, v in shown.items()}
    response = client.post(url, shown)

    # then nothing about the answer changed
    assert response.status_code == 302, response.context["form"].errors
    question.refresh_from_db()
    assert question.data == expected


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        (
            "single",
            {
                "option_1_text": "A",
                "option_1_correct": "on",
                "option_2_text": "B",
                "option_2_correct": "on",
            },
            "options",
            "Exactly one option must be correct.",
        ),
        (
            "single",
            {"option_1_text": "Only one", "option_1_correct": "on"},
            "options",
            "At least two options.",
        ),
        (
            "multiple",
            {"option_1_text": "A", "option_2_text": "B"},
            "options",
            "At least one option must be correct.",
        ),
        (
            "multiple",
            {"option_1_text": "A", "option_1_correct": "on", "option_3_feedback": "orphan"},
            "option_3_text",
            "Every option needs text.",
        ),
        ("true_false", {}, "answer", "This field is required."),
        ("short", {"accepted": "  \n?!"}, "accepted", "At least one accepted answer."),
        ("ordering", {"items": "Only"}, "items", "At least two items, in the correct order."),
        ("ordering", {"items": "Same\nSame"}, "items", "Items must all differ."),
        (
            "matching",
            {"pairs": "a = b\nno sign"},
            "pairs",
            "Lines 2 have no “=” between the two sides.",
        ),
        ("matching", {"pairs": "a = b\nc = "}, "pairs", "Every pair needs both sides."),
        ("short", {"accepted": "x", "prompt": ""}, "prompt", "This field is required."),
    ],
)
def test_a_bad_question_shows_its_error_in_place_and_saves_nothing(
    client, world, kind, data, field, message
):
    client.force_login(world["pm"])
    before = snapshot()

    response = client.post(
        reverse("learning:question_new", args=[world["p"].pk]) + f"?kind={kind}",
        {"prompt": "Which?", **data},
    )

    assert response.status_code == 400
    form = response.context["form"]
    errors = form.options_errors if field == "options" else form.errors.get(field, [])
    assert message in errors, (form.errors, form.options_errors)
    assert message.replace("“", "“") in page(response)
    assert snapshot() == before


def test_archiving_a_question_hides_it_from_new_quizzes(client, world):
    client.force_login(world["pm"])
    question = world["question"]
    url = reverse("learning:question_edit", args=[world["p"].pk, question.pk])
    form = client.get(url).context["form"]
    data = {n: form[n].value() for n in form.fields if form[n].value() not in (None, False)}

    client.post(url, {**{k: ("on" if v is True else v) for k, v in data.items()}, "archived": "on"})

    data_before = question.data
    question.refresh_from_db()
    assert question.archived is True
    # the options keep their ids ("a", "b") through the editor
    assert question.data == data_before
    assert [o["id"] for o in question.data["options"]] == ["a", "b"]
    bank_page = client.get(reverse("learning:questions", args=[world["p"].pk]))
    assert question not in list(bank_page.context["page_obj"])
    new_quiz = client.get(reverse("learning:step_new", args=[world["p"].pk]) + "?kind=quiz")
    assert question not in new_quiz.context["form"].bank


# --- Export and import ------------------------------------------------------------------------


def test_export_downloads_the_program_as_a_zip(client, world):
    client.force_login(world["pm"])

    response = client.get(reverse("learning:program_export", args=[world["p"].pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="p-v1.cascade.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        manifest = json.loads(archive.read("program.json"))
    assert [s["title"] for s in manifest["steps"]] == [
        "Asking questions",
        "Check",
        "Run a huddle",
    ]


def test_import_creates_a_draft_program_in_the_chosen_unit(client, world):
    client.force_login(world["pm"])
    data = portable.export_program(world["p"])

    response = client.post(
        reverse("learning:program_import"),
        {"file": SimpleUploadedFile("p.zip", data), "org_unit": world["north"].pk},
    )

    imported = Program.objects.get(slug="p-2")
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:program", args=[imported.pk])
    assert imported.org_unit == world["north"]
    assert list(imported.versions.values_list("number", "status")) == [(1, "draft")]


def test_import_of_a_bad_file_lists_every_reason_and_saves_nothing(client, world):
    client.force_login(world["pm"])
    manifest = json.loads(
        zipfile.ZipFile(io.BytesIO(portable.export_program(world["p"]))).read("program.json")
    )
    manifest["steps"][0]["kind"] = "podcast"
    manifest["steps"][1]["config"]["pass_mark"] = 500
    before = snapshot()

    response = client.post(
        reverse("learning:program_import"),
        {
            "file": SimpleUploadedFile("bad.json", json.dumps(manifest).encode()),
            "org_unit": world["north"].pk,
        },
    )

    assert response.status_code == 400
    assert response.context["problems"] == [
        "Step 1 (“Asking questions”) has an unknown kind “podcast”.",
        "Step 2 (“Check”): pass_mark: must be between 0 and 100.",
    ]
    html = page(response)
    assert "The file was refused; nothing was imported." in html
    assert "has an unknown kind “podcast”" in html
    assert snapshot() == before


def test_import_into_a_unit_out_of_scope_is_refused(client, world):
    client.force_login(world["pm"])
    before = snapshot()

    response = client.post(
        reverse("learning:program_import"),
        {
            "file": SimpleUploadedFile("p.zip", portable.export_program(world["p"])),
            "org_unit": world["south"].pk,
        },
    )

    assert response.status_code == 400
    assert "org_unit" in response.context["form"].errors
    assert snapshot() == before
