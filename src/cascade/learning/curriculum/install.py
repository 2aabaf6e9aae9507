"""Install a built-in program from its data files, through the ordinary program services.

A curriculum package holds ``program.json`` (modules, steps, questions) and the Markdown files it
names. :func:`load_curriculum` reads and checks everything without touching the database and
reports every problem at once; :func:`install_curriculum` then builds the program in one
transaction with :mod:`cascade.learning.services.programs`, so step settings go through
``clean_config`` and questions through ``clean_question`` exactly as in the builder.

Installing is idempotent: when a program with the curriculum's slug exists, it is returned
unchanged (whoever edited it since keeps their edits).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import IntegrityError, transaction

from cascade.core.errors import ApplicationError
from cascade.learning.models import (
    Audience,
    BloomLevel,
    Program,
    QuestionKind,
    Step,
    StepKind,
)
from cascade.learning.quiz import QuestionError, clean_question
from cascade.learning.services import programs as program_services
from cascade.learning.step_config import ConfigError, clean_config
from cascade.people.models import Person

TRAINER_ESSENTIALS = "cascade.learning.curriculum.trainer_essentials"
TRAINER_ESSENTIALS_SLUG = "trainer-essentials"
MANIFEST = "program.json"
FORMAT = "cascade.curriculum"

# A body file is a plain name inside the curriculum package: no folders, no way out of it.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.md$")
_STEP_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")


class CurriculumError(ValueError):
    """The curriculum data is inconsistent; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class StepSpec:
    slug: str
    kind: str
    title: str
    body: str
    required: bool
    due_offset_days: int | None
    config: dict[str, Any]
    prerequisites: tuple[str, ...]
    file: str = ""  # the Markdown file the body came from, if any


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True)
class QuestionSpec:
    quiz: str  # slug of the quiz step that uses it
    kind: str
    prompt: str
    data: dict[str, Any]
    explanation: str
    topic: str
    bloom_level: str


@dataclass(frozen=True)
class CurriculumSpec:
    slug: str
    title: str
    summary: str
    audience: str
    version_notes: str
    modules: tuple[ModuleSpec, ...]
    questions: tuple[QuestionSpec, ...]

    @property
    def steps(self) -> list[StepSpec]:
        return [step for module in self.modules for step in module.steps]

    def questions_for(self, quiz_slug: str) -> list[QuestionSpec]:
        return [q for q in self.questions if q.quiz == quiz_slug]


# --- Loading --------------------------------------------------------------------------------


def _read_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _load_step(
    raw: Any, where: str, package: str, seen: list[str], problems: list[str]
) -> StepSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    slug, kind, title = _str(raw.get("slug")), _str(raw.get("kind")), _str(raw.get("title"))
    where = f"{where} ({slug or 'no slug'})"
    if not _STEP_SLUG.match(slug):
        problems.append(f"{where}: slug must be lower-case letters, digits and hyphens")
    elif slug in seen:
        problems.append(f"{where}: slug used twice")
    if kind not in StepKind.values:
        problems.append(f"{where}: unknown step kind {kind!r}")
        return None
    if not title:
        problems.append(f"{where}: needs a title")
    body = raw.get("body") or ""
    file = _str(raw.get("file"))
    if not isinstance(body, str):
        problems.append(f"{where}: body must be text")
        body = ""
    if file:
        if body:
            problems.append(f"{where}: give a file or a body, not both")
        if not _FILE_NAME.match(file):
            problems.append(f"{where}: file {file!r} must be a plain .md name")
        else:
            try:
                body = _read_text(package, file)
            except (FileNotFoundError, OSError):
                problems.append(f"{where}: file {file!r} not found")
    if kind == StepKind.LESSON and not body.strip():
        problems.append(f"{where}: a lesson needs content")
    config = raw.get("config") or {}
    if not isinstance(config, dict):
        problems.append(f"{where}: config must be an object")
        config = {}
    try:
        clean_config(kind, config)
    except ConfigError as exc:
        problems.append(f"{where}: config: {exc}")
    due = raw.get("due_offset_days")
    if due is not None and (isinstance(due, bool) or not isinstance(due, int) or due < 0):
        problems.append(f"{where}: due_offset_days must be a whole number of days")
        due = None
    required = raw.get("required", True)
    if not isinstance(required, bool):
        problems.append(f"{where}: required must be true or false")
        required = True
    prerequisites = raw.get("prerequisites") or []
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) for p in prerequisites):
        problems.append(f"{where}: prerequisites must be a list of step slugs")
        prerequisites = []
    for prerequisite in prerequisites:
        if prerequisite not in seen:
            problems.append(f"{where}: prerequisite {prerequisite!r} is not an earlier step")
    seen.append(slug)
    return StepSpec(
        slug=slug,
        kind=kind,
        title=title,
        body=body,
        required=required,
        due_offset_days=due,
        config=dict(config),
        prerequisites=tuple(prerequisites),
        file=file,
    )


