"""The certification ladder's rules as data, and their evaluation: pure functions, no ORM.

A rule is a JSON object on :class:`~cascade.certification.models.LadderRule`; each key is one
requirement. The evaluation returns one line per requirement, met or not, in plain words, so a
candidate's page shows exactly what is met and what is missing. Keys:

- ``holds``: a level the person must hold (active) first, e.g. ``"co_facilitator"``.
- ``programs_completed``: trainer-development programs completed (the ToT itself).
- ``teach_backs_passed``: teach-backs passed (for this course, or course-independent ones).
- ``co_deliveries`` / ``lead_deliveries``: finished sessions of the course staffed in that role.
- ``solo_observed``: observed solo deliveries of the course that met the pass rule.
- ``competencies``: ``{"C01": 2, ...}`` the least level per competency.
- ``calibrated``: ``true`` when the person must be a certifying observer (masters).
- ``min_feedback``: the least mean learner rating (1-5); read once the evaluation area records
  ratings, reported as "not measured yet" until then (never silently passed).

Renewal rules use ``deliveries`` (any role, within the validity period), ``re_observation``
(a passed re-observation or observed delivery in the period), ``development_hours`` and
``calibrated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LEVEL_NAMES = {
    "co_facilitator": "Co-facilitator",
    "certified": "Certified trainer",
    "master": "Master trainer",
}
LEVEL_RANK = {"co_facilitator": 1, "certified": 2, "master": 3}

REQUIREMENT_KEYS = frozenset(
    {
        "holds",
        "programs_completed",
        "teach_backs_passed",
        "co_deliveries",
        "lead_deliveries",
        "solo_observed",
        "competencies",
        "calibrated",
        "min_feedback",
    }
)
RENEWAL_KEYS = frozenset({"deliveries", "re_observation", "development_hours", "calibrated"})

# The domain reference's default ladder (../shared/domain/train-the-trainer.md, section 3),
# with validity: co-facilitators must move up within 12 months, certified trainers are
# re-observed every 24, master trainers show activity and recalibrate every 12.
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "co_facilitator": {
        "requirements": {"programs_completed": 1, "teach_backs_passed": 1},
        "valid_months": 12,
        "renewal": {},
    },
    "certified": {
        "requirements": {
            "holds": "co_facilitator",
            "co_deliveries": 2,
            "solo_observed": 1,
            "competencies": {f"C{n:02d}": 2 for n in range(1, 11)},
        },
        "valid_months": 24,
        "renewal": {"deliveries": 2, "re_observation": True, "development_hours": 6},
    },
    "master": {
        "requirements": {
            "holds": "certified",
            "lead_deliveries": 3,
            "calibrated": True,
            "competencies": {"C12": 3, "C13": 3},
        },
        "valid_months": 12,
        "renewal": {"deliveries": 1, "calibrated": True},
    },
}


class RuleError(ValueError):
    """A rule is malformed; ``errors`` maps a key to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Evidence:
    """What one person has shown for one course, gathered by the selectors."""

    held_levels: frozenset[str] = frozenset()
    programs_completed: int = 0
    teach_backs_passed: int = 0
    co_deliveries: int = 0
    lead_deliveries: int = 0
    solo_observed: int = 0
    competencies: dict[str, int] = field(default_factory=dict)
    calibrated: bool = False
    mean_feedback: float | None = None
    # Within the current validity period (renewal):
    deliveries_in_period: int = 0
    re_observed_in_period: bool = False
    development_hours: float = 0.0


@dataclass(frozen=True)
class Line:
    """One requirement: what is needed, what the person has, and whether it is met."""

    key: str
    label: str
    needed: str
    have: str
    met: bool


