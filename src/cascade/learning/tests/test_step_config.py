"""Per-kind step settings: defaults, limits and errors keyed by field."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.learning.step_config import ConfigError, QuizConfig, clean_config, quiz_config


def refused(kind: str, raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        clean_config(kind, raw)
    return exc.value.errors


@pytest.mark.parametrize(
    ("kind", "defaults"),
    [
        ("lesson", {"video_url": ""}),
        (
            "quiz",
            {
                "pass_mark": 80,
                "attempts_limit": 3,
                "time_limit_minutes": None,
                "shuffle_questions": True,
                "shuffle_options": True,
                "draw_count": None,
                "policy": "best",
                "show_answers": "final",
            },
        ),
        ("live_session", {"starts_at": "", "ends_at": "", "venue": "", "join_url": ""}),
        ("teach_back", {"duration_minutes": 15, "peers_may_observe": False}),
        ("on_the_job", {"checklist": [], "evidence_required": True}),
        ("reflection", {"min_words": 50}),
        ("mentoring", {"meetings_required": 1}),
    ],
)
def test_defaults_per_kind(kind, defaults):
    assert clean_config(kind, None) == defaults
    assert clean_config(kind, {}) == defaults


@pytest.mark.parametrize("kind", ["lesson", "quiz", "reflection", "mentoring", "teach_back"])
def test_blank_values_take_the_default(kind):
    blank = {
        "video_url": "",
        "pass_mark": "",
        "attempts_limit": None,
        "time_limit_minutes": "",
        "draw_count": None,
        "policy": "",
        "min_words": "",
        "meetings_required": None,
        "duration_minutes": "",
    }
    assert clean_config(kind, blank) == clean_config(kind, {})


def test_unknown_keys_are_dropped():
    assert clean_config("reflection", {"min_words": "10", "colour": "red"}) == {"min_words": 10}


def test_quiz_values_are_kept():
    raw = {
        "pass_mark": "70",
        "attempts_limit": 0,
        "time_limit_minutes": 20,
        "shuffle_questions": False,
        "shuffle_options": False,
        "draw_count": "5",
        "policy": "last",
    }
    assert clean_config("quiz", raw) == {
        "pass_mark": 70,
        "attempts_limit": 0,
        "time_limit_minutes": 20,
        "shuffle_questions": False,
        "shuffle_options": False,
        "draw_count": 5,
        "policy": "last",
        "show_answers": "final",
    }
    assert quiz_config(raw) == QuizConfig(
        pass_mark=70,
        attempts_limit=0,
        time_limit_minutes=20,
        shuffle_questions=False,
        shuffle_options=False,
        draw_count=5,
        policy="last",
    )


def test_a_pass_mark_of_zero_is_kept():
    assert clean_config("quiz", {"pass_mark": 0})["pass_mark"] == 0


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"pass_mark": 101}, {"pass_mark": "must be between 0 and 100"}),
        ({"pass_mark": -1}, {"pass_mark": "must be between 0 and 100"}),
        ({"pass_mark": "eighty"}, {"pass_mark": "must be a whole number"}),
        ({"pass_mark": 79.5}, {"pass_mark": "must be a whole number"}),
        ({"pass_mark": True}, {"pass_mark": "must be a whole number"}),
        ({"attempts_limit": 101}, {"attempts_limit": "must be between 0 and 100"}),
        ({"attempts_limit": [3]}, {"attempts_limit": "must be a whole number"}),
        ({"time_limit_minutes": 0}, {"time_limit_minutes": "must be between 1 and 600"}),
        ({"time_limit_minutes": 601}, {"time_limit_minutes": "must be between 1 and 600"}),
        ({"draw_count": 0}, {"draw_count": "must be between 1 and 500"}),
        ({"draw_count": 501}, {"draw_count": "must be between 1 and 500"}),
        ({"policy": "worst"}, {"policy": "must be best or last"}),
        (
            {"pass_mark": 200, "policy": "first"},
            {"pass_mark": "must be between 0 and 100", "policy": "must be best or last"},
        ),
    ],
)
def test_quiz_refusals(raw, errors):
    assert refused("quiz", raw) == errors


def test_whole_number_floats_and_strings_are_accepted():
    assert clean_config("quiz", {"pass_mark": 75.0, "draw_count": " 4 "})["pass_mark"] == 75
    assert clean_config("quiz", {"draw_count": " 4 "})["draw_count"] == 4


@pytest.mark.parametrize(
    "url", ["https://video.example/watch?v=1", "http://intranet.example/lesson"]
)
def test_lesson_video_url_accepts_http_addresses(url):
    assert clean_config("lesson", {"video_url": f"  {url} "}) == {"video_url": url}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<svg onload=alert(1)>",
        "ftp://files.example/x",
        "video.example/watch",
        "//video.example/watch",
        "https://",
        "https:///path",
    ],
)
def test_lesson_video_url_refuses_anything_but_an_absolute_http_address(url):
    assert refused("lesson", {"video_url": url}) == {"video_url": "must be an http(s) address"}


def test_live_session_values_are_kept():
    raw = {
        "starts_at": "2026-05-04T09:00:00+02:00",
        "ends_at": "2026-05-04T12:00:00+02:00",
        "venue": "Room 4",
        "join_url": "https://meet.example/abc",
    }
    assert clean_config("live_session", raw) == raw


def test_live_session_venue_is_cut_to_200_characters():
    assert clean_config("live_session", {"venue": "x" * 250})["venue"] == "x" * 200


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"starts_at": "next Tuesday"}, {"starts_at": "must be a date and time"}),
        ({"ends_at": "2026-13-01T10:00"}, {"ends_at": "must be a date and time"}),
        (
            {"starts_at": "2026-05-04T12:00+00:00", "ends_at": "2026-05-04T12:00+00:00"},
            {"ends_at": "must be after the start"},
        ),
        (
            {"starts_at": "2026-05-04T12:00+00:00", "ends_at": "2026-05-04T13:00+02:00"},
            {"ends_at": "must be after the start"},
        ),
        (
            {"starts_at": "2026-05-04T12:00", "ends_at": "2026-05-04T13:00+00:00"},
            {"ends_at": "give both times with a time zone offset, or neither"},
        ),
        ({"join_url": "javascript:alert(1)"}, {"join_url": "must be an http(s) address"}),
    ],
)
def test_live_session_refusals(raw, errors):
    assert refused("live_session", raw) == errors


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"duration_minutes": 0}, {"duration_minutes": "must be between 1 and 480"}),
        ({"duration_minutes": 481}, {"duration_minutes": "must be between 1 and 480"}),
        ({"duration_minutes": "long"}, {"duration_minutes": "must be a whole number"}),
    ],
)
def test_teach_back_refusals(raw, errors):
    assert refused("teach_back", raw) == errors


def test_on_the_job_checklist_from_text_one_item_a_line():
    assert clean_config(
        "on_the_job", {"checklist": "Plan\n\n  Run  \n", "evidence_required": False}
    ) == {
        "checklist": ["Plan", "Run"],
        "evidence_required": False,
    }


def test_on_the_job_checklist_items_are_cut_to_300_characters():
    assert clean_config("on_the_job", {"checklist": ["y" * 400]})["checklist"] == ["y" * 300]


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"checklist": {"a": 1}}, {"checklist": "must be a list of items"}),
        ({"checklist": 7}, {"checklist": "must be a list of items"}),
        ({"checklist": [f"item {i}" for i in range(51)]}, {"checklist": "at most 50 items"}),
    ],
)
def test_on_the_job_refusals(raw, errors):
    assert refused("on_the_job", raw) == errors


def test_fifty_checklist_items_are_allowed():
    assert (
        len(clean_config("on_the_job", {"checklist": [f"i{n}" for n in range(50)]})["checklist"])
        == 50
    )


@pytest.mark.parametrize(
    ("kind", "raw", "errors"),
    [
        ("reflection", {"min_words": -1}, {"min_words": "must be between 0 and 5000"}),
        ("reflection", {"min_words": 5001}, {"min_words": "must be between 0 and 5000"}),
        ("reflection", {"min_words": "many"}, {"min_words": "must be a whole number"}),
        ("mentoring", {"meetings_required": 0}, {"meetings_required": "must be between 1 and 20"}),
        ("mentoring", {"meetings_required": 21}, {"meetings_required": "must be between 1 and 20"}),
        (
            "mentoring",
            {"meetings_required": "two"},
            {"meetings_required": "must be a whole number"},
        ),
    ],
)
def test_reflection_and_mentoring_refusals(kind, raw, errors):
    assert refused(kind, raw) == errors


def test_reflection_with_no_minimum():
    assert clean_config("reflection", {"min_words": 0}) == {"min_words": 0}


def test_unknown_kind():
    assert refused("webinar", {}) == {"kind": "unknown step kind 'webinar'"}


def test_config_error_message_names_each_field():
    with pytest.raises(ConfigError, match=r"^pass_mark: must be between 0 and 100$"):
        clean_config("quiz", {"pass_mark": 500})
