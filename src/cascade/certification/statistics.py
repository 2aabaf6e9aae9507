"""Rater statistics for teach-back observation: agreement, kappa, ICC, consolidation, drift.

Owns the numbers behind observer calibration and the teach-back pass rule (domain note §2):
exact and adjacent agreement, Cohen's weighted kappa, ICC(2,1) and its confidence interval, the
Landis & Koch and Koo & Li bands, several observers' consolidated score, the pass rule, drift.
Pure on purpose (no Django, standard library only, fed by plain sequences and mappings), so it
is testable alone and the ICC interval's F quantile needs no SciPy at run time (the tests check
it against SciPy, a development-only dependency). Where a statistic is undefined (no variation)
the function documents what it returns instead of dividing by zero.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Generic, Literal, TypeVar

from cascade.certification.fdist import f_ppf

ObserverT = TypeVar("ObserverT", bound=Hashable)
CriterionT = TypeVar("CriterionT", bound=Hashable)
ItemT = TypeVar("ItemT", bound=Hashable)

RUBRIC_LEVELS: tuple[int, ...] = (1, 2, 3, 4)
"""The default teach-back rubric's levels, lowest first (3 = certification standard)."""


# --- Agreement -------------------------------------------------------------------------------


def _check_pair(a: Sequence[int], b: Sequence[int]) -> None:
    if len(a) != len(b):
        raise ValueError(f"The raters scored different numbers of items ({len(a)} and {len(b)}).")
    if not a:
        raise ValueError("No items to compare: both raters' score lists are empty.")


