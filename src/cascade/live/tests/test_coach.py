"""The question coach: each rule family, open/closed, unsure cases, the plan summary, the
``coach classify`` command, and accuracy floors on the hand-labelled questions."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from cascade.learning.models import BloomLevel
from cascade.live.coach import LEVELS, Classification, PlanSummary, classify, plan_summary
from cascade.live.coach_eval import HOLDOUT_PATH, LABELLED_PATH, Labelled, evaluate, load_labelled
from cascade.live.coach_rules import verb_forms


def test_levels_are_the_bloom_level_values():
    assert tuple(BloomLevel.values) == LEVELS


def test_verb_forms_cover_inflections_and_both_spellings():
    assert set(verb_forms("compare")) == {"compare", "compares", "compared", "comparing"}
    assert set(verb_forms("plan")) == {"plan", "plans", "planned", "planning"}
    assert set(verb_forms("identify")) == {"identify", "identifies", "identified", "identifying"}
    assert {"analyse", "analyze", "analysing", "analyzing", "analyzed"} <= set(
        verb_forms("analyse")
    )
    assert {"summarise", "summarize", "summarizes"} <= set(verb_forms("summarise"))


# --- Levels, one rule family at a time ------------------------------------------------------

LEVEL_CASES = [
    # remember: define / list / name, acronyms, who / when / how many, "what is the <fact>"
    ("Define aerosol-generating procedure.", "remember", False),
    ("List the PPE for contact precautions.", "remember", False),
    ("Can you name the five moments?", "remember", False),
    ("What does MUST stand for?", "remember", False),
    ("Who chairs the infection control committee?", "remember", False),
    ("How many links are in the chain of infection?", "remember", False),
    ("What is the normal adult respiratory rate?", "remember", False),
    # understand: explain / summarise / why does / in your own words / give an example
    ("Explain how the hoist works.", "understand", True),
    ("Summarise the trust's restraint policy.", "understand", True),
    ("Summarize the trust's restraint policy.", "understand", True),
    ("Why does hand drying matter after washing?", "understand", True),
    ("In your own words, what is a learning outcome?", "understand", True),
    ("Give an example of an open question.", "understand", True),
    ("Is this an example of a closed question?", "understand", False),
    # apply: how would you use / what would you do if / calculate / demonstrate / what if
    ("How would you use a slide sheet to turn this patient?", "apply", True),
    ("What would you do if the hoist battery failed mid-transfer?", "apply", True),
    ("Calculate the patient's NEWS2 score.", "apply", False),
    ("Demonstrate a safe handover using SBAR.", "apply", False),
    ("Which sling would you choose for this patient?", "apply", False),
    ("What if the relative refuses to leave?", "apply", True),
    # analyse: compare / the difference / why did / what evidence
    ("Compare the two hoists for this patient.", "analyze", True),
    ("Comparing the two audits, what has changed?", "analyze", True),
    ("What is the difference between a standing aid and a hoist?", "analyze", True),
    ("What’s the difference between a hoist and a stand aid?", "analyze", True),
    ("Why did the transfer go wrong?", "analyze", True),
    ("What evidence shows the patient was septic on arrival?", "analyze", True),
    # evaluate: judge / which is better / justify / do you agree / assess / how effective
    ("Judge whether the session met its outcomes.", "evaluate", True),
    ("Which is better for teaching de-escalation, video or role-play?", "evaluate", False),
    ("Justify your choice of sling.", "evaluate", True),
    ("Do you agree with the decision to discharge?", "evaluate", False),
    ("Assess the risk of this transfer.", "evaluate", True),
    ("How effective was the hand hygiene campaign?", "evaluate", True),
    ("Should the nurse have called for help sooner?", "evaluate", False),
    # create: design / propose / create / how could we improve / plan / what would you add
    ("Design a poster about the Sepsis Six.", "create", True),
    ("Propose a new way to run the huddle.", "create", True),
    ("Create a role-play for reception staff.", "create", True),
    ("How could we improve attendance at refresher training?", "create", True),
    ("Plan a ten-minute teaching session on gloves.", "create", True),
    ("What would you add to this plan?", "create", True),
]


@pytest.mark.parametrize(("question", "level", "is_open"), LEVEL_CASES)
def test_each_rule_family_gives_its_level_with_confidence(question, level, is_open):
    result = classify(question)

    assert (result.level, result.open, result.confident) == (level, is_open, True)


def test_the_reasons_name_the_cue_as_written():
    assert classify("Compare the two hoists for this patient.").reasons == (
        'verb "compare" → analyse',
        '"compare" asks for an answer in the learner\'s words → open',
    )
    assert classify("Comparing the two audits, what has changed?").reasons[0] == (
        'verb "comparing" → analyse'
    )
    assert classify("Is it sepsis or dehydration?").reasons == (
        'stem "is … or …?" → understand',
        "a choice between options → closed",
    )


def test_case_does_not_matter():
    shouted = classify("COMPARE THE TWO HOISTS FOR THIS PATIENT.")

    assert (shouted.level, shouted.open, shouted.confident) == ("analyze", True, True)
    assert shouted.question == "COMPARE THE TWO HOISTS FOR THIS PATIENT."


def test_bloom_verbs_used_as_nouns_are_not_cues():
    # "plan" and "rate" are create and evaluate verbs, but here they are nouns.
    plan = classify("Is the session plan on the shared drive?")
    rate = classify("What is the normal adult respiratory rate?")

    assert not any("create" in reason for reason in plan.reasons)
    assert not any("evaluate" in reason for reason in rate.reasons)


def test_a_phrasal_verb_of_one_level_does_not_fire_its_head_verb_of_another():
    result = classify("Write down the five moments for hand hygiene.")

    assert (result.level, result.confident) == ("remember", True)
    assert not any("create" in reason for reason in result.reasons)


def test_the_question_after_a_scenario_sentence_decides():
    result = classify("A visitor is shouting at the nursing station. What would you say first?")

    assert (result.level, result.open, result.confident) == ("apply", True, True)


def test_an_abbreviation_is_not_the_end_of_a_sentence():
    result = classify("In your judgement, which intervention cut C. difficile cases most?")

    assert (result.level, result.open) == ("evaluate", False)


def test_the_classification_is_frozen_and_keeps_the_question_trimmed():
    result = classify("  Define sepsis.  ")

    assert result.question == "Define sepsis."
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = "create"  # type: ignore[misc]


# --- Open or closed -------------------------------------------------------------------------

OPEN_CASES = [
    ("Is the hoist charged?", False),
    ("Are gloves needed for this task?", False),
    ("Do staff clean the commodes daily?", False),
    ("Does the policy allow bank staff to lead a huddle?", False),
    ("Can you name the five moments?", False),
    ("Will you be there tomorrow?", False),
    ("Have you used the new sling before?", False),
    ("Which of these slings fits this patient?", False),
    ("Is it sepsis or dehydration?", False),
    ("When was the policy last updated?", False),
    ("At what point should you call for help?", False),
    ("How many handlers does this transfer need?", False),
    ("List three signs of agitation.", False),
    ("Can you explain the five moments?", True),
    ("Why might a learner stay silent?", True),
    ("How do you know the patient is improving?", True),
    ("What if the relative refuses to leave?", True),
    ("Explain why we check the sling before each use.", True),
    ("Describe the chain of infection.", True),
    ("Compare the two hoists for this patient.", True),
    ("Should we stop the session early, and why?", True),
    ("Does a normal temperature rule out sepsis? Why or why not?", True),
    ("Which sling is safest here, and what would you check first?", True),
]


@pytest.mark.parametrize(("question", "is_open"), OPEN_CASES)
def test_open_or_closed_follows_the_stem(question, is_open):
    assert classify(question).open is is_open


# --- Unsure ---------------------------------------------------------------------------------


def test_no_rule_matched_guesses_and_says_so():
    result = classify("Tell me more.")

    assert result == Classification(
        question="Tell me more.",
        level="understand",
        open=True,
        confident=False,
        reasons=("no rule matched; guessed understand", "understand-level question → open"),
    )


def test_a_closed_question_with_no_cue_is_guessed_recall():
    result = classify("Is the hoist charged?")

    assert (result.level, result.open, result.confident) == ("remember", False, False)
    assert result.reasons[0] == "no rule matched; guessed remember"


def test_a_tie_between_levels_is_unsure_and_takes_the_earlier_cue():
    result = classify("Explain the difference between pedagogy and andragogy.")

    assert (result.level, result.confident) == ("understand", False)
    assert "tie between understand and analyse; took the earlier cue" in result.reasons


def test_conflicting_cues_are_unsure():
    result = classify("List the ways this session plan could be improved.")

    assert (result.level, result.confident) == ("remember", False)
    assert "cues conflict: also create (2 vs 3)" in result.reasons


def test_a_weak_cue_alone_is_unsure():
    result = classify("What is andragogy?")

    assert (result.level, result.confident) == ("remember", False)
    assert "only a weak cue" in result.reasons


# --- Plan summary ---------------------------------------------------------------------------


def _c(level: str, *, is_open: bool = True, confident: bool = True) -> Classification:
    return Classification("Q?", level, is_open, confident, ())


def test_a_mostly_recall_plan_is_told_to_add_an_apply_or_analyse_question():
    plan = [
        *[_c("remember", is_open=False)] * 4,
        *[_c("understand")] * 3,
        _c("apply"),
        _c("evaluate"),
    ]

    summary = plan_summary(plan)

    assert summary == PlanSummary(
        total=9,
        counts={
            "remember": 4,
            "understand": 3,
            "apply": 1,
            "analyze": 0,
            "evaluate": 1,
            "create": 0,
        },
        recall=7,
        open=5,
        unsure=0,
        recall_share=0.778,
        open_share=0.556,
        advice=("7 of 9 questions are recall-level — add an apply/analyse question.",),
    )


def test_a_closed_recall_quiz_gets_three_lines_of_advice_most_useful_first():
    plan = [
        *[_c("remember", is_open=False)] * 3,
        _c("understand", is_open=False),
        _c("understand", is_open=False, confident=False),
    ]

    summary = plan_summary(plan)

    assert summary.advice == (
        "5 of 5 questions are recall-level — add an apply/analyse question.",
        "No question asks learners to judge or create — add an evaluate/create question such "
        "as “Which is better here, and why?”.",
        "Only 0 of 5 questions are open — reword one as a why or how question.",
    )
    assert (summary.unsure, summary.open_share, summary.recall_share) == (1, 0.0, 1.0)


def test_a_plan_without_apply_or_analyse_is_told_so():
    plan = [_c("remember", is_open=False), _c("evaluate"), _c("create"), _c("create")]

    assert plan_summary(plan).advice == (
        "No question asks learners to apply or analyse — add one.",
    )


def test_a_balanced_plan_gets_no_advice():
    summary = plan_summary(_c(level) for level in LEVELS)

    assert summary.advice == ()
    assert summary.counts == dict.fromkeys(LEVELS, 1)
    assert (summary.recall_share, summary.open_share) == (0.333, 1.0)


def test_unsure_questions_are_pointed_out():
    plan = [_c("understand"), _c("apply", confident=False), _c("evaluate", confident=False)]

    assert plan_summary(plan).advice == (
        "2 questions are hard to classify — check they say what learners must do.",
    )


def test_the_empty_plan():
    assert plan_summary([]) == PlanSummary(
        total=0,
        counts=dict.fromkeys(LEVELS, 0),
        recall=0,
        open=0,
        unsure=0,
        recall_share=0.0,
        open_share=0.0,
        advice=("No questions yet — plan a few, from recall up to apply and beyond.",),
    )


def test_a_written_plan_end_to_end():
    questions = [
        "What does SBAR stand for?",
        "List the five moments for hand hygiene.",
        "Define sepsis.",
        "Explain why we use a slide sheet.",
        "What would you do if a patient slid out of the chair?",
    ]

    summary = plan_summary(classify(q) for q in questions)

    assert summary.counts == {
        "remember": 3,
        "understand": 1,
        "apply": 1,
        "analyze": 0,
        "evaluate": 0,
        "create": 0,
    }
    assert summary.advice[0] == (
        "4 of 5 questions are recall-level — add an apply/analyse question."
    )


# --- The command ----------------------------------------------------------------------------


def test_coach_classify_prints_one_json_object_a_line_and_skips_blank_lines():
    stdin = StringIO("Define sepsis.\n\n   \nCompare the two hoists for this patient.\n")
    out = StringIO()

    call_command("coach", "classify", stdin=stdin, stdout=out)

    assert out.getvalue().splitlines() == [
        '{"question": "Define sepsis.", "level": "remember", "open": false, "confident": true}',
        '{"question": "Compare the two hoists for this patient.", "level": "analyze", '
        '"open": true, "confident": true}',
    ]


def test_coach_classify_with_no_input_prints_nothing():
    out = StringIO()

    call_command("coach", "classify", stdin=StringIO(""), stdout=out)

    assert out.getvalue() == ""


def test_coach_needs_a_subcommand():
    with pytest.raises(CommandError, match="SUBCOMMAND"):
        call_command("coach", stdout=StringIO())


def test_coach_classify_reads_the_real_standard_input():
    given = "Is the hoist charged?\nDesign a poster about the Sepsis Six.\n"

    done = subprocess.run(
        [sys.executable, "-m", "cascade", "coach", "classify"],
        input=given,
        capture_output=True,
        text=True,
        cwd=Path(settings.PROJECT_DIR),
        timeout=60,
        check=True,
    )

    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {
            "question": "Is the hoist charged?",
            "level": "remember",
            "open": False,
            "confident": False,
        },
        {
            "question": "Design a poster about the Sepsis Six.",
            "level": "create",
            "open": True,
            "confident": True,
        },
    ]


# --- Evaluation -----------------------------------------------------------------------------


def test_evaluate_counts_exactly_on_a_small_set():
    labelled = [
        Labelled("Define sepsis.", "remember", False),
        Labelled("Compare the two hoists for this patient.", "analyze", True),
        Labelled("Design a poster about the Sepsis Six.", "evaluate", True),  # the coach: create
    ]

    result = evaluate(labelled)

    assert json.loads(json.dumps(result)) == result
    assert {k: v for k, v in result.items() if k not in ("levels", "confusion")} == {
        "items": 3,
        "accuracy": 0.667,
        "macro_f1": 0.333,
        "open_accuracy": 1.0,
        "unsure_share": 0.0,
        "confident_items": 3,
        "confident_accuracy": 0.667,
    }
    right = {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    wrong = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert result["levels"]["remember"] == {**right, "support": 1}
    assert result["levels"]["evaluate"] == {**wrong, "support": 1}
    assert result["levels"]["create"] == {**wrong, "support": 0}
    assert result["confusion"]["evaluate"]["create"] == 1


def test_evaluate_an_empty_set():
    result = evaluate([])

    assert (result["items"], result["accuracy"], result["confident_accuracy"]) == (0, 0.0, 0.0)


def test_load_labelled_refuses_unknown_levels(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"question": "Q?", "level": "synthesis", "open": true}]', encoding="utf-8")

    with pytest.raises(ValueError, match="synthesis"):
        load_labelled(path)


def test_the_labelled_set_is_big_varied_and_unique():
    labelled = load_labelled(LABELLED_PATH)

    per_level = {level: sum(1 for i in labelled if i.level == level) for level in LEVELS}
    assert len(labelled) >= 150
    assert min(per_level.values()) >= 20
    assert sum(1 for i in labelled if not i.open) >= 40
    assert sum(1 for i in labelled if i.open) >= 40
    assert len({i.question for i in labelled}) == len(labelled)


# Measured on the development set when the rules were frozen: accuracy 0.915, open/closed 0.975,
# 13.4% unsure, 0.954 on the confident rest; recall per level below plus about 0.06 (two items).
RECALL_FLOORS = {
    "remember": 0.83,  # measured 0.889
    "understand": 0.77,  # 0.833
    "apply": 0.84,  # 0.906
    "analyze": 0.87,  # 0.938
    "evaluate": 0.91,  # 0.970
    "create": 0.90,  # 0.969
}


def test_accuracy_floor_on_the_labelled_set():
    result = evaluate(load_labelled(LABELLED_PATH))

    assert result["accuracy"] >= 0.89
    assert result["open_accuracy"] >= 0.95
    assert result["confident_accuracy"] >= 0.93
    assert result["unsure_share"] <= 0.20  # not buying accuracy by doubting everything
    for level, floor in RECALL_FLOORS.items():
        assert result["levels"][level]["recall"] >= floor, level


def test_accuracy_floor_on_the_holdout_set():
    # Written before the rules and never used to tune them; measured 0.95 and 0.983.
    result = evaluate(load_labelled(HOLDOUT_PATH))

    assert result["items"] == 60
    assert result["accuracy"] >= 0.90
    assert result["open_accuracy"] >= 0.95