@dataclass(frozen=True)
class Verdict:
    lines: list[Line]

    @property
    def met(self) -> bool:
        return bool(self.lines) and all(line.met for line in self.lines)

    @property
    def missing(self) -> list[Line]:
        return [line for line in self.lines if not line.met]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The snapshot a certification keeps of what it was awarded on."""
        return {
            line.key: {
                "label": line.label,
                "needed": line.needed,
                "have": line.have,
                "met": line.met,
            }
            for line in self.lines
        }


def _count(value: Any, key: str, errors: dict[str, str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        errors[key] = "must be a whole number from 0 to 100"


def validate_requirements(rules: dict[str, Any], *, renewal: bool = False) -> dict[str, Any]:
    """Check a rule object; return it unchanged or raise :class:`RuleError`."""
    if not isinstance(rules, dict):
        raise RuleError({"rules": "must be an object"})
    allowed = RENEWAL_KEYS if renewal else REQUIREMENT_KEYS
    errors: dict[str, str] = {}
    for key, value in rules.items():
        if key not in allowed:
            errors[key] = "is not a known requirement"
        elif key == "holds":
            if value not in LEVEL_RANK:
                errors[key] = "must be co_facilitator, certified or master"
        elif key in ("calibrated", "re_observation"):
            if not isinstance(value, bool):
                errors[key] = "must be true or false"
        elif key == "competencies":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and 1 <= v <= 4 for k, v in value.items()
            ):
                errors[key] = "must map competency codes to levels 1-4"
        elif key == "min_feedback":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 1 <= value <= 5
            ):
                errors[key] = "must be a rating from 1 to 5"
        elif key == "development_hours":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                errors[key] = "must be a number of 0 or more"
        else:
            _count(value, key, errors)
    if errors:
        raise RuleError(errors)
    return rules


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def evaluate(
    requirements: dict[str, Any], evidence: Evidence, *, names: dict[str, str] | None = None
) -> Verdict:
    """Compare a level's requirements with a person's evidence, one line per requirement;
    ``names`` labels competencies by name as well as code."""
    lines: list[Line] = []
    counts = {
        "programs_completed": ("Trainer-development program completed", "program", "programs"),
        "teach_backs_passed": ("Teach-backs passed", "teach-back", "teach-backs"),
        "co_deliveries": ("Sessions co-delivered", "session", "sessions"),
        "lead_deliveries": ("Sessions led", "session", "sessions"),
        "solo_observed": ("Observed solo deliveries passed", "delivery", "deliveries"),
    }
    for key, value in requirements.items():
        if key == "holds":
            held = any(LEVEL_RANK[h] >= LEVEL_RANK[value] for h in evidence.held_levels)
            lines.append(
                Line(
                    key,
                    "Current level",
                    LEVEL_NAMES[value],
                    ", ".join(
                        LEVEL_NAMES[h]
                        for h in sorted(evidence.held_levels, key=lambda h: LEVEL_RANK[h])
                    )
                    or "none",
                    held,
                )
            )
        elif key in counts:
            label, one, many = counts[key]
            have = int(getattr(evidence, key))
            lines.append(
                Line(key, label, _plural(value, one, many), _plural(have, one, many), have >= value)
            )
        elif key == "competencies":
            for code, level in sorted(value.items()):
                got = evidence.competencies.get(code)
                lines.append(
                    Line(
                        f"competency:{code}",
                        f"{code} {(names or {}).get(code, '')}".strip(),
                        f"level {level}",
                        f"level {got}" if got else "no evidence yet",
                        got is not None and got >= level,
                    )
                )
        elif key == "calibrated":
            if value:
                lines.append(
                    Line(
                        key,
                        "Calibrated observer",
                        "certifying observer",
                        "yes" if evidence.calibrated else "not calibrated",
                        evidence.calibrated,
                    )
                )
        elif key == "min_feedback":
            rating = evidence.mean_feedback
            lines.append(
                Line(
                    key,
                    "Learner feedback",
                    f"{value:.1f} or above",
                    f"{rating:.1f}" if rating is not None else "not measured yet",
                    rating is not None and rating >= value,
                )
            )
    return Verdict(lines)


def evaluate_renewal(renewal: dict[str, Any], evidence: Evidence) -> Verdict:
    """Compare renewal rules with what the person did within the current validity period."""
    lines: list[Line] = []
    for key, value in renewal.items():
        if key == "deliveries":
            have = evidence.deliveries_in_period
            lines.append(
                Line(
                    key,
                    "Sessions delivered in the period",
                    _plural(value, "session", "sessions"),
                    _plural(have, "session", "sessions"),
                    have >= value,
                )
            )
        elif key == "re_observation" and value:
            ok = evidence.re_observed_in_period
            lines.append(Line(key, "Re-observation passed", "one", "yes" if ok else "not yet", ok))
        elif key == "development_hours":
            have_h = evidence.development_hours
            lines.append(
                Line(
                    key,
                    "Development hours",
                    f"{value:g} h",
                    f"{have_h:g} h",
                    have_h >= value,
                )
            )
        elif key == "calibrated" and value:
            ok = evidence.calibrated
            lines.append(
                Line(key, "Calibrated observer", "certifying observer", "yes" if ok else "no", ok)
            )
    return Verdict(lines)


def next_level(held: frozenset[str]) -> str | None:
    """The rung above the highest level held; None at the top."""
    top = max((LEVEL_RANK[h] for h in held), default=0)
    for level, rank in LEVEL_RANK.items():
        if rank == top + 1:
            return level
    return None
