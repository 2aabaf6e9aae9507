"""Rater statistics, checked against independently computed values.

Sources of the expected numbers (none of them computed by the module under test):
- Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges; BMS 11.24, WMS 6.26, JMS 32.49,
  EMS 1.02; ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71.
- R psych ``ICC()`` on the same data (RExRepos, dwoll, "interRaterICC"): Single_random_raters
  ICC2 0.29, F 11.0 on (5, 15), 95% bounds 0.019 and 0.76. DescTools prints ICC2 0.290.
- pingouin's ``intraclass_corr`` on its "icc" wine data (8 wines × 4 judges), as printed in a
  published walk-through: ICC1 0.728 (F 11.680, df 7 and 24), ICC2 0.728 (F 11.788, df 7
  and 21), CI95% [0.43, 0.93].
- R vcd ``Kappa(SexualFun)`` (Agresti's husband × wife table, 91 couples): weighted kappa with
  the default equal-spacing weights (= linear) 0.2374.
- scikit-learn's ``cohen_kappa_score`` and SciPy's ``f.ppf`` (development-only dependencies),
  on fixed and hypothesis-generated data.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import f as f_distribution
from sklearn.metrics import cohen_kappa_score

from cascade.certification.statistics import (
    DriftResult,
    IccBand,
    KappaBand,
    RubricResult,
    adjacent_agreement,
    combine_scores,
    disagreements,
    drift,
    exact_agreement,
    f_ppf,
    icc_2_1,
    icc_2_1_ci,
    icc_band,
    is_certifying,
    kappa_band,
    rubric_passes,
    two_way_anova,
    weighted_kappa,
)

# Shrout & Fleiss (1979), Table 2: rows are targets, columns judges 1-4.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# pingouin's "icc" data set: 8 wines (rows) scored by judges A-D (columns).
PINGOUIN_WINE = [
    list(row)
    for row in zip(
        [1, 1, 3, 6, 6, 7, 8, 9],
        [2, 3, 8, 4, 5, 5, 7, 9],
        [0, 3, 1, 3, 5, 6, 7, 9],
        [1, 2, 4, 3, 6, 2, 9, 8],
        strict=True,
    )
]

# vcd's SexualFun: husband's rating (rows) × wife's rating (columns), 1 = never fun ... 4.
SEXUAL_FUN = [[7, 7, 2, 3], [2, 8, 3, 7], [1, 5, 4, 9], [2, 8, 9, 14]]

# No per-example deadline: timing varies on a loaded CI machine, results do not.
relaxed = settings(deadline=None)

levels = st.integers(min_value=1, max_value=4)


def paired_levels(min_size: int = 1) -> st.SearchStrategy[tuple[list[int], list[int]]]:
    return st.integers(min_value=min_size, max_value=40).flatmap(
        lambda n: st.tuples(
            st.lists(levels, min_size=n, max_size=n), st.lists(levels, min_size=n, max_size=n)
        )
    )


level_matrices = st.tuples(
    st.integers(min_value=2, max_value=12), st.integers(min_value=2, max_value=5)
).flatmap(
    lambda shape: st.lists(
        st.lists(levels, min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


def table_to_pairs(table: list[list[int]]) -> tuple[list[int], list[int]]:
    a: list[int] = []
    b: list[int] = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i + 1] * count
            b += [j + 1] * count
    return a, b


# --- agreement -------------------------------------------------------------------------------


def test_exact_agreement_counts_identical_levels():
    assert exact_agreement([1, 2, 3, 4], [1, 2, 4, 4]) == 0.75


def test_adjacent_agreement_counts_levels_within_one():
    # given differences 0, 1, 2, 3
    a, b = [1, 2, 1, 1], [1, 3, 3, 4]

    assert adjacent_agreement(a, b) == 0.5
    assert adjacent_agreement(a, b, within=2) == 0.75
    assert adjacent_agreement(a, b, within=0) == exact_agreement(a, b) == 0.25


@pytest.mark.parametrize("func", [exact_agreement, adjacent_agreement])
def test_agreement_rejects_length_mismatch_and_empty_input(func):
    with pytest.raises(ValueError, match="different numbers of items \\(2 and 1\\)"):
        func([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        func([], [])


def test_adjacent_agreement_rejects_negative_tolerance():
    with pytest.raises(ValueError, match="within must be 0 or more"):
        adjacent_agreement([1], [1], within=-1)


@relaxed
@given(paired_levels())
def test_agreement_is_a_share_and_adjacent_is_at_least_exact(pair):
    a, b = pair
    exact, adjacent = exact_agreement(a, b), adjacent_agreement(a, b)

    assert 0.0 <= exact <= adjacent <= 1.0
    assert exact_agreement(a, a) == 1.0


# --- weighted kappa --------------------------------------------------------------------------


def test_linear_kappa_matches_vcd_on_the_sexual_fun_table():
    a, b = table_to_pairs(SEXUAL_FUN)
    assert len(a) == 91

    assert round(weighted_kappa(a, b, weights="linear"), 4) == 0.2374


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (table_to_pairs(SEXUAL_FUN)[0], table_to_pairs(SEXUAL_FUN)[1]),
        ([1, 2, 3, 4, 3, 2, 3, 3], [1, 2, 4, 4, 3, 3, 2, 3]),
        ([3, 3, 4, 2, 3], [3, 4, 4, 3, 3]),
        ([1, 2, 4, 4, 2], [2, 1, 4, 1, 4]),  # level 3 never used: positions still count
    ],
)
def test_weighted_kappa_matches_scikit_learn(a, b, weights):
    expected = cohen_kappa_score(a, b, labels=[1, 2, 3, 4], weights=weights)

    assert weighted_kappa(a, b, weights=weights) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(paired_levels(), st.sampled_from(["linear", "quadratic"]))
def test_weighted_kappa_matches_scikit_learn_on_any_ratings(pair, weights):
    a, b = pair
    assume(len(set(a) | set(b)) > 1)  # scikit-learn answers NaN for the 0/0 case

    expected = cohen_kappa_score(a, b, labels=[1, 2, 3, 4], weights=weights)

    assert weighted_kappa(a, b, weights=weights) == pytest.approx(expected, abs=1e-9)


@relaxed
@given(paired_levels(), st.sampled_from(["linear", "quadratic"]))
def test_weighted_kappa_is_symmetric_and_bounded(pair, weights):
    a, b = pair

    kappa = weighted_kappa(a, b, weights=weights)

    assert kappa == weighted_kappa(b, a, weights=weights)
    assert -1.0 <= kappa <= 1.0


@relaxed
@given(st.lists(levels, min_size=2).filter(lambda xs: len(set(xs)) > 1))
def test_weighted_kappa_of_identical_varied_ratings_is_one(a):
    assert weighted_kappa(a, list(a)) == 1.0
    assert weighted_kappa(a, list(a), weights="linear") == 1.0


def test_weighted_kappa_degenerate_cases_do_not_divide_by_zero():
    # both raters gave one and the same level to everything: defined as 1.0
    assert weighted_kappa([3, 3, 3], [3, 3, 3]) == 1.0
    # both constant but different, or one constant: chance explains everything, 0.0
    assert weighted_kappa([3, 3, 3], [2, 2, 2]) == 0.0
    assert weighted_kappa([3, 3, 3], [2, 3, 4]) == 0.0


def test_weighted_kappa_penalises_far_disagreements_more_than_near_ones():
    a = [1, 2, 3, 4, 1, 2, 3, 4]
    near = [1, 2, 3, 4, 2, 3, 4, 3]
    far = [1, 2, 3, 4, 4, 4, 1, 1]

    assert weighted_kappa(a, near) > weighted_kappa(a, far)


def test_weighted_kappa_uses_the_given_category_order():
    # a 0-2 scale passed explicitly gives the same kappa as the same data on 1-3
    a, b = [0, 1, 2, 2, 1], [0, 2, 2, 1, 1]
    shifted_a, shifted_b = [x + 1 for x in a], [x + 1 for x in b]

    assert weighted_kappa(a, b, categories=(0, 1, 2)) == weighted_kappa(
        shifted_a, shifted_b, categories=(1, 2, 3)
    )


def test_weighted_kappa_rejects_bad_input():
    with pytest.raises(ValueError, match="different numbers of items"):
        weighted_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        weighted_kappa([], [])
    with pytest.raises(ValueError, match="Score 5 is not one of the categories"):
        weighted_kappa([1, 5], [1, 2])
    with pytest.raises(ValueError, match="weights must be"):
        weighted_kappa([1, 2], [1, 2], weights="cubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least two distinct"):
        weighted_kappa([1, 1], [1, 1], categories=(1, 1))


# --- ICC(2,1) --------------------------------------------------------------------------------


def test_two_way_anova_reproduces_shrout_fleiss_table_2_mean_squares():
    anova = two_way_anova(SHROUT_FLEISS)

    assert (anova.n_targets, anova.n_raters) == (6, 4)
    assert round(anova.ms_targets, 2) == 11.24  # BMS
    assert round(anova.ms_within, 2) == 6.26  # WMS
    assert round(anova.ms_raters, 2) == 32.49  # JMS
    assert round(anova.ms_error, 2) == 1.02  # EMS


def test_icc_2_1_matches_shrout_fleiss_and_psych():
    assert round(icc_2_1(SHROUT_FLEISS), 2) == 0.29  # Shrout & Fleiss, Table 2
    assert round(icc_2_1(SHROUT_FLEISS), 3) == 0.290  # DescTools
    anova = two_way_anova(SHROUT_FLEISS)
    assert round(anova.ms_targets / anova.ms_error, 2) == 11.03  # DescTools' F


def test_the_other_shrout_fleiss_forms_follow_from_the_same_mean_squares():
    # ICC(1,1) and ICC(3,1) are not in the module; computing them here from the mean squares
    # and finding Shrout & Fleiss's .17 and .71 confirms WMS and EMS, not just their rounding.
    s = two_way_anova(SHROUT_FLEISS)
    k = s.n_raters

    icc_1_1 = (s.ms_targets - s.ms_within) / (s.ms_targets + (k - 1) * s.ms_within)
    icc_3_1 = (s.ms_targets - s.ms_error) / (s.ms_targets + (k - 1) * s.ms_error)

    assert (round(icc_1_1, 2), round(icc_3_1, 2)) == (0.17, 0.71)


def test_icc_2_1_ci_matches_psych_on_the_shrout_fleiss_data():
    low, high = icc_2_1_ci(SHROUT_FLEISS)

    assert round(low, 3) == 0.019
    assert round(high, 2) == 0.76


def test_icc_2_1_and_ci_match_pingouin_on_its_wine_data():
    anova = two_way_anova(PINGOUIN_WINE)
    low, high = icc_2_1_ci(PINGOUIN_WINE)

    assert round(icc_2_1(PINGOUIN_WINE), 3) == 0.728
    # pingouin prints F = 11.788, which is its mean squares rounded to 3 decimals first
    # (26.888 / 2.281); the unrounded ratio is 11.7867.
    assert round(anova.ms_targets, 3) / round(anova.ms_error, 3) == pytest.approx(11.788, abs=5e-4)
    assert round(anova.ms_targets / anova.ms_error, 2) == 11.79
    assert round(anova.ms_targets / anova.ms_within, 3) == 11.680
    assert (round(low, 2), round(high, 2)) == (0.43, 0.93)


def reference_icc_and_ci(matrix: list[list[int]], confidence: float) -> tuple[float, float, float]:
    """McGraw & Wong's ICC(A,1) and interval with NumPy and SciPy, written out separately."""
    x = np.asarray(matrix, dtype=float)
    n, k = x.shape
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    residual = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand
    mse = (residual**2).sum() / ((n - 1) * (k - 1))
    icc = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    a = k * icc / (n * (1 - icc))
    b = 1 + k * icc * (n - 1) / (n * (1 - icc))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    q = 1 - (1 - confidence) / 2
    f_star = f_distribution.ppf(q, n - 1, v)
    f_star_2 = f_distribution.ppf(q, v, n - 1)
    low = n * (msr - f_star * mse) / (f_star * (k * msc + (k * n - k - n) * mse) + n * msr)
    high = n * (f_star_2 * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_star_2 * msr)
    return float(icc), float(low), float(high)


