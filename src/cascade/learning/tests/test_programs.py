"""Building programs: versions, publishing, drafts copied from the published version, steps,
prerequisites and the question bank."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cascade.core.errors import ApplicationError
from cascade.core.models import AuditEntry
from cascade.learning.models import (
    Enrolment,
    Module,
    Program,
    ProgramVersion,
    Question,
    Step,
    StepProgress,
    StepQuestion,
    StepResource,
)
from cascade.learning.selectors import enrolment_path
from cascade.learning.services import programs as svc
from cascade.learning.services import progress as progress_svc
from cascade.learning.tests.factories import build_path, build_program, enrol, open_cohort


@pytest.fixture
def pm(make_person):
    return make_person("program_manager")


def draft_of(program: Program) -> ProgramVersion:
    version = svc.draft_version(program)
    assert version is not None
    return version


def snapshot(version: ProgramVersion) -> list[tuple]:
    """Everything about a version's content, to check that a refused edit changed nothing."""
    version.refresh_from_db()
    return [
        (version.status, version.number, version.notes),
        *[(m.pk, m.title, m.position) for m in Module.objects.filter(version=version)],
        *[
            (
                s.pk,
                s.title,
                s.body,
                s.position,
                s.required,
                s.config,
                sorted(s.prerequisites.values_list("pk", flat=True)),
                list(s.step_questions.values_list("question_id", "position")),
                list(s.resources.values_list("title", flat=True)),
            )
            for s in Step.objects.filter(version=version).order_by("pk")
        ],
    ]


def code_of(call, **kwargs) -> str:
    with pytest.raises(ApplicationError) as exc:
        call(**kwargs)
    return exc.value.code


# --- Creating and publishing ----------------------------------------------------------------


def test_program_create_makes_an_empty_draft_version_1(pm):
    program = svc.program_create(title="  Coaching  ", slug="coaching", actor=pm, summary="How")

    assert (program.title, program.slug, program.summary, program.audience) == (
        "Coaching",
        "coaching",
        "How",
        "trainers",
    )
    assert program.created_by == pm
    assert list(program.versions.values_list("number", "status")) == [(1, "draft")]
    assert svc.current_version(program) is None
    assert draft_of(program).steps.count() == 0
    assert list(
        AuditEntry.objects.filter(target_type="learning.program").values_list(
            "action", "target_id", "actor"
        )
    ) == [("learning.program.created", str(program.pk), pm.pk)]


def test_program_create_refuses_a_taken_slug_and_creates_nothing(pm):
    svc.program_create(title="Coaching", slug="coaching", actor=pm)

    with pytest.raises(ApplicationError) as exc:
        svc.program_create(title="Other", slug="coaching", actor=pm)

    assert (exc.value.code, exc.value.status) == ("slug_taken", 409)
    assert list(Program.objects.values_list("title", flat=True)) == ["Coaching"]
    assert ProgramVersion.objects.count() == 1


def test_program_update_changes_allowed_fields_and_is_audited(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)

    svc.program_update(program=program, actor=pm, title="Coaching 101", audience="learners")

    program.refresh_from_db()
    assert (program.title, program.audience) == ("Coaching 101", "learners")
    entry = AuditEntry.objects.get(action="learning.program.updated")
    assert (entry.target_id, entry.actor_id) == (str(program.pk), pm.pk)
    assert entry.changes == {"title": "Coaching 101", "audience": "learners"}


