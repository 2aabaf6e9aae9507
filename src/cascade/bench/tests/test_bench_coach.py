"""The coach benchmark prints the evaluation of the labelled questions as one JSON line."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from io import StringIO

import pytest
from django.core.management.base import CommandError

from cascade.bench import coach


def _options(*argv: str) -> dict[str, object]:
    parser = ArgumentParser()
    coach.add_arguments(parser)
    return vars(parser.parse_args(argv))


def test_bench_coach_prints_one_json_line_for_the_labelled_set():
    out = StringIO()

    coach.run(options=_options("--iterations", "1"), stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert set(result) == {
        "set",
        "items",
        "accuracy",
        "macro_f1",
        "open_accuracy",
        "unsure_share",
        "confident_items",
        "confident_accuracy",
        "levels",
        "confusion",
        "classify_us_median",
    }
    assert (result["set"], result["items"]) == ("coach_labelled.json", 201)
    assert set(result["levels"]["analyze"]) == {"precision", "recall", "f1", "support"}
    assert result["classify_us_median"] > 0


def test_bench_coach_takes_another_set(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(
        '[{"question": "Define sepsis.", "level": "remember", "open": false}]', encoding="utf-8"
    )
    out = StringIO()

    coach.run(options=_options("--labelled", str(path), "--iterations", "1"), stdout=out)

    result = json.loads(out.getvalue())
    assert (result["set"], result["items"], result["accuracy"]) == ("mine.json", 1, 1.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "Cannot read"), ("[]", "holds no questions"), ('[{"question": "Q"}]', "Cannot")],
)
def test_bench_coach_refuses_a_bad_set(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        coach.run(options=_options("--labelled", str(path)), stdout=StringIO())