@settings(max_examples=200, deadline=None)
@given(level_matrices, st.sampled_from([0.9, 0.95, 0.99]))
def test_icc_and_ci_match_a_numpy_scipy_reference(matrix, confidence):
    anova = two_way_anova(matrix)
    # the reference divides by zero in the degenerate cases, tested separately below
    assume(anova.ms_targets > 1e-9 and anova.ms_error + anova.ms_raters > 1e-9)
    icc, low, high = reference_icc_and_ci(matrix, confidence)
    assume(icc >= -1 and low >= -1 and high >= -1)  # inside the range the module reports

    assert icc_2_1(matrix) == pytest.approx(icc, abs=1e-9)
    assert icc_2_1_ci(matrix, confidence) == pytest.approx((low, high), abs=1e-7)


@settings(max_examples=300, deadline=None)
@given(level_matrices)
def test_icc_and_its_interval_stay_within_bounds(matrix):
    icc = icc_2_1(matrix)
    low, high = icc_2_1_ci(matrix)

    assert -1.0 <= low <= high <= 1.0
    assert -1.0 <= icc <= 1.0
    if icc >= 0:
        assert low <= icc + 1e-12
        assert icc <= high + 1e-12


@relaxed
@given(
    st.floats(min_value=0.001, max_value=0.999),
    st.floats(min_value=0.05, max_value=1000),
    st.floats(min_value=0.05, max_value=1000),
)
def test_f_ppf_matches_scipy(p, dfn, dfd):
    expected = f_distribution.ppf(p, dfn, dfd)
    assume(1e-290 < expected < 1e290)

    assert f_ppf(p, dfn, dfd) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("p", "dfn", "dfd"), [(0.975, 5, 15), (0.975, 5, 4.785), (0.5, 1, 1), (0.025, 7, 24)]
)
def test_f_ppf_matches_scipy_on_the_ci_quantiles(p, dfn, dfd):
    assert f_ppf(p, dfn, dfd) == pytest.approx(f_distribution.ppf(p, dfn, dfd), rel=1e-11)