def test_program_update_refuses_other_fields(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    with pytest.raises(TypeError):
        svc.program_update(program=program, actor=pm, slug="hacked")
    program.refresh_from_db()
    assert program.slug == "coaching"


def test_an_empty_draft_cannot_be_published(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    version = draft_of(program)

    with pytest.raises(ApplicationError) as exc:
        svc.version_publish(version=version, actor=pm)

    assert exc.value.code == "not_publishable"
    assert exc.value.extra == {"problems": ["Add at least one step."]}
    version.refresh_from_db()
    assert (version.status, version.published_at) == ("draft", None)
    assert not AuditEntry.objects.filter(action="learning.version.published").exists()


def test_publish_lists_every_problem(pm):
    program, _steps = build_path(
        pm,
        [
            {"kind": "lesson", "title": "Empty lesson", "body": "  "},
            {
                "kind": "lesson",
                "title": "Video lesson",
                "body": "",
                "config": {"video_url": "https://v.example/1"},
            },
            {"kind": "quiz", "title": "No questions", "questions": []},
            {"kind": "quiz", "title": "Draws too many", "config": {"draw_count": 5}},
            {"kind": "quiz", "title": "Draws three", "config": {"draw_count": 3}},
            {"kind": "reflection", "title": "Fine"},
        ],
        publish=False,
    )
    version = draft_of(program)

    assert svc.publish_problems(version) == [
        "The lesson “Empty lesson” has no content.",
        "The quiz “No questions” has no questions.",
        "The quiz “Draws too many” draws 5 questions but has only 3.",
    ]
    with pytest.raises(ApplicationError) as exc:
        svc.version_publish(version=version, actor=pm)
    assert exc.value.extra["problems"] == svc.publish_problems(version)
    assert str(exc.value) == " ".join(svc.publish_problems(version))
    version.refresh_from_db()
    assert version.status == "draft"


def test_publish_freezes_the_draft_and_records_who(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}], publish=False)
    version = draft_of(program)

    svc.version_publish(version=version, actor=pm, notes="First run")

    version.refresh_from_db()
    assert (version.status, version.published_by, version.notes) == ("published", pm, "First run")
    assert version.published_at is not None
    assert svc.current_version(program) == version
    assert svc.draft_version(program) is None
    entry = AuditEntry.objects.get(action="learning.version.published")
    assert (entry.target_id, entry.changes) == (str(version.pk), {"number": 1})


def test_publishing_v2_retires_v1(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}])
    v1 = svc.current_version(program)
    v2 = svc.version_start_draft(program=program, actor=pm)

    svc.version_publish(version=v2, actor=pm)

    assert list(program.versions.order_by("number").values_list("number", "status")) == [
        (1, "retired"),
        (2, "published"),
    ]
    assert svc.current_version(program) == v2
    v1.refresh_from_db()
    assert v1.status == "retired"


def test_a_published_version_cannot_be_published_again(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}])
    version = svc.current_version(program)
    assert code_of(svc.version_publish, version=version, actor=pm) == "version_not_editable"
    assert AuditEntry.objects.filter(action="learning.version.published").count() == 1


def test_publishing_a_stale_copy_of_a_published_version_is_refused(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}], publish=False)
    stale = draft_of(program)
    svc.version_publish(version=draft_of(program), actor=pm)

    assert stale.status == "draft"  # the caller's copy is out of date
    assert code_of(svc.version_publish, version=stale, actor=pm) == "version_not_editable"
    assert AuditEntry.objects.filter(action="learning.version.published").count() == 1


# --- A published version never changes ------------------------------------------------------


def test_every_edit_of_a_published_version_is_refused_and_changes_nothing(pm):
    program, steps = build_program(pm)
    version = svc.current_version(program)
    module = Module.objects.create(version=version, title="Week 1", position=1)
    other = Question.objects.filter(program=program).first()
    before = snapshot(version)
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    lesson, quiz, task, reflection = steps.values()

    attempts = [
        (svc.module_create, {"version": version, "title": "Week 2"}),
        (svc.step_create, {"version": version, "kind": "lesson", "title": "New", "body": "x"}),
        (svc.step_update, {"step": lesson, "title": "Renamed"}),
        (svc.step_delete, {"step": reflection}),
        (
            svc.steps_reorder,
            {"version": version, "ordered_ids": [s.pk for s in reversed(steps.values())]},
        ),
        (svc.step_move, {"step": reflection, "direction": -1}),
        (svc.step_set_prerequisites, {"step": task, "prerequisite_ids": [lesson.pk]}),
        (svc.step_questions_set, {"step": quiz, "question_ids": [other.pk]}),
        (svc.resource_add, {"step": lesson, "upload": upload}),
    ]
    for call, kwargs in attempts:
        assert code_of(call, **kwargs) == "version_not_editable", call.__name__

    assert snapshot(version) == before
    assert Module.objects.filter(version=version).get() == module
    assert StepResource.objects.count() == 0