def _load_question(
    raw: Any, where: str, quizzes: set[str], problems: list[str]
) -> QuestionSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    quiz, kind, prompt = _str(raw.get("quiz")), _str(raw.get("kind")), _str(raw.get("prompt"))
    if quiz not in quizzes:
        problems.append(f"{where}: {quiz!r} is not a quiz step")
    if kind not in QuestionKind.values:
        problems.append(f"{where}: unknown question kind {kind!r}")
        return None
    if not prompt:
        problems.append(f"{where}: needs a prompt")
    data = raw.get("data")
    try:
        clean_question(kind, data if isinstance(data, dict) else {})
    except QuestionError as exc:
        problems.append(f"{where}: {exc}")
    bloom = _str(raw.get("bloom_level"))
    if bloom and bloom not in BloomLevel.values:
        problems.append(f"{where}: unknown Bloom level {bloom!r}")
    topic = _str(raw.get("topic"))
    if len(topic) > 100:
        problems.append(f"{where}: topic longer than 100 characters")
    explanation = raw.get("explanation") or ""
    return QuestionSpec(
        quiz=quiz,
        kind=kind,
        prompt=prompt,
        data=dict(data) if isinstance(data, dict) else {},
        explanation=explanation if isinstance(explanation, str) else "",
        topic=topic,
        bloom_level=bloom,
    )


def load_curriculum(package: str = TRAINER_ESSENTIALS) -> CurriculumSpec:
    """Read and check a curriculum package; raise CurriculumError listing every problem."""
    try:
        manifest = json.loads(_read_text(package, MANIFEST))
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise CurriculumError([f"{MANIFEST}: cannot be read ({exc})"]) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CurriculumError([f"{MANIFEST}: not a {FORMAT} file"])
    problems: list[str] = []
    slug, title = _str(manifest.get("slug")), _str(manifest.get("title"))
    if not slug or not title:
        problems.append("the program needs a slug and a title")
    audience = _str(manifest.get("audience")) or Audience.TRAINERS
    if audience not in Audience.values:
        problems.append(f"unknown audience {audience!r}")

    seen: list[str] = []
    modules: list[ModuleSpec] = []
    raw_modules = manifest.get("modules")
    for m, raw_module in enumerate(raw_modules if isinstance(raw_modules, list) else []):
        module_title = _str(raw_module.get("title")) if isinstance(raw_module, dict) else ""
        if not module_title:
            problems.append(f"module {m + 1}: needs a title")
        raw_steps = raw_module.get("steps") if isinstance(raw_module, dict) else None
        steps: list[StepSpec] = []
        for s, raw_step in enumerate(raw_steps if isinstance(raw_steps, list) else []):
            where = f"module {m + 1} step {s + 1}"
            step = _load_step(raw_step, where, package, seen, problems)
            if step is not None:
                steps.append(step)
        modules.append(ModuleSpec(title=module_title, steps=tuple(steps)))
    all_steps = [step for module in modules for step in module.steps]
    if not all_steps:
        problems.append("the program has no steps")

    quizzes = {step.slug for step in all_steps if step.kind == StepKind.QUIZ}
    raw_questions = manifest.get("questions")
    questions: list[QuestionSpec] = []
    for i, raw_question in enumerate(raw_questions if isinstance(raw_questions, list) else []):
        question = _load_question(raw_question, f"question {i + 1}", quizzes, problems)
        if question is not None:
            questions.append(question)
    for step in all_steps:
        if step.kind != StepKind.QUIZ:
            continue
        count = sum(1 for q in questions if q.quiz == step.slug)
        draw = step.config.get("draw_count")
        if count == 0:
            problems.append(f"quiz {step.slug}: has no questions")
        elif isinstance(draw, int) and draw > count:
            problems.append(f"quiz {step.slug}: draws {draw} questions but has only {count}")
    if problems:
        raise CurriculumError(problems)
    return CurriculumSpec(
        slug=slug,
        title=title,
        summary=_str(manifest.get("summary")),
        audience=audience,
        version_notes=_str(manifest.get("version_notes")),
        modules=tuple(modules),
        questions=tuple(questions),
    )