def test_f_ppf_rejects_bad_arguments_and_saturates():
    with pytest.raises(ValueError, match="p must be between 0 and 1"):
        f_ppf(1.0, 2, 3)
    with pytest.raises(ValueError, match="Degrees of freedom must be positive"):
        f_ppf(0.5, 0, 3)
    assert f_ppf(0.975, 1, 0.005) == math.inf  # SciPy: 2.2e305, beyond our 1e300 cut-off


def test_icc_of_identical_scores_is_one_with_a_collapsed_interval():
    assert icc_2_1([[3, 3], [3, 3], [3, 3]]) == 1.0
    assert icc_2_1_ci([[3, 3], [3, 3], [3, 3]]) == (1.0, 1.0)


def test_icc_of_perfect_agreement_with_variation_is_one():
    matrix = [[1, 1, 1], [2, 2, 2], [4, 4, 4]]

    assert icc_2_1(matrix) == 1.0
    assert icc_2_1_ci(matrix) == (1.0, 1.0)


def test_icc_when_targets_do_not_differ_collapses_to_the_estimate():
    # each rater constant, raters differ: no target variance, a pure rater effect
    assert icc_2_1([[2, 3], [2, 3], [2, 3]]) == 0.0
    assert icc_2_1_ci([[2, 3], [2, 3], [2, 3]]) == (0.0, 0.0)


