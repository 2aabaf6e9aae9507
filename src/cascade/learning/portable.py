"""A program as one portable file, so programs move between installations.

The file is a ZIP holding ``program.json`` and the steps' resources under ``resources/`` (or,
for a program without files, ``program.json`` alone). Import reads and validates *everything*
first (archive safety, schema, kinds, step settings, questions, prerequisites, files) and then
creates the program in one transaction through :mod:`cascade.learning.services.programs`; a
file with any problem is refused as a whole, with the list of reasons, and nothing is written.
"""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.core.services import audit_record
from cascade.core.uploads import check_upload
from cascade.learning.models import (
    Audience,
    BloomLevel,
    Program,
    ProgramVersion,
    Question,
    QuestionKind,
    StepKind,
    StepResource,
)
from cascade.learning.quiz import QuestionError, clean_question
from cascade.learning.selectors import version_detail
from cascade.learning.services import programs as program_services
from cascade.learning.step_config import ConfigError, clean_config
from cascade.people.models import OrgUnit, Person, Role

FORMAT = "cascade.program"
SCHEMA_VERSION = 1
MANIFEST = "program.json"
RESOURCE_DIR = "resources/"
MAX_ENTRIES = 200
MAX_TOTAL_BYTES = 100 * 1024 * 1024  # uncompressed, all entries together
MAX_MANIFEST_BYTES = 20 * 1024 * 1024
MAX_STEPS = 500
MAX_QUESTIONS = 5000
_RESOURCE_NAME = re.compile(r"^resources/[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class ImportRefused(ApplicationError):
    """The file was refused as a whole; ``problems`` says every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The file was not imported: %(reasons)s") % {"reasons": " ".join(problems)},
            code="import_refused",
            extra={"problems": problems},
        )
        self.problems = problems


# --- Export ---------------------------------------------------------------------------------


def _file_name(index: int, original: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", original).strip(".-")[:100] or "file"
    return f"{RESOURCE_DIR}{index:03d}-{stem}"


def export_version(program: Program) -> ProgramVersion | None:
    """What an export carries: the published version new cohorts run, else the draft."""
    return program_services.current_version(program) or program_services.draft_version(program)


def export_program(program: Program, version: ProgramVersion | None = None) -> bytes:
    """The program (one version of it, its bank and its files) as a ZIP file's bytes."""
    chosen = version or export_version(program)
    if chosen is None:
        raise ApplicationError(_("This program has no version to export."), code="no_version")
    detail = version_detail(chosen.pk)
    steps = list(detail.steps.all())
    # The whole bank travels, archived questions too (marked so), not only the quizzes' ones.
    questions = list(Question.objects.filter(program=program).order_by("id"))
    files: dict[str, StepResource] = {}
    step_rows = []
    for step in steps:
        resources = []
        for resource in step.resources.all():
            name = _file_name(len(files) + 1, resource.original_name)
            files[name] = resource
            resources.append(
                {"title": resource.title, "file": name, "original_name": resource.original_name}
            )
        step_rows.append(
            {
                "key": str(step.key),
                "kind": step.kind,
                "title": step.title,
                "body": step.body,
                "required": step.required,
                "due_offset_days": step.due_offset_days,
                "module": f"m{step.module_id}" if step.module_id else None,
                "config": step.config,
                "prerequisites": [str(p.key) for p in step.prerequisites.all()],
                "questions": [str(sq.question.key) for sq in step.step_questions.all()],
                "resources": resources,
            }
        )
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": timezone.now().isoformat(),
        "program": {
            "title": program.title,
            "slug": program.slug,
            "summary": program.summary,
            "audience": program.audience,
        },
        "version": {"number": chosen.number, "status": chosen.status, "notes": chosen.notes},
        "modules": [{"key": f"m{m.pk}", "title": m.title} for m in detail.modules.all()],
        "questions": [
            {
                "key": str(q.key),
                "kind": q.kind,
                "prompt": q.prompt,
                "data": q.data,
                "explanation": q.explanation,
                "topic": q.topic,
                "bloom_level": q.bloom_level,
                "archived": q.archived,
            }
            for q in questions
        ],
        "steps": step_rows,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, resource in files.items():
            with resource.file.open("rb") as handle:
                archive.writestr(name, handle.read())
    return buffer.getvalue()


# --- Reading and checking a file ------------------------------------------------------------


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _unsafe_name(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    return (
        name.startswith(("/", "\\"))
        or ".." in parts
        or (len(name) > 1 and name[1] == ":")
        or any(ord(c) < 32 for c in name)
    )


def _read_zip(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """Check the archive's table of contents, then read it within the size limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise ImportRefused([_("The file is a damaged ZIP archive.")]) from exc
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ImportRefused(
            [
                _("The archive has %(n)s entries; at most %(max)s are accepted.")
                % {"n": len(infos), "max": MAX_ENTRIES}
            ]
        )
    problems: list[str] = []
    declared = sum(i.file_size for i in infos)
    if declared > MAX_TOTAL_BYTES:
        problems.append(
            _("The archive unpacks to %(size)s MB; at most %(max)s MB are accepted.")
            % {"size": round(declared / 1048576, 1), "max": MAX_TOTAL_BYTES // 1048576}
        )
    seen: set[str] = set()
    wanted: list[zipfile.ZipInfo] = []
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            problems.append(_("The entry “%(name)s” points outside the archive.") % {"name": name})
            continue
        if _is_link(info):
            problems.append(_("The entry “%(name)s” is a link.") % {"name": name})
            continue
        if info.flag_bits & 0x1:
            problems.append(_("The entry “%(name)s” is encrypted.") % {"name": name})
            continue
        if name in seen:
            problems.append(_("The entry “%(name)s” appears twice.") % {"name": name})
            continue
        seen.add(name)
        if info.is_dir():
            if name != RESOURCE_DIR:
                problems.append(_("Unexpected folder “%(name)s”.") % {"name": name})
            continue
        if name != MANIFEST and not _RESOURCE_NAME.match(name):
            problems.append(_("Unexpected file “%(name)s”.") % {"name": name})
            continue
        wanted.append(info)
    if MANIFEST not in seen:
        problems.append(_("The archive has no %(name)s.") % {"name": MANIFEST})
    if problems:
        raise ImportRefused(problems)
    manifest = b""
    files: dict[str, bytes] = {}
    total = 0
    for info in wanted:
        try:
            # ZipExtFile stops at the declared size and checks the CRC, so an entry that lies
            # about its size fails here instead of filling memory.
            with archive.open(info) as handle:
                content = handle.read(MAX_TOTAL_BYTES - total + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError) as exc:
            raise ImportRefused(
                [_("The entry “%(name)s” cannot be read.") % {"name": info.filename}]
            ) from exc
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise ImportRefused(
                [
                    _("The archive unpacks to more than %(max)s MB.")
                    % {"max": MAX_TOTAL_BYTES // 1048576}
                ]
            )
        if info.filename == MANIFEST:
            manifest = content
        else:
            files[info.filename] = content
    return manifest, files


def _read_file(data: bytes) -> tuple[Any, dict[str, bytes]]:
    if data[:4] in _ZIP_MAGIC:
        raw, files = _read_zip(data)
    else:
        raw, files = data, {}
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ImportRefused(
            [
                _("%(name)s is larger than %(max)s MB.")
                % {"name": MANIFEST, "max": MAX_MANIFEST_BYTES // 1048576}
            ]
        )
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ImportRefused(
            [_("This is not a Cascade program file (expected a ZIP archive or JSON).")]
        ) from exc
    return manifest, files


@dataclass
class _StepPlan:
    kind: str
    title: str
    body: str
    required: bool
    due_offset_days: int | None
    module: str | None
    config: dict[str, Any]
    prerequisites: list[str]
    questions: list[str]
    resources: list[dict[str, str]]


@dataclass
class _Plan:
    title: str
    slug: str
    summary: str
    audience: str
    modules: dict[str, str] = field(default_factory=dict)
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, _StepPlan] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    referenced: set[str] = field(default_factory=set)


def _text(
    value: Any, label: str, problems: list[str], *, max_length: int, required: bool = False
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(_("%(what)s must be text.") % {"what": label})
        return ""
    if required and not value.strip():
        problems.append(_("%(what)s is empty.") % {"what": label})
    if max_length and len(value) > max_length:
        problems.append(
            _("%(what)s is longer than %(n)s characters.") % {"what": label, "n": max_length}
        )
    return value


def _key(value: Any, label: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        problems.append(_("%(what)s has no valid key.") % {"what": label})
        return ""
    return value


def _list(value: Any, label: str, problems: list[str]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(_("%(what)s must be a list.") % {"what": label})
        return []
    return value


def _check_program(manifest: dict[str, Any], problems: list[str]) -> _Plan:
    raw = manifest.get("program")
    if not isinstance(raw, dict):
        problems.append(_("The file does not describe a program."))
        raw = {}
    title = _text(raw.get("title"), _("The title"), problems, max_length=200, required=True)
    slug = str(raw["slug"]) if isinstance(raw.get("slug"), str) else ""
    audience = raw.get("audience") or Audience.TRAINERS
    if audience not in Audience.values:
        problems.append(_("Unknown audience “%(a)s”.") % {"a": audience})
    return _Plan(
        title=title.strip(),
        slug=slugify(slug)[:80] or slugify(title)[:80] or "program",
        summary=_text(raw.get("summary"), _("The summary"), problems, max_length=20000),
        audience=str(audience),
    )


def _check_modules(manifest: dict[str, Any], plan: _Plan, problems: list[str]) -> None:
    for i, raw in enumerate(_list(manifest.get("modules"), _("Modules"), problems), start=1):
        label = _("Module %(n)s") % {"n": i}
        if not isinstance(raw, dict):
            problems.append(_("%(what)s is not an object.") % {"what": label})
            continue
        key = _key(raw.get("key"), label, problems)
        title = _text(raw.get("title"), label, problems, max_length=200, required=True)
        if key in plan.modules:
            problems.append(_("%(what)s repeats the key “%(k)s”.") % {"what": label, "k": key})
        elif key:
            plan.modules[key] = title.strip()


def _check_questions(manifest: dict[str, Any], plan: _Plan, problems: list[str]) -> None:
    rows = _list(manifest.get("questions"), _("Questions"), problems)
    if len(rows) > MAX_QUESTIONS:
        problems.append(_("At most %(n)s questions are accepted.") % {"n": MAX_QUESTIONS})
        return
    for i, raw in enumerate(rows, start=1):
        label = _("Question %(n)s") % {"n": i}
        if not isinstance(raw, dict):
            problems.append(_("%(what)s is not an object.") % {"what": label})
            continue
        key = _key(raw.get("key"), label, problems)
        kind = raw.get("kind")
        prompt = _text(raw.get("prompt"), label, problems, max_length=20000, required=True)
        topic = _text(raw.get("topic"), label, problems, max_length=100)
        bloom = raw.get("bloom_level") or ""
        if bloom not in BloomLevel.values and bloom != "":
            problems.append(
                _("%(what)s has an unknown Bloom level “%(b)s”.") % {"what": label, "b": bloom}
            )
        if kind not in QuestionKind.values:
            problems.append(_("%(what)s has an unknown kind “%(k)s”.") % {"what": label, "k": kind})
            continue
        try:
            data = clean_question(str(kind), raw.get("data"))  # type: ignore[arg-type]
        except QuestionError as exc:
            problems.append(_("%(what)s: %(err)s.") % {"what": label, "err": exc})
            continue
        if key in plan.questions:
            problems.append(_("%(what)s repeats the key “%(k)s”.") % {"what": label, "k": key})
        elif key:
            plan.questions[key] = {
                "kind": kind,
                "prompt": prompt,
                "data": data,
                "explanation": _text(raw.get("explanation"), label, problems, max_length=20000),
                "topic": topic,
                "bloom_level": bloom,
                "archived": bool(raw.get("archived")),
            }


def _check_resources(
    raw_list: Any, label: str, plan: _Plan, problems: list[str]
) -> list[dict[str, str]]:
    files = plan.files
    resources = []
    for raw in _list(raw_list, label, problems):
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
            problems.append(_("%(what)s lists a file wrongly.") % {"what": label})
            continue
        name = raw["file"]
        plan.referenced.add(name)
        if name not in files:
            problems.append(
                _("%(what)s needs “%(f)s”, which is not in the archive.")
                % {"what": label, "f": name}
            )
            continue
        original = raw.get("original_name")
        original = original if isinstance(original, str) and original else name.rsplit("/")[-1]
        try:
            check_upload(SimpleUploadedFile(original, files[name]))
        except ApplicationError as exc:
            problems.append(f"{label}: {exc.message}")
            continue
        title = _text(raw.get("title"), label, problems, max_length=200)
        resources.append({"file": name, "original_name": original, "title": title})
    return resources


def _check_steps(manifest: dict[str, Any], plan: _Plan, problems: list[str]) -> None:
    rows = _list(manifest.get("steps"), _("Steps"), problems)
    if len(rows) > MAX_STEPS:
        problems.append(_("At most %(n)s steps are accepted.") % {"n": MAX_STEPS})
        return
    for i, raw in enumerate(rows, start=1):
        label = _("Step %(n)s") % {"n": i}
        if not isinstance(raw, dict):
            problems.append(_("%(what)s is not an object.") % {"what": label})
            continue
        key = _key(raw.get("key"), label, problems)
        kind = raw.get("kind")
        title = _text(raw.get("title"), label, problems, max_length=200, required=True)
        if isinstance(raw.get("title"), str) and raw["title"].strip():
            label = _("Step %(n)s (“%(t)s”)") % {"n": i, "t": raw["title"].strip()[:60]}
        body = _text(raw.get("body"), label, problems, max_length=200000)
        required = raw.get("required", True)
        if not isinstance(required, bool):
            problems.append(_("%(what)s: “required” must be true or false.") % {"what": label})
        due = raw.get("due_offset_days")
        if due is not None and (
            isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 3650
        ):
            problems.append(
                _("%(what)s: the due offset must be a whole number of days.") % {"what": label}
            )
            due = None
        module = raw.get("module")
        if module is not None and module not in plan.modules:
            problems.append(
                _("%(what)s belongs to a module that is not in the file.") % {"what": label}
            )
        config: dict[str, Any] = {}
        if kind not in StepKind.values:
            problems.append(_("%(what)s has an unknown kind “%(k)s”.") % {"what": label, "k": kind})
        else:
            raw_config = raw.get("config")
            if raw_config is not None and not isinstance(raw_config, dict):
                problems.append(_("%(what)s: the settings must be an object.") % {"what": label})
            else:
                try:
                    config = clean_config(str(kind), raw_config)
                except ConfigError as exc:
                    problems.append(_("%(what)s: %(err)s.") % {"what": label, "err": exc})
        prerequisites = []
        for ref in _list(raw.get("prerequisites"), label, problems):
            if ref not in plan.steps:
                problems.append(
                    _("%(what)s needs a prerequisite that is not an earlier step of the file.")
                    % {"what": label}
                )
            else:
                prerequisites.append(ref)
        questions = []
        for ref in _list(raw.get("questions"), label, problems):
            if kind != StepKind.QUIZ:
                problems.append(_("%(what)s has questions but is not a quiz.") % {"what": label})
                break
            if ref not in plan.questions:
                problems.append(
                    _("%(what)s uses a question that is not in the file.") % {"what": label}
                )
            else:
                questions.append(ref)
        resources = _check_resources(raw.get("resources"), label, plan, problems)
        if key in plan.steps:
            problems.append(_("%(what)s repeats the key “%(k)s”.") % {"what": label, "k": key})
        elif key:
            plan.steps[key] = _StepPlan(
                kind=str(kind),
                title=title.strip(),
                body=body,
                required=bool(required),
                due_offset_days=due,
                module=module,
                config=config,
                prerequisites=list(dict.fromkeys(prerequisites)),
                questions=list(dict.fromkeys(questions)),
                resources=resources,
            )


def check_file(data: bytes, *, actor: Person | None = None) -> _Plan:
    """Read and validate a program file completely; raise ImportRefused listing every problem."""
    manifest, files = _read_file(data)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportRefused([_("This is not a Cascade program file.")])
    version = manifest.get("schema_version")
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise ImportRefused(
            [
                _("The file has schema version %(v)s; this installation reads version %(ok)s.")
                % {"v": version, "ok": SCHEMA_VERSION}
            ]
        )
    problems: list[str] = []
    plan = _check_program(manifest, problems)
    plan.files = files
    if (
        actor is not None
        and plan.audience != Audience.LEARNERS
        and not actor.has_role(Role.PROGRAM_MANAGER)
    ):
        problems.append(_("Only program managers may import a program for trainers."))
    _check_modules(manifest, plan, problems)
    _check_questions(manifest, plan, problems)
    _check_steps(manifest, plan, problems)
    for name in sorted(set(files) - plan.referenced):
        problems.append(_("The file “%(name)s” is not used by any step.") % {"name": name})
    if problems:
        raise ImportRefused(problems)
    return plan


# --- Import ---------------------------------------------------------------------------------


def _free_slug(base: str) -> str:
    taken = set(Program.objects.filter(slug__startswith=base[:70]).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = f"{base[: 80 - len(suffix)]}{suffix}"
        if candidate not in taken:
            return candidate
        n += 1


def import_program(data: bytes, actor: Person, org_unit: OrgUnit | None = None) -> Program:
    """Create a program (as a draft version 1) from a portable file, or refuse the whole file."""
    plan = check_file(data, actor=actor)
    stored: list[str] = []
    try:
        program = _create(plan, actor=actor, org_unit=org_unit, stored=stored)
    except Exception:
        # The rows are rolled back; the files written for them must go too.
        for name in stored:
            default_storage.delete(name)
        raise
    return program


@transaction.atomic
def _create(plan: _Plan, *, actor: Person, org_unit: OrgUnit | None, stored: list[str]) -> Program:
    program = None
    for _attempt in range(5):
        try:
            program = program_services.program_create(
                title=plan.title,
                slug=_free_slug(plan.slug),
                actor=actor,
                summary=plan.summary,
                audience=plan.audience,
                org_unit=org_unit,
            )
            break
        except ApplicationError as exc:
            # Someone took the free slug in the meantime: look again.
            if exc.code != "slug_taken":
                raise
    if program is None:
        raise ApplicationError(_("No free short name was found."), code="slug_taken")
    version = program_services.draft_version(program)
    assert version is not None
    modules = {
        key: program_services.module_create(version=version, title=title)
        for key, title in plan.modules.items()
    }
    questions: dict[str, Question] = {}
    for key, q in plan.questions.items():
        questions[key] = program_services.question_create(
            program=program,
            kind=q["kind"],
            prompt=q["prompt"],
            data=q["data"],
            explanation=q["explanation"],
            topic=q["topic"],
            bloom_level=q["bloom_level"],
        )
    steps = {}
    used: set[str] = set()
    for key, s in plan.steps.items():
        step = program_services.step_create(
            version=version,
            kind=s.kind,
            title=s.title,
            body=s.body,
            module=modules[s.module] if s.module else None,
            required=s.required,
            due_offset_days=s.due_offset_days,
            config=s.config,
        )
        steps[key] = step
        if s.prerequisites:
            program_services.step_set_prerequisites(
                step=step, prerequisite_ids=[steps[k].pk for k in s.prerequisites]
            )
        if s.questions:
            used.update(s.questions)
            program_services.step_questions_set(
                step=step, question_ids=[questions[k].pk for k in s.questions]
            )
        for r in s.resources:
            resource = program_services.resource_add(
                step=step,
                upload=SimpleUploadedFile(r["original_name"], plan.files[r["file"]]),
                title=r["title"],
            )
            stored.append(resource.file.name)
    for key, q in plan.questions.items():
        if q["archived"] and key not in used:
            program_services.question_update(question=questions[key], archived=True)
    audit_record(
        actor=actor,
        action="learning.program.imported",
        target=program,
        changes={"steps": len(steps), "questions": len(questions), "files": len(stored)},
    )
    return program
