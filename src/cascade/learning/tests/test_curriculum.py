"""The built-in "Trainer Essentials" program: its data loads, installs through the services,
publishes, installs only once, renders, and every question can be answered in full."""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

import pytest

from cascade.core.markdown import render_markdown
from cascade.core.models import AuditEntry
from cascade.learning.curriculum.install import (
    TRAINER_ESSENTIALS_SLUG,
    CurriculumError,
    install_trainer_essentials,
    load_curriculum,
)
from cascade.learning.models import (
    Module,
    Program,
    ProgramVersion,
    Question,
    Step,
    StepQuestion,
)
from cascade.learning.quiz import KINDS, BankQuestion, clean_question, grade, serve
from cascade.learning.services import programs as svc
from cascade.learning.step_config import quiz_config

HIGHER_ORDER = {"apply", "analyze", "evaluate", "create"}


@pytest.fixture
def program(db) -> Program:
    return install_trainer_essentials()


def version_of(program: Program) -> ProgramVersion:
    version = svc.current_version(program)
    assert version is not None
    return version


def steps_of(program: Program, kind: str | None = None) -> list[Step]:
    steps = Step.objects.filter(version=version_of(program)).order_by("position")
    return list(steps.filter(kind=kind) if kind else steps)


def bank_of(step: Step) -> list[BankQuestion]:
    return [
        BankQuestion(
            id=sq.question.pk,
            kind=sq.question.kind,
            prompt=sq.question.prompt,
            data=sq.question.data,
            explanation=sq.question.explanation,
        )
        for sq in step.step_questions.select_related("question").order_by("position")
    ]


def correct_responses(served: list[dict[str, Any]]) -> dict[str, Any]:
    """The full-marks answer to every served question, built from its answer key."""
    responses: dict[str, Any] = {}
    for item in served:
        key = item["key"]
        if item["kind"] in ("single", "true_false"):
            answer: Any = key["correct"][0]
        elif item["kind"] == "multiple":
            answer = list(key["correct"])
        elif item["kind"] == "short":
            answer = key["accepted"][0]
        elif item["kind"] == "ordering":
            answer = list(key["order"])
        else:
            answer = dict(key["pairs"])
        responses[str(item["qid"])] = answer
    return responses