def test_icc_is_clamped_to_minus_one():
    # 2 × 2 crossed ratings: the denominator is 0 and the limit is -inf
    assert icc_2_1([[1, 4], [4, 1]]) == -1.0
    assert icc_2_1_ci([[1, 4], [4, 1]]) == (-1.0, -1.0)
    # 2 targets × 3 raters with no target variance: the raw estimate is -2
    assert icc_2_1([[1, 2, 3], [3, 2, 1]]) == -1.0


def test_icc_accepts_float_scores():
    as_floats = [[float(x) + 0.5 for x in row] for row in SHROUT_FLEISS]

    assert icc_2_1(as_floats) == pytest.approx(icc_2_1(SHROUT_FLEISS), abs=1e-12)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 2]], "at least 2 targets"),
        ([[1], [2]], "at least 2 raters"),
        ([[1, 2], [1]], "Row 1 has 1 scores, expected 2"),
        ([[1, 2], [1, float("nan")]], "Row 1 has a missing or non-finite score"),
        ([[1, 2], [1, None]], "Row 1 has a missing or non-finite score"),
        ([[1, math.inf], [1, 2]], "Row 0 has a missing or non-finite score"),
    ],
)
def test_icc_rejects_tables_it_cannot_use(matrix, message):
    with pytest.raises(ValueError, match=message):
        icc_2_1(matrix)