# --- Installing -----------------------------------------------------------------------------


def _create_program(spec: CurriculumSpec, actor: Person | None) -> Program:
    return program_services.program_create(
        title=spec.title,
        slug=spec.slug,
        actor=actor,
        summary=spec.summary,
        audience=spec.audience,
    )


@transaction.atomic
def install_curriculum(
    spec: CurriculumSpec, *, actor: Person | None = None, publish: bool = True
) -> Program:
    """Build ``spec`` as a new program (version 1, published unless ``publish`` is false).

    Returns the existing program unchanged when its slug is already taken.
    """
    existing = Program.objects.filter(slug=spec.slug).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            program = _create_program(spec, actor)
    except (ApplicationError, IntegrityError) as exc:
        if isinstance(exc, ApplicationError) and exc.code != "slug_taken":
            raise
        # Installed by someone else between our check and our insert.
        return Program.objects.get(slug=spec.slug)
    version = program_services.draft_version(program)
    assert version is not None  # a new program always starts with draft version 1

    steps: dict[str, Step] = {}
    for module_spec in spec.modules:
        module = program_services.module_create(version=version, title=module_spec.title)
        for step_spec in module_spec.steps:
            step = program_services.step_create(
                version=version,
                kind=step_spec.kind,
                title=step_spec.title,
                body=step_spec.body,
                module=module,
                required=step_spec.required,
                due_offset_days=step_spec.due_offset_days,
                config=step_spec.config,
            )
            if step_spec.prerequisites:
                program_services.step_set_prerequisites(
                    step=step,
                    prerequisite_ids=[steps[slug].pk for slug in step_spec.prerequisites],
                )
            steps[step_spec.slug] = step

    for slug, step in steps.items():
        if step.kind != StepKind.QUIZ:
            continue
        question_ids = [
            program_services.question_create(
                program=program,
                kind=q.kind,
                prompt=q.prompt,
                data=q.data,
                explanation=q.explanation,
                topic=q.topic,
                bloom_level=q.bloom_level,
            ).pk
            for q in spec.questions_for(slug)
        ]
        program_services.step_questions_set(step=step, question_ids=question_ids)

    if publish:
        # version_publish types its actor as a Person; with none, the version simply has no
        # publisher and audit_record stores a NULL actor.
        program_services.version_publish(
            version=version,
            actor=actor,  # type: ignore[arg-type]
            notes=spec.version_notes,
        )
    return program


def install_trainer_essentials(*, actor: Person | None = None, publish: bool = True) -> Program:
    """Install the built-in "Trainer Essentials" program, or return it if it exists."""
    existing = Program.objects.filter(slug=TRAINER_ESSENTIALS_SLUG).first()
    if existing is not None:
        return existing
    return install_curriculum(load_curriculum(TRAINER_ESSENTIALS), actor=actor, publish=publish)