def row_counts() -> dict[str, int]:
    return {
        "programs": Program.objects.count(),
        "versions": ProgramVersion.objects.count(),
        "modules": Module.objects.count(),
        "steps": Step.objects.count(),
        "questions": Question.objects.count(),
        "step_questions": StepQuestion.objects.count(),
        "prerequisites": Step.prerequisites.through.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


# --- The data, before any database ----------------------------------------------------------


def test_the_data_loads_and_every_question_is_valid():
    spec = load_curriculum()

    assert spec.slug == TRAINER_ESSENTIALS_SLUG
    assert spec.title == "Trainer Essentials"
    for question in spec.questions:
        clean_question(question.kind, question.data)
        assert question.prompt
        assert question.explanation
        assert question.topic
        assert question.bloom_level


def test_every_quiz_follows_its_lesson_and_requires_it():
    steps = load_curriculum().steps
    for i, step in enumerate(steps):
        if step.kind == "quiz":
            lesson = steps[i - 1]
            assert lesson.kind == "lesson"
            assert lesson.slug in step.prerequisites


def test_lessons_are_substantial_with_a_worked_example_and_a_try_this_box():
    for step in load_curriculum().steps:
        if step.kind != "lesson":
            continue
        words = len(step.body.split())
        assert 450 <= words <= 1000, (step.slug, words)
        assert step.body.count("\n## ") >= 4, step.slug
        assert "## Worked example" in step.body, step.slug
        assert "**Try this:**" in step.body, step.slug


def test_a_bad_manifest_is_refused_with_every_problem(tmp_path, monkeypatch):
    from cascade.learning.curriculum import install

    manifest = (
        '{"format": "cascade.curriculum", "slug": "x", "title": "X", "modules": [{"title": "M",'
        ' "steps": [{"slug": "q", "kind": "quiz", "title": "Q", "prerequisites": ["later"],'
        ' "config": {"pass_mark": 300, "draw_count": 5}},'
        ' {"slug": "l", "kind": "lesson", "title": "L", "file": "../secret.md"}]}],'
        ' "questions": [{"quiz": "q", "kind": "single", "prompt": "P", "data": {"options": []}}]}'
    )
    monkeypatch.setattr(install, "_read_text", lambda package, name: manifest)

    with pytest.raises(CurriculumError) as exc:
        load_curriculum("anything")

    text = " | ".join(exc.value.problems)
    for fragment in ("'later' is not an earlier step", "pass_mark", "plain .md name", "options"):
        assert fragment in text


# --- Installing -----------------------------------------------------------------------------


def test_installing_builds_the_whole_program(program):
    version = version_of(program)
    kinds = Counter(s.kind for s in steps_of(program))

    assert program.slug == TRAINER_ESSENTIALS_SLUG
    assert version.number == 1
    assert version.status == ProgramVersion.Status.PUBLISHED
    assert svc.draft_version(program) is None
    assert kinds["lesson"] >= 10
    assert kinds["quiz"] >= 10
    assert kinds["reflection"] >= 3
    assert kinds["on_the_job"] == 1
    assert kinds["teach_back"] == 1
    assert kinds["mentoring"] == 1
    assert kinds["live_session"] == 1
    assert Module.objects.filter(version=version).count() >= 4
    assert not Step.objects.filter(version=version, module__isnull=True).exists()


def test_the_question_bank_covers_every_kind_and_higher_order_thinking(program):
    questions = list(Question.objects.filter(program=program))
    kinds = Counter(q.kind for q in questions)
    higher = sum(q.bloom_level in HIGHER_ORDER for q in questions)

    assert len(questions) >= 60
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 6
    assert higher >= 0.25 * len(questions)
    assert {q.bloom_level for q in questions} >= {"remember", "understand", "apply", "analyze"}
    for question in questions:
        assert clean_question(question.kind, question.data) == question.data


def test_quiz_settings_and_question_counts(program):
    quizzes = steps_of(program, "quiz")
    draws = 0
    for step in quizzes:
        cfg = quiz_config(step.config)
        count = step.step_questions.count()
        assert count >= 6, step.title
        assert 70 <= cfg.pass_mark <= 80
        assert cfg.attempts_limit == 3
        assert cfg.policy == "best"
        if cfg.draw_count:
            draws += 1
            assert count >= cfg.draw_count
            assert count > cfg.draw_count, "a draw should leave something to vary"
    assert 1 <= draws <= 2


def test_prerequisites_and_due_dates(program):
    steps = steps_of(program)
    for i, step in enumerate(steps):
        if step.kind == "quiz":
            assert steps[i - 1] in step.prerequisites.all()
    teach_back = steps_of(program, "teach_back")[0]
    required = set(teach_back.prerequisites.values_list("kind", flat=True))
    assert required == {"lesson"}
    assert teach_back.prerequisites.count() >= 5
    assert teach_back.position > len(steps) - 4  # near the end

    dues = [s.due_offset_days for s in steps]
    assert all(d is not None for d in dues)
    assert dues == sorted(dues)
    assert 60 <= max(dues) <= 75  # about ten weeks


def test_special_steps_are_configured(program):
    on_the_job = steps_of(program, "on_the_job")[0]
    assert len(on_the_job.config["checklist"]) >= 5
    assert on_the_job.config["evidence_required"] is True

    live = steps_of(program, "live_session")[0]
    assert live.config["starts_at"] == ""  # a placeholder: the delivery area sets it
    assert live.config["join_url"] == ""

    for reflection in steps_of(program, "reflection"):
        assert reflection.config["min_words"] >= 100
        assert re.search(r"^1\. ", reflection.body, re.MULTILINE), "numbered prompts"

    assert steps_of(program, "mentoring")[0].config["meetings_required"] >= 1
    assert steps_of(program, "teach_back")[0].config["duration_minutes"] == 15


def test_every_lesson_renders_with_its_headings(program):
    for lesson in steps_of(program, "lesson"):
        headings = re.findall(r"^(#{1,6}) ", lesson.body, re.MULTILINE)
        html = str(render_markdown(lesson.body))
        rendered = re.findall(r"<h([1-6])>", html)
        assert len(rendered) == len(headings), lesson.title
        assert [int(n) for n in rendered] == [len(h) for h in headings]
        assert "<table>" in html or "<ul>" in html
        assert "<blockquote>" in html  # the "try this" box


def test_installing_twice_changes_nothing(program):
    before = row_counts()

    again = install_trainer_essentials()

    assert again == program
    assert row_counts() == before


def test_an_edited_program_is_left_alone(db, make_person):
    pm = make_person("program_manager")
    program = install_trainer_essentials(actor=pm)
    svc.program_update(program=program, actor=pm, title="Our trainer course")

    again = install_trainer_essentials(actor=pm)

    again.refresh_from_db()
    assert again.title == "Our trainer course"
    assert Program.objects.filter(slug=TRAINER_ESSENTIALS_SLUG).count() == 1


def test_installing_with_an_actor_records_them(db, make_person):
    pm = make_person("program_manager")

    program = install_trainer_essentials(actor=pm)

    assert program.created_by == pm
    assert version_of(program).published_by == pm
    assert AuditEntry.objects.filter(action="learning.version.published", actor=pm).exists()


def test_installing_as_a_draft(db):
    program = install_trainer_essentials(publish=False)

    draft = svc.draft_version(program)
    assert draft is not None
    assert draft.number == 1
    assert svc.current_version(program) is None
    assert svc.publish_problems(draft) == []


def test_a_failure_part_way_leaves_nothing(db, monkeypatch):
    calls = {"n": 0}
    original = svc.question_create

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 40:
            raise RuntimeError("boom")
        return original(**kwargs)

    monkeypatch.setattr(svc, "question_create", flaky)

    with pytest.raises(RuntimeError):
        install_trainer_essentials()

    assert not Program.objects.filter(slug=TRAINER_ESSENTIALS_SLUG).exists()
    assert Question.objects.count() == 0


# --- Every quiz can be taken and passed ------------------------------------------------------


def test_every_quiz_can_be_answered_in_full(program):
    rng = random.Random(2024)
    for step in steps_of(program, "quiz"):
        cfg = quiz_config(step.config)
        bank = bank_of(step)

        everything = serve(bank, rng=rng)
        results, score = grade(everything, correct_responses(everything))
        assert score == 100.0, (step.title, [r for r in results if not r["correct"]])
        assert all(r["explanation"] for r in results)

        drawn = serve(
            bank,
            rng=rng,
            draw_count=cfg.draw_count,
            shuffle_questions=cfg.shuffle_questions,
            shuffle_options=cfg.shuffle_options,
        )
        assert len(drawn) == (cfg.draw_count or len(bank))
        assert grade(drawn, correct_responses(drawn))[1] == 100.0


def test_wrong_answers_do_not_score_full_marks(program):
    """The keys discriminate: answering every question badly scores well below the pass mark."""
    rng = random.Random(7)
    for step in steps_of(program, "quiz"):
        served = serve(bank_of(step), rng=rng)
        wrong: dict[str, Any] = {}
        for item in served:
            if item["kind"] in ("single", "true_false"):
                wrong[str(item["qid"])] = next(
                    o["token"] for o in item["options"] if o["token"] not in item["key"]["correct"]
                )
            elif item["kind"] == "multiple":
                wrong[str(item["qid"])] = [o["token"] for o in item["options"]]
            elif item["kind"] == "short":
                wrong[str(item["qid"])] = "no idea"
            elif item["kind"] == "ordering":
                wrong[str(item["qid"])] = list(reversed(item["key"]["order"]))
            else:
                pairs = item["key"]["pairs"]
                rights = list(pairs.values())
                wrong[str(item["qid"])] = dict(zip(pairs, rights[1:] + rights[:1], strict=True))
        _, score = grade(served, wrong)
        assert score < quiz_config(step.config).pass_mark, step.title