@pytest.mark.parametrize("confidence", [0, 1, 1.5])
def test_icc_ci_rejects_a_confidence_outside_zero_and_one(confidence):
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        icc_2_1_ci(SHROUT_FLEISS, confidence)


# --- interpretation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kappa", "band"),
    [
        (-0.01, KappaBand.POOR),
        (0.0, KappaBand.SLIGHT),
        (0.20, KappaBand.SLIGHT),
        (0.205, KappaBand.SLIGHT),
        (0.21, KappaBand.FAIR),
        (0.40, KappaBand.FAIR),
        (0.41, KappaBand.MODERATE),
        (0.605, KappaBand.MODERATE),
        (0.61, KappaBand.SUBSTANTIAL),
        (0.80, KappaBand.SUBSTANTIAL),
        (0.81, KappaBand.ALMOST_PERFECT),
        (1.0, KappaBand.ALMOST_PERFECT),
    ],
)
def test_kappa_band_follows_landis_and_koch(kappa, band):
    assert kappa_band(kappa) is band


@pytest.mark.parametrize(
    ("icc", "band"),
    [
        (-0.2, IccBand.POOR),
        (0.49, IccBand.POOR),
        (0.5, IccBand.MODERATE),
        (0.749, IccBand.MODERATE),
        (0.75, IccBand.GOOD),
        (0.9, IccBand.GOOD),
        (0.901, IccBand.EXCELLENT),
    ],
)
def test_icc_band_follows_koo_and_li(icc, band):
    assert icc_band(icc) is band


def test_bands_read_as_words_and_reject_nan():
    assert str(KappaBand.ALMOST_PERFECT) == "almost perfect"
    with pytest.raises(ValueError, match="kappa is not a number"):
        kappa_band(math.nan)
    with pytest.raises(ValueError, match="icc is not a number"):
        icc_band(math.nan)


def test_is_certifying_uses_the_kappa_gate_or_the_icc_gate():
    assert is_certifying(0.61) is True
    assert is_certifying(0.6099) is False
    assert is_certifying(0.5, gate=0.5) is True
    assert is_certifying(0.4, icc=0.75) is True
    assert is_certifying(0.4, icc=0.7499) is False
    assert is_certifying(0.4, icc=0.7, icc_gate=0.7) is True
    assert is_certifying(math.nan) is False


