"""The pure quiz engine: validating questions, serving attempts without leaking answers, grading."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cascade.learning.quiz import (
    BankQuestion,
    QuestionError,
    clean_question,
    correct_answer_text,
    grade,
    normalise_answer,
    public,
    serve,
)

SINGLE = {
    "options": [
        {"id": "a", "text": " Why did that happen? ", "correct": True, "feedback": "Open."},
        {"id": "b", "text": "Is it Tuesday?", "feedback": "Closed."},
    ]
}
MULTIPLE = {
    "options": [
        {"id": "a", "text": "Wait time", "correct": True},
        {"id": "b", "text": "Open questions", "correct": True},
        {"id": "c", "text": "Reading slides aloud", "feedback": "That is lecturing."},
    ]
}


def bank() -> list[BankQuestion]:
    """One question of each kind, validated as the services would store them."""
    raw: list[tuple[str, dict[str, Any]]] = [
        ("single", SINGLE),
        ("multiple", MULTIPLE),
        ("true_false", {"answer": False, "feedback": {"true": "No.", "false": "Right."}}),
        ("short", {"accepted": ["wait time", "think time"]}),
        ("ordering", {"items": ["Plan", "Do", "Check", "Act"]}),
        (
            "matching",
            {"pairs": [{"left": "Kolb", "right": "Cycle"}, {"left": "Bloom", "right": "Taxonomy"}]},
        ),
    ]
    return [
        BankQuestion(
            id=i, kind=kind, prompt=f"Q{i}", data=clean_question(kind, data), explanation=f"E{i}"
        )
        for i, (kind, data) in enumerate(raw, start=1)
    ]


def served_one(kind: str, seed: int = 1) -> dict[str, Any]:
    question = next(q for q in bank() if q.kind == kind)
    return serve([question], rng=random.Random(seed))[0]


def right_response(item: dict[str, Any]) -> Any:
    key = item["key"]
    kind = item["kind"]
    if kind in ("single", "true_false"):
        return key["correct"][0]
    if kind == "multiple":
        return list(key["correct"])
    if kind == "short":
        return key["accepted"][0]
    if kind == "ordering":
        return list(key["order"])
    return dict(key["pairs"])


def refused(kind: str, data: Any) -> dict[str, str]:
    with pytest.raises(QuestionError) as exc:
        clean_question(kind, data)
    return exc.value.errors


# --- clean_question -------------------------------------------------------------------------


def test_single_choice_is_normalised():
    assert clean_question("single", SINGLE) == {
        "options": [
            {"id": "a", "text": "Why did that happen?", "correct": True, "feedback": "Open."},
            {"id": "b", "text": "Is it Tuesday?", "correct": False, "feedback": "Closed."},
        ]
    }


def test_options_without_ids_are_numbered():
    cleaned = clean_question("single", {"options": [{"text": "A", "correct": True}, {"text": "B"}]})
    assert [o["id"] for o in cleaned["options"]] == ["1", "2"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"options": "at least two options"}),
        ({"options": [{"text": "Only", "correct": True}]}, {"options": "at least two options"}),
        (
            {"options": [{"text": "A"}, {"text": "B"}]},
            {"options": "exactly one option must be correct"},
        ),
        (
            {"options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}]},
            {"options": "exactly one option must be correct"},
        ),
        (
            {"options": [{"text": "A", "correct": True}, {"text": "  "}, {"text": "C"}]},
            {"options.1": "every option needs text"},
        ),
        (
            {"options": [{"text": "A", "correct": True}, "B"]},
            {"options.1": "every option needs text", "options": "at least two options"},
        ),
        (
            {"options": [{"id": "x", "text": "A", "correct": True}, {"id": "x", "text": "B"}]},
            {"options": "option ids must be unique"},
        ),
        ({"options": "A\nB"}, {"options": "at least two options"}),
    ],
)
def test_single_choice_refusals(data, errors):
    assert refused("single", data) == errors


def test_multiple_choice_accepts_several_correct_options():
    cleaned = clean_question("multiple", MULTIPLE)
    assert [o["correct"] for o in cleaned["options"]] == [True, True, False]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"options": [{"text": "A"}, {"text": "B"}]},
            {"options": "at least one option must be correct"},
        ),
        ({"options": [{"text": "A", "correct": True}]}, {"options": "at least two options"}),
        (
            {"options": [{"text": ""}, {"text": "B", "correct": True}, {"text": "C"}]},
            {"options.0": "every option needs text"},
        ),
    ],
)
def test_multiple_choice_refusals(data, errors):
    assert refused("multiple", data) == errors


def test_true_false_is_normalised():
    assert clean_question("true_false", {"answer": True, "feedback": {"false": "No"}}) == {
        "answer": True,
        "feedback": {"true": "", "false": "No"},
    }


@pytest.mark.parametrize("answer", [None, "true", 1, 0])
def test_true_false_needs_a_boolean_answer(answer):
    assert refused("true_false", {"answer": answer}) == {"answer": "must be true or false"}


def test_true_false_ignores_feedback_that_is_not_a_mapping():
    assert clean_question("true_false", {"answer": False, "feedback": "oops"}) == {
        "answer": False,
        "feedback": {"true": "", "false": ""},
    }


def test_short_answer_keeps_trimmed_non_blank_answers():
    assert clean_question("short", {"accepted": [" wait time ", "", "  ", "think time"]}) == {
        "accepted": ["wait time", "think time"]
    }


def test_short_answer_given_as_text_takes_one_answer_a_line():
    assert clean_question("short", {"accepted": "wait time\nthink time\n"}) == {
        "accepted": ["wait time", "think time"]
    }


@pytest.mark.parametrize("accepted", [None, [], ["", "  "], ["?", "..."], 42])
def test_short_answer_needs_a_matchable_answer(accepted):
    assert refused("short", {"accepted": accepted}) == {"accepted": "at least one accepted answer"}


def test_ordering_keeps_items_in_the_given_order():
    assert clean_question("ordering", {"items": [" Plan", "Do ", "", "Check"]}) == {
        "items": ["Plan", "Do", "Check"]
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (None, "at least two items, in the correct order"),
        (["Only"], "at least two items, in the correct order"),
        (["Plan", " ", ""], "at least two items, in the correct order"),
        (["Plan", "Do", "Plan"], "items must all differ"),
    ],
)
def test_ordering_refusals(items, message):
    assert refused("ordering", {"items": items}) == {"items": message}


def test_matching_is_normalised():
    data = {
        "pairs": [{"left": " Kolb ", "right": "Cycle"}, {"left": "Bloom", "right": " Taxonomy"}]
    }
    assert clean_question("matching", data) == {
        "pairs": [{"left": "Kolb", "right": "Cycle"}, {"left": "Bloom", "right": "Taxonomy"}]
    }


@pytest.mark.parametrize(
    ("pairs", "errors"),
    [
        (None, {"pairs": "at least two pairs"}),
        ([{"left": "Kolb", "right": "Cycle"}], {"pairs": "at least two pairs"}),
        (
            [
                {"left": "Kolb", "right": "Cycle"},
                {"left": "Bloom"},
                {"left": "Gagne", "right": "Nine"},
            ],
            {"pairs.1": "every pair needs both sides"},
        ),
        (
            [{"left": "Kolb", "right": "Cycle"}, "Bloom=Taxonomy"],
            {"pairs.1": "every pair needs both sides", "pairs": "at least two pairs"},
        ),
        (
            [{"left": "Kolb", "right": "Cycle"}, {"left": "Kolb", "right": "Styles"}],
            {"pairs": "each left and each right side must differ from the others"},
        ),
        (
            [{"left": "Kolb", "right": "Cycle"}, {"left": "Deming", "right": "Cycle"}],
            {"pairs": "each left and each right side must differ from the others"},
        ),
    ],
)
def test_matching_refusals(pairs, errors):
    assert refused("matching", {"pairs": pairs}) == errors


def test_unknown_kind_is_refused():
    assert refused("essay", {"text": "x"}) == {"kind": "unknown question kind 'essay'"}


def test_question_error_message_lists_every_field():
    with pytest.raises(QuestionError, match=r"options\.1: every option needs text; options: at"):
        clean_question("single", {"options": [{"text": "A", "correct": True}, {}]})


# --- serve ----------------------------------------------------------------------------------


def test_public_view_of_every_kind_has_no_answer_key_or_explanation():
    served = serve(bank(), rng=random.Random(3))
    shown = public(served)
    assert [set(item) for item in shown] == [
        {"qid", "kind", "prompt", "options"}
        if item["kind"] in ("single", "multiple", "true_false")
        else {"qid", "kind", "prompt", "items"}
        if item["kind"] == "ordering"
        else {"qid", "kind", "prompt", "lefts", "rights"}
        if item["kind"] == "matching"
        else {"qid", "kind", "prompt"}
        for item in served
    ]
    text = repr(shown)
    for word in ("correct", "feedback", "accepted", "Right.", "Closed.", "think time", "E1"):
        assert word not in text


def test_public_does_not_change_the_snapshot():
    served = serve(bank(), rng=random.Random(3))
    public(served)
    assert all("key" in item and "explanation" in item for item in served)


def test_options_are_shown_with_their_text_and_a_token_only():
    item = served_one("single")
    assert sorted(o["text"] for o in item["options"]) == ["Is it Tuesday?", "Why did that happen?"]
    assert all(set(o) == {"token", "text"} for o in item["options"])


def test_true_false_is_served_as_two_options_true_first():
    item = served_one("true_false")
    assert [o["text"] for o in item["options"]] == ["True", "False"]
    assert item["key"]["correct"] == [item["options"][1]["token"]]


def test_every_serve_uses_fresh_tokens():
    first, second = serve(bank(), rng=random.Random(7)), serve(bank(), rng=random.Random(7))

    def tokens(served: list[dict[str, Any]]) -> set[str]:
        found = set()
        for item in served:
            for part in ("options", "items", "lefts", "rights"):
                found |= {entry["token"] for entry in item.get(part, [])}
        return found

    assert len(tokens(first)) == 2 + 3 + 2 + 4 + 4
    assert tokens(first).isdisjoint(tokens(second))


def test_tokens_do_not_reveal_the_bank_ids():
    item = served_one("single")
    assert {o["token"] for o in item["options"]}.isdisjoint({"a", "b", "1", "2"})


@given(
    items=st.lists(
        st.text(min_size=1, max_size=12).map(str.strip).filter(bool),
        min_size=2,
        max_size=8,
        unique=True,
    ),
    seed=st.integers(min_value=0, max_value=2**32),
)
@settings(max_examples=200, deadline=None)
def test_ordering_is_never_served_in_the_correct_order(items, seed):
    question = BankQuestion(
        id=1, kind="ordering", prompt="Order", data=clean_question("ordering", {"items": items})
    )
    item = serve([question], rng=random.Random(seed))[0]
    shown = [entry["token"] for entry in item["items"]]
    assert shown != item["key"]["order"]
    assert sorted(shown) == sorted(item["key"]["order"])
    assert sorted(entry["text"] for entry in item["items"]) == sorted(items)


@pytest.mark.parametrize("draw", [1, 3, 5])
def test_draw_count_draws_exactly_that_many_distinct_questions(draw):
    served = serve(bank(), rng=random.Random(11), draw_count=draw)
    qids = [item["qid"] for item in served]
    assert len(qids) == draw
    assert len(set(qids)) == draw
    assert set(qids) <= {1, 2, 3, 4, 5, 6}


def test_draw_count_at_or_above_the_bank_size_serves_everything():
    assert sorted(i["qid"] for i in serve(bank(), rng=random.Random(1), draw_count=6)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert sorted(i["qid"] for i in serve(bank(), rng=random.Random(1), draw_count=50)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_unshuffled_quiz_keeps_the_bank_order_even_when_drawing():
    assert [i["qid"] for i in serve(bank(), rng=random.Random(5), shuffle_questions=False)] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    for seed in range(20):
        drawn = [
            i["qid"]
            for i in serve(bank(), rng=random.Random(seed), draw_count=3, shuffle_questions=False)
        ]
        assert drawn == sorted(drawn)


def test_shuffled_quiz_varies_the_question_order():
    orders = {tuple(i["qid"] for i in serve(bank(), rng=random.Random(seed))) for seed in range(10)}
    assert len(orders) > 1


def test_unshuffled_options_keep_their_order():
    question = next(q for q in bank() if q.kind == "multiple")
    for seed in range(10):
        item = serve([question], rng=random.Random(seed), shuffle_options=False)[0]
        assert [o["text"] for o in item["options"]] == [
            "Wait time",
            "Open questions",
            "Reading slides aloud",
        ]


def test_matching_serves_every_left_and_right_once():
    item = served_one("matching")
    assert [x["text"] for x in item["lefts"]] == ["Kolb", "Bloom"]
    assert sorted(x["text"] for x in item["rights"]) == ["Cycle", "Taxonomy"]
    assert set(item["key"]["pairs"]) == {x["token"] for x in item["lefts"]}
    assert set(item["key"]["pairs"].values()) == {x["token"] for x in item["rights"]}


def test_serving_nothing_serves_nothing():
    assert serve([], rng=random.Random(1)) == []


# --- grade ----------------------------------------------------------------------------------


def test_all_right_scores_100_and_each_result_is_exact():
    served = serve(bank(), rng=random.Random(2), shuffle_questions=False)
    results, score = grade(served, {str(i["qid"]): right_response(i) for i in served})
    assert score == 100.0
    assert [(r["qid"], r["points"], r["correct"]) for r in results] == [
        (q, 1.0, True) for q in (1, 2, 3, 4, 5, 6)
    ]
    assert [r["explanation"] for r in results] == ["E1", "E2", "E3", "E4", "E5", "E6"]
    assert results[0]["feedback"] == ["Open."]
    assert results[2]["feedback"] == ["Right."]


def test_single_choice_wrong_option_scores_0_with_its_feedback():
    item = served_one("single")
    wrong = next(o["token"] for o in item["options"] if o["token"] not in item["key"]["correct"])
    results, score = grade([item], {"1": wrong})
    assert (score, results[0]["points"], results[0]["correct"]) == (0.0, 0.0, False)
    assert results[0]["feedback"] == ["Closed."]


def test_true_false_wrong_answer_scores_0():
    item = served_one("true_false")
    _results, score = grade([item], {"3": item["options"][0]["token"]})
    assert score == 0.0


def test_multiple_choice_is_all_or_nothing():
    item = served_one("multiple")
    right = item["key"]["correct"]
    wrong = next(o["token"] for o in item["options"] if o["token"] not in right)
    assert grade([item], {"2": right[:1]})[1] == 0.0
    assert grade([item], {"2": [*right, wrong]})[1] == 0.0
    assert grade([item], {"2": []})[1] == 0.0
    assert grade([item], {"2": list(reversed(right))})[1] == 100.0
    assert grade([item], {"2": [*right, right[0]]})[1] == 100.0


def test_multiple_choice_feedback_is_given_for_each_chosen_option():
    item = served_one("multiple")
    wrong = next(o["token"] for o in item["options"] if o["token"] not in item["key"]["correct"])
    results, _score = grade([item], {"2": [wrong]})
    assert results[0]["feedback"] == ["That is lecturing."]


@pytest.mark.parametrize(
    "given_answer",
    [
        "wait time",
        "Wait Time",
        "  WAIT   time  ",
        "wait\ttime.",
        "wait time!",
        "'wait time'",
        "Think time?",
    ],
)
def test_short_answer_ignores_case_spacing_and_end_punctuation(given_answer):
    assert grade([served_one("short")], {"4": given_answer})[1] == 100.0


@pytest.mark.parametrize("given_answer", ["waittime", "wait", "wait time please", "", "   ", "."])
def test_short_answer_must_match_an_accepted_answer(given_answer):
    assert grade([served_one("short")], {"4": given_answer})[1] == 0.0


def test_normalise_answer():
    assert normalise_answer("  Hello,   World?! ") == "hello, world"
    assert normalise_answer("STRASSE") == normalise_answer("straße")


def test_ordering_earns_the_share_of_items_in_the_right_place():
    item = served_one("ordering")
    a, b, c, d = item["key"]["order"]
    assert grade([item], {"5": [a, b, d, c]})[1] == 50.0
    assert grade([item], {"5": [b, a, d, c]})[1] == 0.0
    assert grade([item], {"5": [a, c, b, d]})[1] == 50.0
    assert grade([item], {"5": [a]})[1] == 25.0
    assert grade([item], {"5": [a, a, a, a]})[1] == 25.0
    results, score = grade([item], {"5": [a, b, c, "zzz"]})
    assert (results[0]["points"], results[0]["correct"], score) == (0.75, False, 75.0)


def test_matching_earns_the_share_of_pairs_matched():
    question = BankQuestion(
        id=6,
        kind="matching",
        prompt="Match",
        data=clean_question(
            "matching",
            {"pairs": [{"left": f"L{i}", "right": f"R{i}"} for i in range(4)]},
        ),
    )
    item = serve([question], rng=random.Random(1))[0]
    pairs = item["key"]["pairs"]
    lefts = list(pairs)
    rights = [pairs[lt] for lt in lefts]
    swapped = {lefts[0]: rights[0], lefts[1]: rights[1], lefts[2]: rights[3], lefts[3]: rights[2]}
    assert grade([item], {"6": swapped})[1] == 50.0
    assert grade([item], {"6": {lefts[0]: rights[0]}})[1] == 25.0
    assert grade([item], {"6": dict.fromkeys(lefts, rights[0])})[1] == 25.0
    assert grade([item], {"6": dict(pairs)})[1] == 100.0


@pytest.mark.parametrize(
    "response",
    [
        None,
        1,
        1.5,
        True,
        "",
        "nonsense",
        [],
        ["nonsense"],
        {},
        {"a": "b"},
        [None, [1]],
        {"x": {"y": []}},
    ],
)
def test_missing_or_malformed_answers_score_0_for_every_kind(response):
    served = serve(bank(), rng=random.Random(4))
    results, score = grade(served, {str(i["qid"]): response for i in served})
    assert score == 0.0
    assert [r["points"] for r in results] == [0.0] * 6


def test_no_responses_at_all_score_0():
    served = serve(bank(), rng=random.Random(4))
    assert grade(served, {})[1] == 0.0
    assert grade(served, None)[1] == 0.0  # type: ignore[arg-type]
    assert grade(served, ["junk"])[1] == 0.0  # type: ignore[arg-type]


def test_responses_are_matched_by_question_id_as_a_string():
    item = served_one("short")
    assert grade([item], {4: "wait time"})[1] == 0.0  # type: ignore[dict-item]
    assert grade([item], {"4": "wait time"})[1] == 100.0


def test_grading_nothing_scores_0():
    assert grade([], {}) == ([], 0.0)


def test_score_is_a_percent_rounded_to_two_places():
    served = serve(bank()[:3], rng=random.Random(1), shuffle_questions=False)
    _results, score = grade(
        served, {"1": right_response(served[0]), "2": right_response(served[1])}
    )
    assert score == 66.67
    _r, one_third = grade(served, {"1": right_response(served[0])})
    assert one_third == 33.33


def test_partial_points_are_rounded_to_four_places():
    question = BankQuestion(id=5, kind="ordering", prompt="Order", data={"items": ["A", "B", "C"]})
    item = serve([question], rng=random.Random(1))[0]
    first = item["key"]["order"][0]
    results, score = grade([item], {"5": [first]})
    assert (results[0]["points"], score) == (0.3333, 33.33)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@given(responses=st.dictionaries(st.sampled_from(["1", "2", "3", "4", "5", "6", "7"]), json_values))
@settings(max_examples=300, deadline=None)
def test_random_json_responses_never_raise(responses):
    served = serve(bank(), rng=random.Random(0))
    results, score = grade(served, responses)
    assert len(results) == 6
    assert 0.0 <= score <= 100.0
    assert all(0.0 <= r["points"] <= 1.0 for r in results)


@given(responses=json_values)
@settings(max_examples=100, deadline=None)
def test_responses_that_are_not_a_mapping_never_raise(responses):
    served = serve(bank(), rng=random.Random(0))
    assert grade(served, responses)[1] == 0.0


# --- correct_answer_text --------------------------------------------------------------------


def test_correct_answer_text_for_each_kind():
    texts = {
        item["kind"]: correct_answer_text(item)
        for item in serve(bank(), rng=random.Random(9), shuffle_options=False)
    }
    assert texts == {
        "single": "Why did that happen?",
        "multiple": "Wait time; Open questions",
        "true_false": "False",
        "short": "wait time / think time",
        "ordering": "Plan → Do → Check → Act",
        "matching": "Kolb = Cycle; Bloom = Taxonomy",
    }
