"""Building programs: versions, modules, steps, the question bank and step resources."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.services import audit_record
from cascade.core.uploads import check_upload
from cascade.learning.models import (
    Audience,
    Module,
    Program,
    ProgramVersion,
    Question,
    Step,
    StepKind,
    StepQuestion,
    StepResource,
)
from cascade.learning.quiz import QuestionError, clean_question
from cascade.learning.step_config import ConfigError, clean_config
from cascade.people.models import OrgUnit, Person


def _editable(version: ProgramVersion) -> None:
    if not version.is_editable:
        raise ApplicationError(
            _("This version is published and cannot change; edit the draft instead."),
            code="version_not_editable",
        )


@transaction.atomic
def program_create(
    *,
    title: str,
    slug: str,
    actor: Person | None,
    summary: str = "",
    audience: str = Audience.TRAINERS,
    org_unit: OrgUnit | None = None,
) -> Program:
    """Create a program with an empty draft version 1 (``actor`` None: installed by the system)."""
    taken = ApplicationError(_("That short name is taken."), code="slug_taken", status=409)
    if Program.objects.filter(slug=slug).exists():
        raise taken
    program = Program(
        title=title.strip(),
        slug=slug,
        summary=summary,
        audience=audience,
        org_unit=org_unit,
        created_by=actor,
    )
    program.full_clean()
    try:
        with transaction.atomic():
            program.save()
    except IntegrityError as exc:
        # Someone took the slug between the check and the insert.
        raise taken from exc
    ProgramVersion.objects.create(program=program, number=1)
    audit_record(actor=actor, action="learning.program.created", target=program)
    return program


@transaction.atomic
def program_update(*, program: Program, actor: Person, **fields: Any) -> Program:
    """Change a program's title, summary, audience or owning unit (not versioned)."""
    allowed = {"title", "summary", "audience", "org_unit"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        setattr(program, name, value)
    program.full_clean()
    program.save()
    # The owning unit decides which program managers may manage it: a privileged change.
    audit_record(
        actor=actor,
        action="learning.program.updated",
        target=program,
        changes={k: getattr(v, "pk", v) for k, v in fields.items()},
    )
    return program


def draft_version(program: Program) -> ProgramVersion | None:
    return program.versions.filter(status=ProgramVersion.Status.DRAFT).first()


def current_version(program: Program) -> ProgramVersion | None:
    """The newest published version: what new cohorts run."""
    return (
        program.versions.filter(status=ProgramVersion.Status.PUBLISHED).order_by("-number").first()
    )


@transaction.atomic
def version_start_draft(*, program: Program, actor: Person) -> ProgramVersion:
    """Return the program's draft, creating it as a copy of the current version if needed."""
    Program.objects.select_for_update().filter(pk=program.pk).first()
    existing = draft_version(program)
    if existing is not None:
        return existing
    source = current_version(program)
    number = (program.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            draft = ProgramVersion.objects.create(program=program, number=number)
    except IntegrityError:
        # Someone else started the draft at the same moment: use theirs.
        found = draft_version(program)
        assert found is not None
        return found
    if source is not None:
        _copy_version(source, draft)
    audit_record(actor=actor, action="learning.version.draft_started", target=draft)
    return draft


def _copy_version(source: ProgramVersion, target: ProgramVersion) -> None:
    modules = {
        m.pk: Module.objects.create(version=target, title=m.title, position=m.position)
        for m in source.modules.all()
    }
    step_map: dict[int, Step] = {}
    for step in source.steps.all().prefetch_related("step_questions", "resources"):
        new = Step.objects.create(
            version=target,
            module=modules.get(step.module_id) if step.module_id else None,
            key=step.key,
            position=step.position,
            kind=step.kind,
            title=step.title,
            body=step.body,
            required=step.required,
            due_offset_days=step.due_offset_days,
            config=step.config,
        )
        step_map[step.pk] = new
        StepQuestion.objects.bulk_create(
            StepQuestion(step=new, question_id=sq.question_id, position=sq.position)
            for sq in step.step_questions.all()
        )
        StepResource.objects.bulk_create(
            StepResource(
                step=new,
                title=r.title,
                file=r.file.name,
                original_name=r.original_name,
                content_type=r.content_type,
                size=r.size,
            )
            for r in step.resources.all()
        )
    through = Step.prerequisites.through
    links = through.objects.filter(from_step__version=source)
    through.objects.bulk_create(
        through(
            from_step_id=step_map[link.from_step_id].pk, to_step_id=step_map[link.to_step_id].pk
        )
        for link in links
    )


def publish_problems(version: ProgramVersion) -> list[str]:
    """Why ``version`` cannot be published yet (empty list: it can)."""
    problems: list[str] = []
    steps = list(version.steps.all().prefetch_related("step_questions"))
    if not steps:
        problems.append(_("Add at least one step."))
    for step in steps:
        if step.kind == StepKind.QUIZ:
            count = len(step.step_questions.all())
            if count == 0:
                problems.append(_("The quiz “%(t)s” has no questions.") % {"t": step.title})
            draw = (step.config or {}).get("draw_count")
            if draw and draw > count:
                problems.append(
                    _("The quiz “%(t)s” draws %(n)s questions but has only %(m)s.")
                    % {"t": step.title, "n": draw, "m": count}
                )
        if (
            step.kind == StepKind.LESSON
            and not step.body.strip()
            and not (step.config or {}).get("video_url")
        ):
            problems.append(_("The lesson “%(t)s” has no content.") % {"t": step.title})
    return problems


@transaction.atomic
def version_publish(
    *, version: ProgramVersion, actor: Person | None, notes: str = ""
) -> ProgramVersion:
    """Freeze the draft; it becomes what new cohorts run. Earlier versions are retired but
    everyone enrolled on them keeps working through them."""
    # Lock and re-read the row: the caller's copy may predate another publish of this draft.
    _editable(ProgramVersion.objects.select_for_update().get(pk=version.pk))
    problems = publish_problems(version)
    if problems:
        raise ApplicationError(
            " ".join(problems), code="not_publishable", extra={"problems": problems}
        )
    ProgramVersion.objects.filter(
        program=version.program, status=ProgramVersion.Status.PUBLISHED
    ).update(status=ProgramVersion.Status.RETIRED)
    version.status = ProgramVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.notes = notes
    version.save(update_fields=["status", "published_at", "published_by", "notes"])
    audit_record(
        actor=actor,
        action="learning.version.published",
        target=version,
        changes={"number": version.number},
    )
    return version


# --- Modules and steps ----------------------------------------------------------------------


@transaction.atomic
def module_create(*, version: ProgramVersion, title: str) -> Module:
    _editable(version)
    position = (version.modules.aggregate(p=Max("position"))["p"] or 0) + 1
    module = Module(version=version, title=title.strip(), position=position)
    module.full_clean()
    module.save()
    return module


@transaction.atomic
def step_create(
    *,
    version: ProgramVersion,
    kind: str,
    title: str,
    body: str = "",
    module: Module | None = None,
    required: bool = True,
    due_offset_days: int | None = None,
    config: dict[str, Any] | None = None,
) -> Step:
    """Append a step to a draft version, its settings validated for its kind."""
    _editable(version)
    if module is not None and module.version_id != version.pk:
        raise ApplicationError(_("That module belongs to another version."), code="bad_module")
    try:
        clean = clean_config(kind, config)
    except ConfigError as exc:
        raise ApplicationError(
            str(exc), code="invalid_config", extra={"errors": exc.errors}
        ) from exc
    position = (version.steps.aggregate(p=Max("position"))["p"] or 0) + 1
    step = Step(
        version=version,
        kind=kind,
        title=title.strip(),
        body=body,
        module=module,
        required=required,
        due_offset_days=due_offset_days,
        config=clean,
        position=position,
    )
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def step_update(*, step: Step, **fields: Any) -> Step:
    """Change a draft step's text, settings, module or rules."""
    _editable(step.version)
    allowed = {"title", "body", "required", "due_offset_days", "config", "module"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        if name == "config":
            try:
                value = clean_config(step.kind, value)
            except ConfigError as exc:
                raise ApplicationError(
                    str(exc), code="invalid_config", extra={"errors": exc.errors}
                ) from exc
        if name == "module" and value is not None and value.version_id != step.version_id:
            raise ApplicationError(_("That module belongs to another version."), code="bad_module")
        setattr(step, name, value)
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def step_delete(*, step: Step) -> None:
    _editable(step.version)
    step.delete()


@transaction.atomic
def steps_reorder(*, version: ProgramVersion, ordered_ids: list[int]) -> None:
    """Put the version's steps in the given order (every step id exactly once)."""
    _editable(version)
    current = set(version.steps.values_list("pk", flat=True))
    if set(ordered_ids) != current or len(ordered_ids) != len(current):
        raise ApplicationError(_("The new order must list every step once."), code="bad_order")
    for position, pk in enumerate(ordered_ids, start=1):
        Step.objects.filter(pk=pk).update(position=position)
    _drop_backward_prerequisites(version)


@transaction.atomic
def step_move(*, step: Step, direction: int) -> None:
    """Move a step one place up (-1) or down (+1)."""
    ids = list(step.version.steps.order_by("position", "id").values_list("pk", flat=True))
    i = ids.index(step.pk)
    j = i + direction
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        steps_reorder(version=step.version, ordered_ids=ids)


def _drop_backward_prerequisites(version: ProgramVersion) -> None:
    # A prerequisite must come earlier in the path; after a reorder, links that now point
    # forward would make a step unreachable, so they are removed.
    position = dict(version.steps.values_list("pk", "position"))
    through = Step.prerequisites.through
    bad = [
        link.pk
        for link in through.objects.filter(from_step__version=version)
        if position[link.to_step_id] >= position[link.from_step_id]
    ]
    through.objects.filter(pk__in=bad).delete()


@transaction.atomic
def step_set_prerequisites(*, step: Step, prerequisite_ids: list[int]) -> None:
    """Prerequisites are earlier steps of the same version (which also rules out cycles)."""
    _editable(step.version)
    earlier = set(
        step.version.steps.filter(position__lt=step.position).values_list("pk", flat=True)
    )
    wanted = set(prerequisite_ids)
    if not wanted <= earlier:
        raise ApplicationError(
            _("A prerequisite must be an earlier step of the same program."),
            code="bad_prerequisite",
        )
    step.prerequisites.set(wanted)


@transaction.atomic
def resource_add(*, step: Step, upload: UploadedFile, title: str = "") -> StepResource:
    """Attach a checked file to a step (stored under a random name)."""
    _editable(step.version)
    checked = check_upload(upload)
    resource = StepResource(
        step=step,
        title=title.strip() or checked.original_name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
    )
    resource.file.save(checked.storage_name, upload, save=False)
    resource.save()
    return resource


# --- Question bank --------------------------------------------------------------------------


@transaction.atomic
def question_create(
    *,
    program: Program,
    kind: str,
    prompt: str,
    data: dict[str, Any],
    explanation: str = "",
    topic: str = "",
    bloom_level: str = "",
) -> Question:
    """Add a validated question to a program's bank."""
    try:
        clean = clean_question(kind, data)
    except QuestionError as exc:
        raise ApplicationError(
            str(exc), code="invalid_question", extra={"errors": exc.errors}
        ) from exc
    if not prompt.strip():
        raise ApplicationError(_("The question needs text."), code="invalid_question")
    question = Question(
        program=program,
        kind=kind,
        prompt=prompt.strip(),
        data=clean,
        explanation=explanation,
        topic=topic.strip(),
        bloom_level=bloom_level,
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_update(*, question: Question, **fields: Any) -> Question:
    """Edit a bank question; attempts already taken keep the snapshot they were served."""
    allowed = {"prompt", "data", "explanation", "topic", "bloom_level", "archived"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        if name == "data":
            try:
                value = clean_question(question.kind, value)
            except QuestionError as exc:
                raise ApplicationError(
                    str(exc), code="invalid_question", extra={"errors": exc.errors}
                ) from exc
        setattr(question, name, value)
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def step_questions_set(*, step: Step, question_ids: list[int]) -> None:
    """Choose (and order) the bank questions a quiz step draws from."""
    _editable(step.version)
    if step.kind != StepKind.QUIZ:
        raise ApplicationError(_("Only quiz steps have questions."), code="not_a_quiz")
    valid = set(
        Question.objects.filter(
            program_id=step.version.program_id, pk__in=question_ids, archived=False
        ).values_list("pk", flat=True)
    )
    if valid != set(question_ids):
        raise ApplicationError(
            _("Some questions are not in this program's bank."), code="bad_question"
        )
    StepQuestion.objects.filter(step=step).delete()
    StepQuestion.objects.bulk_create(
        StepQuestion(step=step, question_id=qid, position=i)
        for i, qid in enumerate(dict.fromkeys(question_ids), start=1)
    )