# --- Drafts of a published program ----------------------------------------------------------


def test_version_start_draft_copies_everything_with_new_rows(pm):
    program, steps = build_program(pm)
    v1 = svc.current_version(program)
    module = Module.objects.create(version=v1, title="Week 1", position=1)
    Step.objects.filter(pk=steps["lesson"].pk).update(module=module)
    Step.objects.filter(pk=steps["quiz"].pk).update(
        config={**steps["quiz"].config, "draw_count": 2}
    )
    steps["task"].prerequisites.add(steps["lesson"])  # v1 is frozen for services: link directly
    StepResource.objects.create(
        step=steps["lesson"],
        title="Slides",
        file="learning/resources/2026/01/abc.pdf",
        original_name="slides.pdf",
        content_type="application/pdf",
        size=1234,
    )

    v2 = svc.version_start_draft(program=program, actor=pm)

    assert (v2.number, v2.status) == (2, "draft")
    new_steps = list(v2.steps.order_by("position"))
    old_steps = list(v1.steps.order_by("position"))
    assert [s.key for s in new_steps] == [s.key for s in old_steps]
    assert {s.pk for s in new_steps}.isdisjoint({s.pk for s in old_steps})
    assert [
        (s.kind, s.title, s.body, s.position, s.required, s.due_offset_days, s.config)
        for s in new_steps
    ] == [
        (s.kind, s.title, s.body, s.position, s.required, s.due_offset_days, s.config)
        for s in old_steps
    ]
    new_module = Module.objects.get(version=v2)
    assert (new_module.title, new_module.position) == ("Week 1", 1)
    assert new_module.pk != module.pk
    assert [s.module_id for s in new_steps] == [new_module.pk, None, None, None]
    by_key = {s.key: s for s in new_steps}
    new_lesson, new_quiz, new_task, _new_reflection = (
        by_key[steps[name].key] for name in ("lesson", "quiz", "task", "reflection")
    )
    assert list(new_quiz.prerequisites.all()) == [new_lesson]
    assert set(new_task.prerequisites.all()) == {new_lesson, new_quiz}
    assert list(new_quiz.step_questions.values_list("question_id", "position")) == list(
        steps["quiz"].step_questions.values_list("question_id", "position")
    )
    resource = new_lesson.resources.get()
    assert (resource.title, resource.file.name, resource.original_name, resource.size) == (
        "Slides",
        "learning/resources/2026/01/abc.pdf",
        "slides.pdf",
        1234,
    )
    # v1 is untouched
    assert list(steps["quiz"].prerequisites.all()) == [steps["lesson"]]
    assert steps["lesson"].resources.count() == 1
    assert AuditEntry.objects.filter(action="learning.version.draft_started").count() == 1


def test_version_start_draft_is_idempotent(pm):
    program, _steps = build_program(pm)

    first = svc.version_start_draft(program=program, actor=pm)
    second = svc.version_start_draft(program=program, actor=pm)

    assert first == second
    assert program.versions.count() == 2
    assert Step.objects.filter(version=first).count() == 4
    assert AuditEntry.objects.filter(action="learning.version.draft_started").count() == 1