# --- consolidation ---------------------------------------------------------------------------


def test_combine_scores_takes_the_median_rounding_half_down():
    scores = {
        "ana": {"R1": 3, "R2": 2, "R3": 2, "R4": 1},
        "ben": {"R1": 4, "R2": 3, "R3": 4, "R4": 1},
    }

    assert combine_scores(scores) == {"R1": 3, "R2": 2, "R3": 3, "R4": 1}


def test_combine_scores_with_an_odd_panel_ignores_one_outlier():
    scores = {"ana": {"R1": 3}, "ben": {"R1": 3}, "cy": {"R1": 1}}

    assert combine_scores(scores) == {"R1": 3}
    assert combine_scores(scores, rule="lowest") == {"R1": 1}


def test_combine_scores_uses_only_observers_who_scored_the_criterion():
    scores = {"ana": {"R1": 2, "R9": 4}, "ben": {"R1": 4}, "cy": {"R1": 3}}

    assert list(combine_scores(scores).items()) == [("R1", 3), ("R9", 4)]


def test_combine_scores_rejects_no_observers_and_unknown_rules():
    with pytest.raises(ValueError, match="No observers"):
        combine_scores({})
    with pytest.raises(ValueError, match="rule must be"):
        combine_scores({"ana": {"R1": 3}}, rule="mean")  # type: ignore[arg-type]


@relaxed
@given(st.lists(st.dictionaries(st.sampled_from(["R1", "R2", "R3"]), levels), min_size=1))
def test_combined_level_lies_between_the_observers(panel):
    scores = {f"obs{i}": levels_ for i, levels_ in enumerate(panel)}

    combined = combine_scores(scores)
    reversed_panel = combine_scores(dict(reversed(list(scores.items()))))

    for criterion, level in combined.items():
        given_levels = [s[criterion] for s in panel if criterion in s]
        assert min(given_levels) <= level <= max(given_levels)
        assert reversed_panel[criterion] == level  # order of observers does not matter


def test_disagreements_lists_criteria_two_or_more_levels_apart():
    scores = {
        "ana": {"R1": 1, "R2": 3, "R3": 4, "R4": 2},
        "ben": {"R1": 3, "R2": 4, "R3": 4},
        "cy": {"R1": 2, "R2": 3, "R3": 2, "R4": 2},
    }

    assert disagreements(scores) == ["R1", "R3"]
    assert disagreements(scores, threshold=1) == ["R1", "R2", "R3"]
    assert disagreements(scores, threshold=3) == []


def test_disagreements_rejects_a_threshold_below_one():
    with pytest.raises(ValueError, match="threshold must be 1 or more"):
        disagreements({"ana": {"R1": 1}}, threshold=0)


# --- pass rule -------------------------------------------------------------------------------

PASSING = {f"R{i}": 3 for i in range(1, 11)}


def test_rubric_passes_when_every_rule_is_met():
    result = rubric_passes({**PASSING, "R4": 2, "R5": 4}, critical={"R2"})

    assert result == RubricResult(passed=True, reasons=[], mean=3.0)


def test_rubric_fails_a_criterion_below_two():
    result = rubric_passes({**PASSING, "R4": 1, "R5": 4, "R6": 4}, critical={"R2"})

    assert result.passed is False
    assert result.reasons == ["Every criterion needs level 2 or above; R4 is at level 1."]


def test_rubric_fails_the_critical_criterion_below_three():
    result = rubric_passes({**PASSING, "R2": 2, "R5": 4}, critical={"R2"})

    assert result.reasons == ["Critical criteria need level 3 or above; R2 is at level 2."]


