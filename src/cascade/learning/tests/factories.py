"""Builders for learning tests: a small published program with one step of each kind."""

from __future__ import annotations

from datetime import date
from typing import Any

from cascade.learning.models import Cohort, Program, Question, Step
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import programs as program_services
from cascade.people.models import Person


def quiz_questions(program: Program) -> list[Question]:
    """Three questions: single choice, short answer, true/false."""
    return [
        program_services.question_create(
            program=program,
            kind="single",
            prompt="Which question is open?",
            data={
                "options": [
                    {"id": "a", "text": "Why did that happen?", "correct": True},
                    {
                        "id": "b",
                        "text": "Is it Tuesday?",
                        "correct": False,
                        "feedback": "That is answered with yes or no.",
                    },
                ]
            },
            topic="questioning",
            bloom_level="understand",
        ),
        program_services.question_create(
            program=program,
            kind="short",
            prompt="Name the pause after a question.",
            data={"accepted": ["wait time"]},
            topic="questioning",
            bloom_level="remember",
        ),
        program_services.question_create(
            program=program,
            kind="true_false",
            prompt="Adults learn best by listening only.",
            data={"answer": False},
            topic="andragogy",
            bloom_level="remember",
        ),
    ]


def build_program(
    actor: Person, *, slug: str = "essentials", publish: bool = True, **quiz_config: Any
) -> tuple[Program, dict[str, Step]]:
    """A program with lesson → quiz → on-the-job task → reflection, published."""
    program = program_services.program_create(title="Facilitation basics", slug=slug, actor=actor)
    version = program_services.draft_version(program)
    assert version is not None
    lesson = program_services.step_create(
        version=version,
        kind="lesson",
        title="Asking questions",
        body="# Questions\nAsk open questions.",
        due_offset_days=7,
    )
    quiz = program_services.step_create(
        version=version,
        kind="quiz",
        title="Check: questions",
        due_offset_days=14,
        config={"pass_mark": 100, "attempts_limit": 3, "shuffle_questions": False, **quiz_config},
    )
    program_services.step_set_prerequisites(step=quiz, prerequisite_ids=[lesson.pk])
    program_services.step_questions_set(
        step=quiz, question_ids=[q.pk for q in quiz_questions(program)]
    )
    task = program_services.step_create(
        version=version,
        kind="on_the_job",
        title="Run a huddle",
        due_offset_days=30,
        config={"checklist": ["Plan three questions", "Run the huddle"], "evidence_required": True},
    )
    program_services.step_set_prerequisites(step=task, prerequisite_ids=[quiz.pk])
    reflection = program_services.step_create(
        version=version,
        kind="reflection",
        title="What surprised you?",
        body="Reflect.",
        required=False,
        config={"min_words": 3},
    )
    if publish:
        program_services.version_publish(version=version, actor=actor)
    return program, {"lesson": lesson, "quiz": quiz, "task": task, "reflection": reflection}


def open_cohort(
    program: Program,
    actor: Person,
    *,
    masters: list[Person] = (),  # type: ignore[assignment]
    start: date | None = None,
) -> Cohort:
    return cohort_services.cohort_create(
        program=program,
        name="Spring intake",
        start_date=start or date(2026, 11, 1),
        actor=actor,
        master_trainers=masters,
    )


# --- Helpers for the engine's tests (appended) -----------------------------------------------

from cascade.learning.models import Enrolment, QuizAttempt  # noqa: E402


def build_path(
    actor: Person,
    steps: list[dict[str, Any]],
    *,
    slug: str = "path",
    publish: bool = True,
    audience: str = "trainers",
    org_unit: Any = None,
) -> tuple[Program, list[Step]]:
    """A program whose draft holds ``steps`` (dicts of step_create arguments, plus ``after``:
    indexes of earlier steps that are prerequisites); quiz steps get the three
    :func:`quiz_questions` unless they name ``questions``; published unless told otherwise."""
    program = program_services.program_create(
        title=f"Program {slug}", slug=slug, actor=actor, audience=audience, org_unit=org_unit
    )
    version = program_services.draft_version(program)
    assert version is not None
    bank: list[Question] | None = None
    made: list[Step] = []
    for spec in steps:
        spec = dict(spec)
        after = spec.pop("after", ())
        questions = spec.pop("questions", None)
        spec.setdefault("title", f"{spec['kind']} {len(made) + 1}")
        if spec["kind"] == "lesson":
            spec.setdefault("body", "Read this.")
        created = program_services.step_create(version=version, **spec)
        if after:
            program_services.step_set_prerequisites(
                step=created, prerequisite_ids=[made[i].pk for i in after]
            )
        if spec["kind"] == "quiz":
            if questions is None:
                bank = bank or quiz_questions(program)
                questions = bank
            program_services.step_questions_set(
                step=created, question_ids=[q.pk for q in questions]
            )
        made.append(created)
    if publish:
        program_services.version_publish(version=version, actor=actor)
    return program, made


def enrol(cohort: Cohort, person: Person, actor: Person) -> Enrolment:
    """Enrol one person and return their enrolment."""
    cohort_services.cohort_enrol(cohort=cohort, people=[person], actor=actor, notify=False)
    return Enrolment.objects.select_related("cohort", "version", "person").get(
        cohort=cohort, person=person
    )


def attempt_answers(attempt: QuizAttempt, *, right: bool | None = True) -> dict[str, Any]:
    """Responses to every question served in ``attempt``: all right, or all wrong (``False``)."""
    responses: dict[str, Any] = {}
    for item in attempt.served:
        key, kind, qid = item["key"], item["kind"], str(item["qid"])
        if kind in ("single", "true_false"):
            wrong = [o["token"] for o in item["options"] if o["token"] not in key["correct"]]
            responses[qid] = key["correct"][0] if right else wrong[0]
        elif kind == "multiple":
            responses[qid] = list(key["correct"]) if right else []
        elif kind == "short":
            responses[qid] = key["accepted"][0] if right else "no idea"
        elif kind == "ordering":
            responses[qid] = list(key["order"]) if right else list(reversed(key["order"]))
        else:
            responses[qid] = dict(key["pairs"]) if right else {}
    return responses


def scoped_program_manager(unit: Any, **kwargs: Any) -> Person:
    """A program manager whose scope is ``unit`` and the units below it."""
    from cascade.people.models import Role, RoleAssignment
    from cascade.people.tests.factories import PersonFactory

    person = PersonFactory(**kwargs)
    RoleAssignment.objects.create(person=person, role=Role.PROGRAM_MANAGER, org_unit=unit)
    return person