def test_version_start_draft_of_an_unpublished_program_returns_its_draft(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    assert svc.version_start_draft(program=program, actor=pm) == draft_of(program)
    assert program.versions.count() == 1


def test_people_enrolled_on_v1_keep_v1_after_v2_is_published(pm, make_person):
    candidate = make_person("trainer")
    program, steps = build_program(pm)
    v1 = svc.current_version(program)
    cohort = open_cohort(program, pm)
    enrolment = enrol(cohort, candidate, pm)
    progress_svc.lesson_complete(enrolment=enrolment, step=steps["lesson"])
    v2 = svc.version_start_draft(program=program, actor=pm)
    svc.step_create(version=v2, kind="lesson", title="Brand new", body="New")
    svc.step_update(step=v2.steps.get(key=steps["lesson"].key), title="Renamed in v2")
    svc.version_publish(version=v2, actor=pm)

    enrolment = Enrolment.objects.get(pk=enrolment.pk)
    path = enrolment_path(enrolment)

    assert enrolment.version == v1
    assert [s.step.id for s in path.steps] == [s.pk for s in steps.values()]
    assert next(s.step.title for s in path.steps) == "Asking questions"
    assert [s.status for s in path.steps] == [
        "completed",
        "not_started",
        "not_started",
        "not_started",
    ]
    assert path.next_step.step.id == steps["quiz"].pk
    assert StepProgress.objects.get(enrolment=enrolment).step == steps["lesson"]
    # a new cohort runs v2
    assert open_cohort(program, pm).version == v2
    # and a newcomer to the old cohort still joins its version
    assert enrol(cohort, make_person("trainer"), pm).version == v1


# --- Steps, order and prerequisites ---------------------------------------------------------


def test_step_create_appends_and_validates_its_settings(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    version = draft_of(program)

    first = svc.step_create(version=version, kind="lesson", title=" Intro ", body="x")
    second = svc.step_create(version=version, kind="quiz", title="Check", config={"pass_mark": 60})

    assert (first.title, first.position, first.config) == ("Intro", 1, {"video_url": ""})
    assert second.position == 2
    assert second.config["pass_mark"] == 60
    with pytest.raises(ApplicationError) as exc:
        svc.step_create(version=version, kind="quiz", title="Bad", config={"pass_mark": 101})
    assert (exc.value.code, exc.value.extra) == (
        "invalid_config",
        {"errors": {"pass_mark": "must be between 0 and 100"}},
    )
    assert version.steps.count() == 2


def test_step_create_refuses_a_module_of_another_version(pm):
    program, _steps = build_path(pm, [{"kind": "lesson"}])
    other = svc.program_create(title="Other", slug="other", actor=pm)
    foreign = svc.module_create(version=draft_of(other), title="Theirs")
    draft = svc.version_start_draft(program=program, actor=pm)

    assert (
        code_of(svc.step_create, version=draft, kind="lesson", title="x", module=foreign)
        == "bad_module"
    )
    step = draft.steps.get()
    assert code_of(svc.step_update, step=step, module=foreign) == "bad_module"
    step.refresh_from_db()
    assert step.module_id is None


def test_step_update_validates_the_config_for_the_step_kind(pm):
    _program, (reflection,) = build_path(pm, [{"kind": "reflection"}], publish=False)
    with pytest.raises(ApplicationError) as exc:
        svc.step_update(step=reflection, config={"min_words": -5})
    assert exc.value.extra == {"errors": {"min_words": "must be between 0 and 5000"}}
    reflection.refresh_from_db()
    assert reflection.config == {"min_words": 50}
    svc.step_update(step=reflection, config={"min_words": 10}, title="Think")
    reflection.refresh_from_db()
    assert (reflection.config, reflection.title) == ({"min_words": 10}, "Think")


def test_steps_reorder_sets_positions(pm):
    program, (a, b, c) = build_path(pm, [{"kind": "lesson"}] * 3, publish=False)

    svc.steps_reorder(version=draft_of(program), ordered_ids=[c.pk, a.pk, b.pk])

    assert list(draft_of(program).steps.order_by("position").values_list("pk", "position")) == [
        (c.pk, 1),
        (a.pk, 2),
        (b.pk, 3),
    ]


@pytest.mark.parametrize("bad", ["missing", "duplicate", "foreign", "extra"])
def test_steps_reorder_needs_every_step_exactly_once(pm, bad):
    program, (a, b, c) = build_path(pm, [{"kind": "lesson"}] * 3, publish=False)
    _other, (foreign,) = build_path(pm, [{"kind": "lesson"}], slug="other", publish=False)
    ids = {
        "missing": [a.pk, b.pk],
        "duplicate": [a.pk, b.pk, b.pk],
        "foreign": [a.pk, b.pk, foreign.pk],
        "extra": [a.pk, b.pk, c.pk, foreign.pk],
    }[bad]
    version = draft_of(program)
    before = snapshot(version)

    assert code_of(svc.steps_reorder, version=version, ordered_ids=ids) == "bad_order"
    assert snapshot(version) == before
    foreign.refresh_from_db()
    assert foreign.position == 1


def test_steps_reorder_drops_prerequisites_that_would_point_forward(pm):
    program, (a, b, c) = build_path(
        pm,
        [{"kind": "lesson"}, {"kind": "lesson", "after": [0]}, {"kind": "lesson", "after": [0, 1]}],
        publish=False,
    )

    svc.steps_reorder(version=draft_of(program), ordered_ids=[b.pk, c.pk, a.pk])

    assert list(a.prerequisites.all()) == []
    assert list(b.prerequisites.all()) == []  # a is now after b
    assert list(c.prerequisites.all()) == [b]  # b still comes first; a does not


def test_step_move_swaps_with_a_neighbour_and_stops_at_the_ends(pm):
    program, (a, b, c) = build_path(pm, [{"kind": "lesson"}] * 3, publish=False)
    version = draft_of(program)

    svc.step_move(step=c, direction=-1)
    assert list(version.steps.order_by("position").values_list("pk", flat=True)) == [
        a.pk,
        c.pk,
        b.pk,
    ]
    svc.step_move(step=Step.objects.get(pk=a.pk), direction=-1)
    assert list(version.steps.order_by("position").values_list("pk", flat=True)) == [
        a.pk,
        c.pk,
        b.pk,
    ]


def test_step_set_prerequisites_accepts_earlier_steps_of_the_same_version(pm):
    _program, (a, b, c) = build_path(pm, [{"kind": "lesson"}] * 3, publish=False)
    svc.step_set_prerequisites(step=c, prerequisite_ids=[a.pk, b.pk])
    assert set(c.prerequisites.all()) == {a, b}
    svc.step_set_prerequisites(step=c, prerequisite_ids=[])
    assert list(c.prerequisites.all()) == []


@pytest.mark.parametrize("target", ["later", "itself", "other_version", "other_program"])
def test_step_set_prerequisites_refuses_anything_but_earlier_steps(pm, target):
    program, (a, _b, _c) = build_path(
        pm, [{"kind": "lesson"}, {"kind": "lesson", "after": [0]}, {"kind": "lesson"}]
    )
    draft = svc.version_start_draft(program=program, actor=pm)
    a2, b2, c2 = draft.steps.order_by("position")
    _other, (foreign,) = build_path(pm, [{"kind": "lesson"}], slug="other", publish=False)
    wanted = {"later": c2.pk, "itself": b2.pk, "other_version": a.pk, "other_program": foreign.pk}[
        target
    ]

    assert (
        code_of(svc.step_set_prerequisites, step=b2, prerequisite_ids=[wanted])
        == "bad_prerequisite"
    )
    assert list(b2.prerequisites.all()) == [a2]


# --- Question bank --------------------------------------------------------------------------


def test_question_create_stores_the_cleaned_data(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    question = svc.question_create(
        program=program,
        kind="short",
        prompt="  Pause?  ",
        data={"accepted": " wait time "},
        topic=" q ",
    )
    question.refresh_from_db()
    assert (question.prompt, question.data, question.topic) == (
        "Pause?",
        {"accepted": ["wait time"]},
        "q",
    )


def test_question_create_refuses_invalid_questions_and_stores_nothing(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    with pytest.raises(ApplicationError) as exc:
        svc.question_create(
            program=program, kind="ordering", prompt="Order", data={"items": ["one"]}
        )
    assert (exc.value.code, exc.value.extra) == (
        "invalid_question",
        {"errors": {"items": "at least two items, in the correct order"}},
    )
    assert (
        code_of(
            svc.question_create,
            program=program,
            kind="short",
            prompt="  ",
            data={"accepted": ["x"]},
        )
        == "invalid_question"
    )
    assert Question.objects.count() == 0


def test_question_update_revalidates_data_for_its_kind(pm):
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    question = svc.question_create(
        program=program, kind="true_false", prompt="Sky blue?", data={"answer": True}
    )
    assert (
        code_of(svc.question_update, question=question, data={"answer": "yes"})
        == "invalid_question"
    )
    question.refresh_from_db()
    assert question.data == {"answer": True, "feedback": {"true": "", "false": ""}}
    with pytest.raises(TypeError):
        svc.question_update(question=question, kind="short")


def test_step_questions_set_orders_and_dedupes(pm):
    program, (quiz,) = build_path(pm, [{"kind": "quiz", "questions": []}], publish=False)
    q1, q2, q3 = (
        svc.question_create(program=program, kind="short", prompt=f"Q{i}", data={"accepted": ["a"]})
        for i in range(3)
    )

    svc.step_questions_set(step=quiz, question_ids=[q3.pk, q1.pk, q3.pk])

    assert list(quiz.step_questions.values_list("question_id", "position")) == [
        (q3.pk, 1),
        (q1.pk, 2),
    ]
    svc.step_questions_set(step=quiz, question_ids=[q2.pk])
    assert list(quiz.step_questions.values_list("question_id", flat=True)) == [q2.pk]


@pytest.mark.parametrize("which", ["other_program", "archived", "missing"])
def test_step_questions_set_refuses_questions_outside_the_bank(pm, which):
    program, (quiz,) = build_path(pm, [{"kind": "quiz"}], publish=False)
    before = list(quiz.step_questions.values_list("question_id", flat=True))
    other = svc.program_create(title="Other", slug="other", actor=pm)
    foreign = svc.question_create(program=other, kind="short", prompt="Q", data={"accepted": ["a"]})
    archived = svc.question_create(
        program=program, kind="short", prompt="Old", data={"accepted": ["a"]}
    )
    svc.question_update(question=archived, archived=True)
    bad = {"other_program": foreign.pk, "archived": archived.pk, "missing": 999_999}[which]

    assert (
        code_of(svc.step_questions_set, step=quiz, question_ids=[before[0], bad]) == "bad_question"
    )
    assert list(quiz.step_questions.values_list("question_id", flat=True)) == before


def test_only_quiz_steps_take_questions(pm):
    program, (lesson,) = build_path(pm, [{"kind": "lesson"}], publish=False)
    question = svc.question_create(
        program=program, kind="short", prompt="Q", data={"accepted": ["a"]}
    )
    assert code_of(svc.step_questions_set, step=lesson, question_ids=[question.pk]) == "not_a_quiz"
    assert StepQuestion.objects.count() == 0


def test_resource_add_stores_a_checked_file_under_a_random_name(pm):
    _program, (lesson,) = build_path(pm, [{"kind": "lesson"}], publish=False)
    upload = SimpleUploadedFile(
        "../../Handout.txt", b"Ask open questions.\n", content_type="text/html"
    )

    resource = svc.resource_add(step=lesson, upload=upload)

    assert (resource.title, resource.original_name, resource.content_type, resource.size) == (
        "Handout.txt",
        "Handout.txt",
        "text/plain",
        20,
    )
    assert resource.file.name.startswith("learning/resources/")
    assert resource.file.name.endswith(".txt")
    assert "Handout" not in resource.file.name
    with resource.file.open("rb") as stored:
        assert stored.read() == b"Ask open questions.\n"


def test_resource_add_refuses_a_bad_file_and_stores_nothing(pm):
    _program, (lesson,) = build_path(pm, [{"kind": "lesson"}], publish=False)
    upload = SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    assert code_of(svc.resource_add, step=lesson, upload=upload) == "upload_type"
    assert StepResource.objects.count() == 0