def test_rubric_fails_a_mean_below_three_and_shows_it_truncated():
    result = rubric_passes({"R1": 3, "R2": 3, "R3": 3}, critical={"R2"}, min_mean=3.01)
    low_mean = rubric_passes({**PASSING, "R7": 2, "R8": 2}, critical={"R2"})

    assert result.reasons == ["The mean level needs to be 3.01 or above; it is 3.00."]
    assert low_mean.reasons == ["The mean level needs to be 3.00 or above; it is 2.80."]
    assert low_mean.mean == pytest.approx(2.8)


def test_rubric_mean_threshold_is_compared_exactly():
    # 27/10 is exactly 2.7; in floats 2.7 * 10 > 27 would fail it
    levels_ = {f"R{i}": level for i, level in enumerate([3, 3, 3, 3, 3, 3, 3, 2, 2, 2], 1)}

    assert rubric_passes(levels_, critical={"R1"}, min_mean=2.7).passed is True


def test_rubric_names_every_failing_criterion_for_every_rule():
    levels_ = {"R1": 1, "R2": 1, "R3": 4, "R4": 1, "R5": 3}

    result = rubric_passes(levels_, critical={"R2", "R5", "R10", "R11"})

    assert result == RubricResult(
        passed=False,
        reasons=[
            "Critical criteria R10 and R11 were not scored.",
            "Every criterion needs level 2 or above; "
            "R1 is at level 1, R2 is at level 1 and R4 is at level 1.",
            "Critical criteria need level 3 or above; R2 is at level 1.",
            "The mean level needs to be 3.00 or above; it is 2.00.",
        ],
        mean=2.0,
    )


def test_rubric_fails_an_unscored_critical_criterion_and_an_empty_sheet():
    result = rubric_passes({"R1": 4, "R3": 4}, critical={"R2"})

    assert result.reasons == ["Critical criterion R2 was not scored."]
    assert rubric_passes({}, critical={"R2"}) == RubricResult(
        passed=False, reasons=["No criteria were scored."], mean=None
    )


# --- drift -----------------------------------------------------------------------------------


def items(count: int, level: int, start: int = 0) -> dict[tuple[int, str], int]:
    return {(start + i, "R1"): level for i in range(count)}


def test_drift_flags_a_lenient_observer_at_half_a_level_over_twenty_items():
    reference = items(20, 3)
    # ten items one level above, ten on target: mean +0.5 exactly
    lenient = {**items(10, 4), **items(10, 3, start=10)}

    result = drift({"ana": lenient}, reference)

    assert result == {"ana": DriftResult("ana", items=20, mean_difference=0.5, flagged=True)}
    assert result["ana"].direction == "lenient"


def test_drift_does_not_flag_below_the_threshold_or_the_item_count():
    reference = items(20, 3)
    nearly = {**items(9, 2), **items(11, 3, start=9)}  # mean -0.45
    too_few = items(19, 2)  # mean -1 but only 19 items

    result = drift({"ben": nearly, "cy": too_few}, reference)

    assert result["ben"] == DriftResult("ben", 20, -0.45, flagged=False)
    assert result["ben"].direction == "severe"
    assert result["cy"] == DriftResult("cy", 19, -1.0, flagged=False)
    assert drift({"cy": too_few}, reference, min_items=19)["cy"].flagged is True


def test_drift_skips_items_without_a_reference_level():
    reference = {(1, "R1"): 3, (1, "R2"): 2}
    scores = {(1, "R1"): 3, (1, "R2"): 2, (2, "R1"): 1}

    result = drift({"ana": scores, "ben": {(9, "R1"): 4}}, reference, min_items=1)

    assert result["ana"] == DriftResult("ana", 2, 0.0, flagged=False)
    assert result["ana"].direction == "on target"
    assert result["ben"] == DriftResult("ben", 0, None, flagged=False)
    assert result["ben"].direction is None


def test_drift_rejects_bad_parameters():
    with pytest.raises(ValueError, match="min_items must be 1 or more"):
        drift({}, {}, min_items=0)
    with pytest.raises(ValueError, match="threshold must be above 0"):
        drift({}, {}, threshold=0)
