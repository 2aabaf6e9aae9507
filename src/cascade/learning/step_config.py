"""Per-kind settings of a step, validated: pure functions, no ORM.

``Step.config`` is JSON; this module is the one place that knows which keys each kind takes,
their defaults and their limits, so forms, the API and program import all validate alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A step's settings are invalid; ``errors`` maps a key to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _url(value: Any, key: str, errors: dict[str, str]) -> str:
    value = str(value or "").strip()
    if value:
        # Only absolute http(s) addresses: "site.example/x" or "//site.example" would be
        # rendered as links relative to Cascade itself.
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors[key] = "must be an http(s) address"
    return value


def _int(
    value: Any, key: str, errors: dict[str, str], lo: int, hi: int, default: int | None
) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        # int() would silently read True as 1 and 79.5 as 79.
        errors[key] = "must be a whole number"
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        errors[key] = "must be a whole number"
        return default
    if not lo <= number <= hi:
        errors[key] = f"must be between {lo} and {hi}"
    return number


@dataclass
class LessonConfig:
    video_url: str = ""


@dataclass
class QuizConfig:
    pass_mark: int = 80  # percent
    attempts_limit: int = 3  # 0 = unlimited
    time_limit_minutes: int | None = None
    shuffle_questions: bool = True
    shuffle_options: bool = True
    draw_count: int | None = None  # draw N of the step's M questions per attempt
    policy: str = "best"  # best | last: which attempt counts
    # final: right answers and explanations only once they cannot help a retry (passed, or no
    # attempt left); always: after every attempt (for practice quizzes).
    show_answers: str = "final"


@dataclass
class LiveSessionConfig:
    starts_at: str = ""  # ISO 8601 with offset; the delivery area replaces this placeholder
    ends_at: str = ""
    venue: str = ""
    join_url: str = ""


@dataclass
class TeachBackConfig:
    duration_minutes: int = 15
    # Peers (other trainers) may observe and score, as feedback; masters' scores decide.
    peers_may_observe: bool = False


@dataclass
class OnTheJobConfig:
    checklist: list[str] = field(default_factory=list)
    evidence_required: bool = True


@dataclass
class ReflectionConfig:
    min_words: int = 50


@dataclass
class MentoringConfig:
    meetings_required: int = 1


def clean_config(kind: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Return the complete, validated config for a step of ``kind``; raise ConfigError."""
    raw = dict(raw or {})
    errors: dict[str, str] = {}
    result: Any
    if kind == "lesson":
        result = LessonConfig(video_url=_url(raw.get("video_url"), "video_url", errors))
    elif kind == "quiz":
        policy = raw.get("policy") or "best"
        if policy not in ("best", "last"):
            errors["policy"] = "must be best or last"
        show_answers = raw.get("show_answers") or "final"
        if show_answers not in ("final", "always"):
            errors["show_answers"] = "must be final or always"
        result = QuizConfig(
            show_answers=show_answers,
            pass_mark=_int(raw.get("pass_mark"), "pass_mark", errors, 0, 100, 80) or 0,
            attempts_limit=_int(raw.get("attempts_limit"), "attempts_limit", errors, 0, 100, 3)
            or 0,
            time_limit_minutes=_int(
                raw.get("time_limit_minutes"), "time_limit_minutes", errors, 1, 600, None
            ),
            shuffle_questions=bool(raw.get("shuffle_questions", True)),
            shuffle_options=bool(raw.get("shuffle_options", True)),
            draw_count=_int(raw.get("draw_count"), "draw_count", errors, 1, 500, None),
            policy=policy,
        )
    elif kind == "live_session":
        for key in ("starts_at", "ends_at"):
            value = raw.get(key) or ""
            if value:
                try:
                    datetime.fromisoformat(str(value))
                except ValueError:
                    errors[key] = "must be a date and time"
        result = LiveSessionConfig(
            starts_at=str(raw.get("starts_at") or ""),
            ends_at=str(raw.get("ends_at") or ""),
            venue=str(raw.get("venue") or "")[:200],
            join_url=_url(raw.get("join_url"), "join_url", errors),
        )
        if (
            result.starts_at
            and result.ends_at
            and "starts_at" not in errors
            and "ends_at" not in errors
        ):
            starts = datetime.fromisoformat(result.starts_at)
            ends = datetime.fromisoformat(result.ends_at)
            if (starts.tzinfo is None) != (ends.tzinfo is None):
                # Comparing a naive and an aware time raises TypeError.
                errors["ends_at"] = "give both times with a time zone offset, or neither"
            elif ends <= starts:
                errors["ends_at"] = "must be after the start"
    elif kind == "teach_back":
        result = TeachBackConfig(
            duration_minutes=_int(
                raw.get("duration_minutes"), "duration_minutes", errors, 1, 480, 15
            )
            or 15,
            peers_may_observe=bool(raw.get("peers_may_observe", False)),
        )
    elif kind == "on_the_job":
        items = raw.get("checklist") or []
        if isinstance(items, str):
            items = items.splitlines()
        if not isinstance(items, list):
            errors["checklist"] = "must be a list of items"
            items = []
        clean_items = [str(i).strip()[:300] for i in items if str(i).strip()]
        if len(clean_items) > 50:
            errors["checklist"] = "at most 50 items"
        result = OnTheJobConfig(
            checklist=clean_items, evidence_required=bool(raw.get("evidence_required", True))
        )
    elif kind == "reflection":
        result = ReflectionConfig(
            min_words=_int(raw.get("min_words"), "min_words", errors, 0, 5000, 50) or 0
        )
    elif kind == "mentoring":
        result = MentoringConfig(
            meetings_required=_int(
                raw.get("meetings_required"), "meetings_required", errors, 1, 20, 1
            )
            or 1
        )
    else:
        raise ConfigError({"kind": f"unknown step kind {kind!r}"})
    if errors:
        raise ConfigError(errors)
    return asdict(result)


def quiz_config(config: dict[str, Any]) -> QuizConfig:
    return QuizConfig(**clean_config("quiz", config))
