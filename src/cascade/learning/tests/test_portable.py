"""A program as one portable file: export → import gives the same program; a bad file is refused
as a whole, with its reasons, and nothing is written."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cascade.core.models import AuditEntry
from cascade.learning import portable
from cascade.learning.models import (
    Module,
    Program,
    ProgramVersion,
    Question,
    Step,
    StepQuestion,
    StepResource,
)
from cascade.learning.services import programs as svc
from cascade.learning.tests.factories import build_program

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def pm(make_person):
    return make_person("program_manager", display_name="Pat Manager")


@pytest.fixture
def program(pm) -> Program:
    """Facilitation basics, published, with a module, a file, an archived question and a
    second lesson that depends on two earlier steps."""
    program, steps = build_program(pm, publish=False, draw_count=2)
    version = svc.draft_version(program)
    assert version is not None
    week1 = svc.module_create(version=version, title="Week 1: Asking")
    svc.step_update(step=steps["lesson"], module=week1)
    svc.step_update(step=steps["quiz"], module=week1)
    svc.resource_add(
        step=steps["lesson"],
        upload=SimpleUploadedFile("Slides (v2).pdf", PDF, content_type="application/pdf"),
        title="Slides",
    )
    svc.resource_add(
        step=steps["lesson"], upload=SimpleUploadedFile("notes.md", "# Notes\n碁".encode())
    )
    extra = svc.step_create(
        version=version,
        kind="live_session",
        title="Live practice",
        config={
            "starts_at": "2026-11-03T10:00:00+01:00",
            "ends_at": "2026-11-03T11:30:00+01:00",
            "venue": "Room 4",
            "join_url": "https://meet.example.org/x",
        },
    )
    svc.step_set_prerequisites(step=extra, prerequisite_ids=[steps["lesson"].pk, steps["task"].pk])
    old = svc.question_create(
        program=program,
        kind="ordering",
        prompt="Order the cycle",
        data={"items": ["Plan", "Do", "Review"]},
    )
    svc.question_update(question=old, archived=True)
    svc.question_create(
        program=program,
        kind="matching",
        prompt="Match",
        data={"pairs": [{"left": "Open", "right": "Why"}, {"left": "Closed", "right": "Is"}]},
        explanation="Open questions invite talk.",
        topic="questioning",
        bloom_level="apply",
    )
    svc.version_publish(version=version, actor=pm, notes="First")
    return program


def content(program: Program) -> dict[str, Any]:
    """Everything an export must carry, by value (no ids)."""
    version = svc.current_version(program) or svc.draft_version(program)
    assert version is not None
    steps = list(Step.objects.filter(version=version).order_by("position"))
    return {
        "program": (program.title, program.summary, program.audience),
        "modules": list(Module.objects.filter(version=version).values_list("title", flat=True)),
        "steps": [
            (
                s.title,
                s.kind,
                s.body,
                s.required,
                s.due_offset_days,
                s.module.title if s.module else None,
                s.config,
                sorted(p.title for p in s.prerequisites.all()),
                [sq.question.prompt for sq in s.step_questions.order_by("position")],
                [(r.title, r.original_name, r.size, r.file.read()) for r in s.resources.all()],
            )
            for s in steps
        ],
        "questions": [
            (q.kind, q.prompt, q.data, q.explanation, q.topic, q.bloom_level, q.archived)
            for q in program.questions.order_by("id")
        ],
    }


def state(media: Path) -> dict[str, Any]:
    """What a refused import must not have changed."""
    return {
        "programs": list(Program.objects.values_list("pk", "slug")),
        "versions": ProgramVersion.objects.count(),
        "steps": Step.objects.count(),
        "modules": Module.objects.count(),
        "questions": Question.objects.count(),
        "step_questions": StepQuestion.objects.count(),
        "resources": StepResource.objects.count(),
        "audit": AuditEntry.objects.count(),
        "files": sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else [],
    }


def manifest_of(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("program.json"))


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def minimal(**changes: Any) -> dict[str, Any]:
    """A valid one-lesson program file."""
    manifest: dict[str, Any] = {
        "format": "cascade.program",
        "schema_version": 1,
        "program": {"title": "Tiny", "slug": "tiny", "summary": "", "audience": "trainers"},
        "modules": [],
        "questions": [],
        "steps": [
            {"key": "s1", "kind": "lesson", "title": "Read", "body": "Hello", "config": {}},
        ],
    }
    manifest.update(changes)
    return manifest


def as_zip(manifest: dict[str, Any], **files: bytes) -> bytes:
    return zip_of({"program.json": json.dumps(manifest).encode(), **files})


# --- Round trip -----------------------------------------------------------------------------


def test_export_then_import_gives_the_same_program(program, pm, settings):
    # given an exported program
    data = portable.export_program(program)

    # when it is imported (on the same installation, so its short name is taken)
    copy = portable.import_program(data, pm, None)

    # then the copy is a draft v1 with the same content, files byte for byte
    assert copy.slug == "essentials-2"
    assert list(copy.versions.values_list("number", "status")) == [(1, "draft")]
    assert content(copy) == content(program)
    assert copy.created_by == pm
    assert AuditEntry.objects.filter(
        action="learning.program.imported", target_id=str(copy.pk)
    ).exists()


def test_the_file_holds_program_json_and_the_resources(program):
    data = portable.export_program(program)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("program.json"))
        pdf = archive.read("resources/001-Slides-v2-.pdf")

    assert names == ["program.json", "resources/001-Slides-v2-.pdf", "resources/002-notes.md"]
    assert pdf == PDF
    assert manifest["format"] == "cascade.program"
    assert manifest["schema_version"] == 1
    assert manifest["program"] == {
        "title": "Facilitation basics",
        "slug": "essentials",
        "summary": "",
        "audience": "trainers",
    }
    assert manifest["version"] == {"number": 1, "status": "published", "notes": "First"}
    assert [s["kind"] for s in manifest["steps"]] == [
        "lesson",
        "quiz",
        "on_the_job",
        "reflection",
        "live_session",
    ]
    # the archived question not used by any step still travels (archived)
    assert [q["archived"] for q in manifest["questions"]] == [False, False, False, True, False]


def test_a_second_and_third_import_get_new_short_names(program, pm):
    data = portable.export_program(program)

    second = portable.import_program(data, pm, None)
    third = portable.import_program(data, pm, None)

    assert (second.slug, third.slug) == ("essentials-2", "essentials-3")


def test_export_prefers_the_published_version_over_a_newer_draft(program, pm):
    draft = svc.version_start_draft(program=program, actor=pm)
    svc.step_create(version=draft, kind="mentoring", title="Only in the draft")

    manifest = manifest_of(portable.export_program(program))

    assert manifest["version"]["number"] == 1
    assert "Only in the draft" not in [s["title"] for s in manifest["steps"]]


def test_a_program_file_as_plain_json_is_imported(pm):
    data = json.dumps(minimal()).encode()

    imported = portable.import_program(data, pm, None)

    assert imported.slug == "tiny"
    assert list(Step.objects.filter(version__program=imported).values_list("title", "body")) == [
        ("Read", "Hello")
    ]


def test_import_into_an_org_unit(pm):
    from cascade.people.tests.factories import OrgUnitFactory

    north = OrgUnitFactory(name="North")

    imported = portable.import_program(as_zip(minimal()), pm, north)

    assert imported.org_unit == north


# --- Refused files ----------------------------------------------------------------------------


def _refused(data: bytes, actor: Any, settings: Any) -> list[str]:
    before = state(Path(settings.MEDIA_ROOT))
    with pytest.raises(portable.ImportRefused) as caught:
        portable.import_program(data, actor, None)
    assert state(Path(settings.MEDIA_ROOT)) == before
    assert caught.value.code == "import_refused"
    assert caught.value.extra["problems"] == caught.value.problems
    return caught.value.problems


def _with_step(**step: Any) -> dict[str, Any]:
    base = {"key": "s2", "kind": "lesson", "title": "Second", "body": "x", "config": {}}
    base.update(step)
    manifest = minimal()
    manifest["steps"].append(base)
    return manifest


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello, world", "This is not a Cascade program file (expected a ZIP archive or JSON)."),
        (b"\xff\xfe\x00", "This is not a Cascade program file (expected a ZIP archive or JSON)."),
        (b'{"title": "A program"}', "This is not a Cascade program file."),
        (b"[1, 2]", "This is not a Cascade program file."),
        (b"PK\x03\x04 broken", "The file is a damaged ZIP archive."),
    ],
    ids=["text", "binary", "other-json", "json-list", "damaged-zip"],
)
def test_a_file_that_is_not_a_program_is_refused(pm, settings, data, expected):
    assert _refused(data, pm, settings) == [expected]


def test_a_newer_schema_version_is_refused(pm, settings):
    problems = _refused(as_zip(minimal(schema_version=2)), pm, settings)

    assert problems == ["The file has schema version 2; this installation reads version 1."]


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (
            _with_step(kind="podcast"),
            "Step 2 (“Second”) has an unknown kind “podcast”.",
        ),
        (
            _with_step(kind="quiz", config={"pass_mark": 150}),
            "Step 2 (“Second”): pass_mark: must be between 0 and 100.",
        ),
        (
            _with_step(kind="lesson", config={"video_url": "javascript:alert(1)"}),
            "Step 2 (“Second”): video_url: must be an http(s) address.",
        ),
        (
            _with_step(prerequisites=["nowhere"]),
            "Step 2 (“Second”) needs a prerequisite that is not an earlier step of the file.",
        ),
        (
            _with_step(prerequisites=["s2"]),
            "Step 2 (“Second”) needs a prerequisite that is not an earlier step of the file.",
        ),
        (
            _with_step(kind="lesson", questions=["q1"]),
            "Step 2 (“Second”) has questions but is not a quiz.",
        ),
        (
            _with_step(kind="quiz", questions=["q-missing"]),
            "Step 2 (“Second”) uses a question that is not in the file.",
        ),
        (
            _with_step(module="m-missing"),
            "Step 2 (“Second”) belongs to a module that is not in the file.",
        ),
        (_with_step(title=""), "Step 2 is empty."),
        (
            _with_step(due_offset_days=-3),
            "Step 2 (“Second”): the due offset must be a whole number of days.",
        ),
        (_with_step(key="s1"), "Step 2 (“Second”) repeats the key “s1”."),
        (
            minimal(
                questions=[
                    {
                        "key": "q1",
                        "kind": "single",
                        "prompt": "Which?",
                        "data": {"options": [{"text": "a"}, {"text": "b"}]},
                    }
                ]
            ),
            "Question 1: options: exactly one option must be correct.",
        ),
        (
            minimal(questions=[{"key": "q1", "kind": "essay", "prompt": "Write", "data": {}}]),
            "Question 1 has an unknown kind “essay”.",
        ),
        (
            minimal(program={"title": "X", "slug": "x", "audience": "everyone"}),
            "Unknown audience “everyone”.",
        ),
    ],
    ids=[
        "unknown-kind",
        "bad-config",
        "bad-url",
        "dangling-prerequisite",
        "self-prerequisite",
        "questions-on-a-lesson",
        "missing-question",
        "missing-module",
        "empty-title",
        "negative-due",
        "repeated-key",
        "bad-question",
        "unknown-question-kind",
        "unknown-audience",
    ],
)
def test_a_file_with_a_bad_part_is_refused_as_a_whole(pm, settings, manifest, expected):
    assert _refused(as_zip(manifest), pm, settings) == [expected]


def test_every_problem_is_listed_at_once(pm, settings):
    manifest = minimal()
    manifest["steps"] += [
        {"key": "s2", "kind": "podcast", "title": "Two"},
        {"key": "s3", "kind": "quiz", "title": "Three", "config": {"attempts_limit": "lots"}},
        {"key": "s4", "kind": "lesson", "title": "Four", "prerequisites": ["s9"]},
    ]

    problems = _refused(as_zip(manifest), pm, settings)

    assert problems == [
        "Step 2 (“Two”) has an unknown kind “podcast”.",
        "Step 3 (“Three”): attempts_limit: must be a whole number.",
        "Step 4 (“Four”) needs a prerequisite that is not an earlier step of the file.",
    ]


def _resource_step(name: str, original: str = "slides.pdf") -> dict[str, Any]:
    return _with_step(resources=[{"title": "Slides", "file": name, "original_name": original}])


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (
            {"../evil.txt": b"x"},
            ["The entry “../evil.txt” points outside the archive."],
        ),
        (
            {"resources/../../evil.txt": b"x"},
            ["The entry “resources/../../evil.txt” points outside the archive."],
        ),
        ({"/etc/cron.d/x": b"x"}, ["The entry “/etc/cron.d/x” points outside the archive."]),
        ({"notes.txt": b"x"}, ["Unexpected file “notes.txt”."]),
        ({"resources/sub/x.pdf": PDF}, ["Unexpected file “resources/sub/x.pdf”."]),
        (
            {"resources/unused.pdf": PDF},
            ["The file “resources/unused.pdf” is not used by any step."],
        ),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "unexpected-name", "nested", "unreferenced"],
)
def test_unsafe_or_unexpected_entries_are_refused(pm, settings, entries, expected):
    data = zip_of({"program.json": json.dumps(minimal()).encode(), **entries})

    assert _refused(data, pm, settings) == expected


def test_a_symlink_entry_is_refused(pm, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("program.json", json.dumps(minimal()))
        link = zipfile.ZipInfo("resources/slides.pdf")
        link.external_attr = (0o120777 << 16) | 0x20
        archive.writestr(link, "/etc/passwd")

    assert _refused(buffer.getvalue(), pm, settings) == [
        "The entry “resources/slides.pdf” is a link."
    ]


def test_too_many_entries_are_refused(pm, settings):
    entries = {f"resources/{i}.md": b"x" for i in range(200)}
    data = zip_of({"program.json": json.dumps(minimal()).encode(), **entries})

    assert _refused(data, pm, settings) == [
        "The archive has 201 entries; at most 200 are accepted."
    ]


def test_an_archive_that_unpacks_too_large_is_refused(pm, settings, monkeypatch):
    # the real limit is 100 MB; a small one keeps the test fast
    assert portable.MAX_TOTAL_BYTES == 100 * 1024 * 1024
    monkeypatch.setattr(portable, "MAX_TOTAL_BYTES", 2 * 1024 * 1024)
    data = as_zip(
        _resource_step("resources/big.pdf"), **{"resources/big.pdf": PDF + bytes(3 << 20)}
    )

    assert _refused(data, pm, settings) == [
        "The archive unpacks to 3.0 MB; at most 2 MB are accepted."
    ]


def test_a_missing_program_json_is_refused(pm, settings):
    assert _refused(zip_of({"resources/a.pdf": PDF}), pm, settings) == [
        "The archive has no program.json."
    ]


def test_a_resource_missing_from_the_archive_is_refused(pm, settings):
    problems = _refused(as_zip(_resource_step("resources/slides.pdf")), pm, settings)

    assert problems == [
        "Step 2 (“Second”) needs “resources/slides.pdf”, which is not in the archive."
    ]


def test_a_resource_whose_content_is_not_its_type_is_refused(pm, settings):
    data = as_zip(
        _resource_step("resources/slides.pdf"), **{"resources/slides.pdf": b"<html>hi</html>"}
    )

    assert _refused(data, pm, settings) == [
        "Step 2 (“Second”): “slides.pdf” does not contain what its name says (.pdf)."
    ]


def test_a_resource_of_a_refused_type_is_refused(pm, settings):
    data = as_zip(
        _resource_step("resources/run.exe", original="run.exe"),
        **{"resources/run.exe": b"MZ\x90\x00"},
    )

    problems = _refused(data, pm, settings)

    assert len(problems) == 1
    assert problems[0].startswith("Step 2 (“Second”): Files of type “.exe” are not accepted.")


def test_a_trainer_may_not_import_a_program_for_trainers(make_person, settings):
    trainer = make_person("trainer")

    assert _refused(as_zip(minimal()), trainer, settings) == [
        "Only program managers may import a program for trainers."
    ]


def test_a_trainer_may_import_a_program_for_learners(make_person):
    trainer = make_person("trainer")
    manifest = minimal(program={"title": "Follow-up", "slug": "f", "audience": "learners"})

    imported = portable.import_program(as_zip(manifest), trainer, None)

    assert (imported.audience, imported.created_by) == ("learners", trainer)


def test_a_failure_while_creating_leaves_nothing_behind(program, pm, settings, monkeypatch):
    # given a valid file, and a service that fails after the first file is stored
    data = portable.export_program(program)
    real = svc.resource_add
    calls = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(svc, "resource_add", failing)
    before = state(Path(settings.MEDIA_ROOT))

    # when it is imported
    with pytest.raises(RuntimeError):
        portable.import_program(data, pm, None)

    # then no row and no stored file remain
    assert state(Path(settings.MEDIA_ROOT)) == before