def exact_agreement(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of items (0–1) on which two raters gave the same level.

    The plainest reliability figure, and the one programmes certify on (CLASS: 80% agreement
    with master codes). ``a[i]`` and ``b[i]`` are the two raters' levels on the same item.
    """
    _check_pair(a, b)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def adjacent_agreement(a: Sequence[int], b: Sequence[int], within: int = 1) -> float:
    """Share of items (0–1) on which two raters' levels differ by at most ``within``.

    BOSCC certifies on agreement within one point on at least 80% of items, hence the default.
    """
    if within < 0:
        raise ValueError(f"within must be 0 or more, not {within}.")
    _check_pair(a, b)
    return sum(abs(x - y) <= within for x, y in zip(a, b, strict=True)) / len(a)


# --- Cohen's weighted kappa ------------------------------------------------------------------


def weighted_kappa(
    a: Sequence[int],
    b: Sequence[int],
    *,
    categories: Sequence[int] = RUBRIC_LEVELS,
    weights: Literal["quadratic", "linear"] = "quadratic",
) -> float:
    """Cohen's weighted kappa for two raters on an ordinal scale.

    Why weighted: on a 1–4 rubric a 3-vs-4 disagreement is much smaller than a 1-vs-4 one, and
    plain kappa counts them alike (the domain note asks for weighted kappa).

    Formula (Cohen 1968, *Psychological Bulletin* 70(4):213–220)::

        kappa_w = 1 - sum(w_ij * p_ij) / sum(w_ij * p_i. * p_.j)

    with disagreement weights ``w_ij = |i - j|`` (linear) or ``(i - j)**2`` (quadratic) on the
    categories' positions in ``categories`` (their order is the scale's order); ``p_ij`` is the
    observed share of items rated ``i`` by ``a`` and ``j`` by ``b``, and ``p_i. * p_.j`` what
    chance alone would give (quadratic weights bring kappa close to an ICC: Fleiss & Cohen
    1973). The sums are exact integers, so kappa(a, b) == kappa(b, a) exactly.

    Degenerate case: when both raters gave every item one and the same level, chance-expected
    disagreement is zero and the formula is 0/0 (scikit-learn returns NaN); it is the only way
    to get there. We return 1.0, as the raters agreed on every item; a calibration set whose
    master scores never vary tells little, so build sets that span levels. One rater constant
    and the other not gives 0.0 through the formula, as it should. Raises ValueError on length
    mismatch, empty input, fewer than two categories, unknown ``weights`` or an unknown score.
    """
    _check_pair(a, b)
    if weights not in ("linear", "quadratic"):
        raise ValueError(f'weights must be "linear" or "quadratic", not {weights!r}.')
    position = {level: i for i, level in enumerate(categories)}
    if len(position) < 2 or len(position) != len(categories):
        raise ValueError("categories must list at least two distinct levels.")
    for score in (*a, *b):
        if score not in position:
            raise ValueError(f"Score {score!r} is not one of the categories {tuple(categories)}.")
    power = 1 if weights == "linear" else 2
    # Unnormalised weights: scaling every weight by 1/(c-1)**power cancels in the ratio.
    observed = sum(abs(position[x] - position[y]) ** power for x, y in zip(a, b, strict=True))
    rows = Counter(position[x] for x in a)
    columns = Counter(position[y] for y in b)
    # expected = n**2 * sum(w_ij * p_i. * p_.j)
    expected = sum(rows[i] * columns[j] * abs(i - j) ** power for i in rows for j in columns)
    if expected == 0:
        return 1.0
    return float(1 - Fraction(len(a) * observed, expected))


# --- ICC(2,1) --------------------------------------------------------------------------------

Matrix = Sequence[Sequence[float]]


@dataclass(frozen=True)
class TwoWayAnova:
    """Mean squares of a targets × raters table: ``ms_targets`` is Shrout & Fleiss's BMS
    (McGraw & Wong's MSR), ``ms_raters`` JMS (MSC), ``ms_error`` EMS (MSE), ``ms_within`` WMS.
    """

    n_targets: int
    n_raters: int
    ms_targets: float
    ms_raters: float
    ms_error: float
    ms_within: float


@dataclass(frozen=True)
class _ExactAnova:
    n: int
    k: int
    msr: Fraction
    msc: Fraction
    mse: Fraction
    msw: Fraction


def _anova(matrix: Matrix) -> _ExactAnova:
    # Exact rational arithmetic, so "no variance" is an exact zero and the degenerate cases
    # below are decided exactly rather than on rounding noise.
    n = len(matrix)
    if n < 2:
        raise ValueError(f"ICC needs at least 2 targets (rows); got {n}.")
    k = len(matrix[0])
    if k < 2:
        raise ValueError(f"ICC needs at least 2 raters (columns); got {k}.")
    cells: list[list[Fraction]] = []
    for r, row in enumerate(matrix):
        if len(row) != k:
            raise ValueError(f"Row {r} has {len(row)} scores, expected {k}; no missing values.")
        try:
            cells.append([Fraction(value) for value in row])
        except (ValueError, OverflowError, TypeError) as error:
            raise ValueError(f"Row {r} has a missing or non-finite score.") from error
    grand = sum((sum(row) for row in cells), Fraction(0)) / (n * k)
    row_means = [sum(row, Fraction(0)) / k for row in cells]
    col_means = [sum((row[j] for row in cells), Fraction(0)) / n for j in range(k)]
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_error = sum(
        (cells[i][j] - row_means[i] - col_means[j] + grand) ** 2 for i in range(n) for j in range(k)
    )
    return _ExactAnova(
        n=n,
        k=k,
        msr=Fraction(ss_rows) / (n - 1),
        msc=Fraction(ss_cols) / (k - 1),
        mse=Fraction(ss_error) / ((n - 1) * (k - 1)),
        msw=Fraction(ss_cols + ss_error) / (n * (k - 1)),
    )


def two_way_anova(matrix: Matrix) -> TwoWayAnova:
    """Two-way ANOVA mean squares of an n-targets × k-raters table without missing values."""
    s = _anova(matrix)
    return TwoWayAnova(s.n, s.k, float(s.msr), float(s.msc), float(s.mse), float(s.msw))


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _icc_2_1(s: _ExactAnova) -> float:
    numerator = s.msr - s.mse
    # = MSR + (k/n)·MSC + MSE·(kn - k - n)/n, and kn - k - n >= 0 for n, k >= 2: never negative.
    denominator = s.msr + (s.k - 1) * s.mse + s.k * (s.msc - s.mse) / s.n
    if denominator == 0:  # MSR = MSC = 0: all scores equal, or a crossed 2 × 2 (limit -inf)
        return 1.0 if numerator == 0 else -1.0
    return _clamp(float(numerator / denominator))


def icc_2_1(matrix: Matrix) -> float:
    """ICC(2,1): two-way random effects, absolute agreement, single rater.

    Why this form: raters are a sample of the observers who could score a teach-back, and a
    candidate's result depends on the level given, not only the ranking, so absolute agreement
    of one observer is what matters (Koo & Li 2016 call it the usual choice).

    Formula (Shrout & Fleiss 1979, *Psychological Bulletin* 86(2):420–428, eq. for Case 2;
    McGraw & Wong 1996, *Psychological Methods* 1(1):30–46, ICC(A,1))::

        ICC(2,1) = (BMS - EMS) / (BMS + (k - 1)·EMS + k·(JMS - EMS)/n)

    ``matrix[i][j]`` is rater j's score of target i (n >= 2 rows, k >= 2 columns, no missing
    values). Verified against Shrout & Fleiss's Table 2 example (0.29).

    Edge cases: the estimate is at most 1 but falls below -1 with very few targets (-n/(kn - k
    - n) when targets do not differ), which means no more than "no agreement": we clamp to
    [-1, 1]. All scores equal gives 1.0 (perfect agreement); a crossed 2 × 2 table gives -1.0.
    """
    return _icc_2_1(_anova(matrix))


def icc_2_1_ci(matrix: Matrix, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval ``(low, high)`` for ICC(2,1), by McGraw & Wong's F method.

    Why: Koo & Li (2016) advise judging reliability on the interval, not the point estimate.

    Formula (McGraw & Wong 1996, Table 7, ICC(A,1), after Fleiss & Shrout 1978), with
    ``p = ICC(2,1)`` and MSR, MSC, MSE the targets', raters' and error mean squares::

        a = k·p / (n·(1 - p))          b = 1 + k·p·(n - 1) / (n·(1 - p))
        v = (a·MSC + b·MSE)**2 / ((a·MSC)**2/(k - 1) + (b·MSE)**2/((n - 1)(k - 1)))
        F* = F quantile (1 - alpha/2) on (n - 1, v);  F_* = same on (v, n - 1)
        low  = n·(MSR - F*·MSE) / (F*·(k·MSC + (kn - k - n)·MSE) + n·MSR)
        high = n·(F_*·MSR - MSE) / (k·MSC + (kn - k - n)·MSE + n·F_*·MSR)

    At the point estimate ``a·MSC + b·MSE`` equals MSR exactly (algebra), so ``v`` is positive
    whenever targets differ. When they do not (MSR = 0) both bounds reduce to the point estimate
    whatever F is, so we return ``(icc, icc)``; when raters agree perfectly (MSE = MSC = 0) we
    return ``(1.0, 1.0)``. Both bounds equal the estimate at F = 1, so the interval contains it
    whenever the quantiles exceed 1, as they do for ICC >= 0 (then v >= k - 1 >= 1). F
    quantiles come from ``fdist.f_ppf`` (standard library). Bounds are clamped to [-1, 1] like
    the estimate. Verified against R psych's ``ICC`` on Shrout & Fleiss's data (0.019,
    0.76) and pingouin's wine example (0.43, 0.93).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}.")
    s = _anova(matrix)
    point = _icc_2_1(s)
    if s.msr == 0:
        return point, point
    if s.mse == 0 and s.msc == 0:
        return 1.0, 1.0
    n, k = s.n, s.k
    msr, msc, mse = float(s.msr), float(s.msc), float(s.mse)
    p = float((s.msr - s.mse) / (s.msr + (k - 1) * s.mse + k * (s.msc - s.mse) / n))  # < 1
    a = k * p / (n * (1 - p))
    b = 1 + k * p * (n - 1) / (n * (1 - p))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    tail = 1 - (1 - confidence) / 2
    spread = k * msc + (k * n - k - n) * mse  # >= 0
    # Written with 1/F* so a quantile beyond range (inf or 0) gives the limit, not inf/inf.
    inv_f_low = 1 / f_ppf(tail, n - 1, v)
    f_high = f_ppf(tail, v, n - 1)
    low_den = spread + n * inv_f_low * msr
    high_den = spread + n * f_high * msr
    low = n * (inv_f_low * msr - mse) / low_den if low_den > 0 else -1.0
    high = n * (f_high * msr - mse) / high_den if high_den > 0 else -1.0
    return _clamp(low), _clamp(high)


# --- Interpretation ----------------------------------------------------------------------------


class KappaBand(StrEnum):
    """Landis & Koch (1977) strength-of-agreement bands for kappa."""

    POOR = "poor"
    SLIGHT = "slight"
    FAIR = "fair"
    MODERATE = "moderate"
    SUBSTANTIAL = "substantial"
    ALMOST_PERFECT = "almost perfect"


class IccBand(StrEnum):
    """Koo & Li (2016) reliability bands for the ICC."""

    POOR = "poor"
    MODERATE = "moderate"
    GOOD = "good"
    EXCELLENT = "excellent"


def _check_number(value: float, name: str) -> None:
    if math.isnan(value):
        raise ValueError(f"{name} is not a number.")


def kappa_band(kappa: float) -> KappaBand:
    """Landis & Koch's band for a kappa value (*Biometrics* 1977, 33(1):159–174, Table 1).

    Their table: <0 poor, 0.00–0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80
    substantial, 0.81–1.00 almost perfect. Each band starts at its printed lower bound, so a
    value between two ranges (0.605) is in the lower band, consistent with the 0.61 gate.
    """
    _check_number(kappa, "kappa")
    for bound, band in (
        (0.81, KappaBand.ALMOST_PERFECT),
        (0.61, KappaBand.SUBSTANTIAL),
        (0.41, KappaBand.MODERATE),
        (0.21, KappaBand.FAIR),
        (0.0, KappaBand.SLIGHT),
    ):
        if kappa >= bound:
            return band
    return KappaBand.POOR


def icc_band(icc: float) -> IccBand:
    """Koo & Li's band for an ICC (*J Chiropr Med* 2016, 15(2):155–163).

    Below 0.5 poor, 0.5 to below 0.75 moderate, 0.75 to 0.9 good (0.75 matching the gate),
    above 0.9 excellent ("greater than 0.90"). They advise banding the 95% interval, not the
    estimate: pass the lower bound from :func:`icc_2_1_ci` for the conservative reading.
    """
    _check_number(icc, "icc")
    if icc < 0.5:
        return IccBand.POOR
    if icc < 0.75:
        return IccBand.MODERATE
    if icc <= 0.9:
        return IccBand.GOOD
    return IccBand.EXCELLENT


def is_certifying(
    kappa: float, *, gate: float = 0.61, icc: float | None = None, icc_gate: float = 0.75
) -> bool:
    """Whether a rater's reliability is good enough to make certification decisions.

    The domain's suggested gate: weighted kappa of 0.61 or above (Landis & Koch's
    "substantial"), or an ICC of 0.75 or above (Koo & Li's "good") when one is given. NaN never
    certifies.
    """
    if kappa >= gate:
        return True
    return icc is not None and icc >= icc_gate


# --- Consolidating several observers ---------------------------------------------------------


def _levels_by_criterion(
    scores_by_observer: Mapping[ObserverT, Mapping[CriterionT, int]],
) -> dict[CriterionT, list[int]]:
    by_criterion: dict[CriterionT, list[int]] = {}
    for levels in scores_by_observer.values():
        for criterion, level in levels.items():
            by_criterion.setdefault(criterion, []).append(level)
    return by_criterion


def _consolidate(levels: list[int], rule: str) -> int:
    ordered = sorted(levels)
    if rule == "lowest":
        return ordered[0]
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2  # floor: a half rounds down


def combine_scores(
    scores_by_observer: Mapping[ObserverT, Mapping[CriterionT, int]],
    *,
    rule: Literal["median", "lowest"] = "median",
) -> dict[CriterionT, int]:
    """One consolidated level per criterion from several observers' levels.

    ``"median"`` (default): the median of the observers who scored the criterion, a half
    rounded down. Why: one harsh or lenient observer cannot move it, it stays on the rubric's
    levels, and a panel split between two levels has not shown the higher one, so a candidate
    gets the lower (2 and 3 give 2; 2 and 4 give 3). ``"lowest"``: the lowest level given, for
    programmes that require every observer to see the standard met.

    Criteria keep the order in which they first appear; an observer may leave a criterion
    unscored (N/A). Raises ValueError when there are no observers or the rule is unknown.
    """
    if rule not in ("median", "lowest"):
        raise ValueError(f'rule must be "median" or "lowest", not {rule!r}.')
    if not scores_by_observer:
        raise ValueError("No observers' scores to combine.")
    by_criterion = _levels_by_criterion(scores_by_observer)
    return {criterion: _consolidate(levels, rule) for criterion, levels in by_criterion.items()}


def disagreements(
    scores_by_observer: Mapping[ObserverT, Mapping[CriterionT, int]], *, threshold: int = 2
) -> list[CriterionT]:
    """Criteria on which some two observers are ``threshold`` or more levels apart.

    Why: a two-level gap on a behaviourally anchored rubric means the observers saw (or read
    the anchors) differently, so the criterion needs discussion or a third observer before its
    consolidated level is trusted. Criteria keep first-seen order.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be 1 or more, not {threshold}.")
    by_criterion = _levels_by_criterion(scores_by_observer)
    return [c for c, levels in by_criterion.items() if max(levels) - min(levels) >= threshold]


# --- The pass rule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RubricResult:
    """Outcome of the pass rule: ``reasons`` says in plain English why it failed (empty if not)."""

    passed: bool
    reasons: list[str]
    mean: float | None


def _english_list(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def rubric_passes(
    levels: Mapping[CriterionT, int],
    *,
    critical: AbstractSet[CriterionT],
    min_each: int = 2,
    min_critical: int = 3,
    min_mean: float = 3.0,
) -> RubricResult:
    """Apply the teach-back pass rule to one consolidated set of levels.

    The domain's default rule: every criterion at ``min_each`` (2) or above, each critical
    criterion (R2, content accuracy) at ``min_critical`` (3) or above, and the mean at
    ``min_mean`` (3.0) or above. A critical criterion that was not scored fails, and so does an
    empty score sheet. Every failing rule gives one reason naming its criteria, in the order of
    ``levels``. The mean is compared exactly (``min_mean`` read as the decimal it is written
    as) and shown truncated to two decimals, so a failing mean never prints as the threshold.
    """
    if not levels:
        return RubricResult(passed=False, reasons=["No criteria were scored."], mean=None)
    reasons: list[str] = []
    missing = sorted(str(c) for c in critical if c not in levels)
    if missing:
        noun = "criterion" if len(missing) == 1 else "criteria"
        verb = "was" if len(missing) == 1 else "were"
        reasons.append(f"Critical {noun} {_english_list(missing)} {verb} not scored.")
    low = [f"{c} is at level {lvl}" for c, lvl in levels.items() if lvl < min_each]
    if low:
        reasons.append(f"Every criterion needs level {min_each} or above; {_english_list(low)}.")
    at_level = [(c, f"{c} is at level {lvl}") for c, lvl in levels.items() if lvl < min_critical]
    low_critical = [text for c, text in at_level if c in critical]
    if low_critical:
        reasons.append(
            f"Critical criteria need level {min_critical} or above; {_english_list(low_critical)}."
        )
    mean = Fraction(sum(levels.values()), len(levels))
    if mean < Fraction(str(min_mean)):
        shown = math.floor(mean * 100) / 100
        reasons.append(f"The mean level needs to be {min_mean:.2f} or above; it is {shown:.2f}.")
    return RubricResult(passed=not reasons, reasons=reasons, mean=float(mean))


# --- Drift -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftResult(Generic[ObserverT]):
    """One observer's drift: mean signed difference from the reference, in rubric levels."""

    observer: ObserverT
    items: int
    mean_difference: float | None
    flagged: bool

    @property
    def direction(self) -> Literal["lenient", "severe", "on target"] | None:
        """Lenient when the observer scores above the reference on average, severe below."""
        if self.mean_difference is None:
            return None
        if self.mean_difference > 0:
            return "lenient"
        return "severe" if self.mean_difference < 0 else "on target"


def drift(
    observer_scores: Mapping[ObserverT, Mapping[ItemT, int]],
    reference_scores: Mapping[ItemT, int],
    *,
    min_items: int = 20,
    threshold: float = 0.5,
) -> dict[ObserverT, DriftResult[ObserverT]]:
    """Per-observer drift from master or consolidated scores over double-scored items.

    An item is one criterion of one observation (a key like ``(observation_id, "R4")``). The
    caller passes each observer's recent double-scored items (the window is the selector's
    choice) and reference levels for the same keys; items without a reference are skipped.

    Rule: the mean signed difference ``observer - reference`` over the shared items, flagged
    when ``|mean| >= threshold`` (half a level) over at least ``min_items`` items (20: two full
    10-criterion observations, as one observation's items share one candidate and session and
    drift is a habit, not one bad day). Why signed: drift is a systematic lean (lenient or
    severe) that agreement figures hide when errors go both ways, and that double-coding exists
    to catch (CASTL drift tests). Prefer master scores: a consolidated score that includes the
    observer's own level understates their drift.
    """
    if min_items < 1:
        raise ValueError(f"min_items must be 1 or more, not {min_items}.")
    if not threshold > 0:
        raise ValueError(f"threshold must be above 0, not {threshold}.")
    limit = Fraction(str(threshold))
    results: dict[ObserverT, DriftResult[ObserverT]] = {}
    for observer, scores in observer_scores.items():
        shared = [item for item in scores if item in reference_scores]
        differences = [scores[item] - reference_scores[item] for item in shared]
        if not differences:
            results[observer] = DriftResult(observer, 0, None, flagged=False)
            continue
        mean = Fraction(sum(differences), len(differences))
        flagged = len(differences) >= min_items and abs(mean) >= limit
        results[observer] = DriftResult(observer, len(differences), float(mean), flagged)
    return results
