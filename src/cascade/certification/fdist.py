"""The F distribution's quantile in the standard library, for the ICC's confidence interval
(McGraw & Wong 1996), so the runtime needs no scipy. The tests compare it with
``scipy.stats.f.ppf``."""

from __future__ import annotations

import math

_CF_MAX_TERMS = 10_000
_CF_EPSILON = 1e-15
_TINY = 1e-300


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    # The continued fraction of DLMF 8.17.22, 1 + d1/(1 + d2/(1 + ...)), evaluated by the
    # modified Lentz method (Lentz 1976; Thompson & Barnett 1986).
    value, c, d = 1.0, 1.0, 0.0
    for j in range(1, _CF_MAX_TERMS):
        m = j // 2
        if j % 2:
            coefficient = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            coefficient = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + coefficient * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + coefficient / c
        c = c if abs(c) > _TINY else _TINY
        value *= c * d
        if abs(c * d - 1.0) < _CF_EPSILON:
            return value
    raise ArithmeticError(f"Incomplete beta did not converge for a={a}, b={b}, x={x}.")


def _regularized_beta(a: float, b: float, x: float, y: float) -> float:
    # I_x(a, b) with y = 1 - x passed separately (computed without cancellation by the caller).
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    log_front = (
        a * math.log(x) + b * math.log(y) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    )
    if x < (a + 1) / (a + b + 2):  # the fraction converges fast here; else use the symmetry
        return math.exp(log_front) / (a * _beta_continued_fraction(a, b, x))
    return 1.0 - math.exp(log_front) / (b * _beta_continued_fraction(b, a, y))


def _f_cdf(value: float, dfn: float, dfd: float) -> float:
    scaled = dfn * value
    return _regularized_beta(dfn / 2, dfd / 2, scaled / (scaled + dfd), dfd / (scaled + dfd))


def f_ppf(p: float, dfn: float, dfd: float) -> float:
    """Quantile of the F distribution with (possibly fractional) degrees of freedom.

    Why our own: the ICC interval needs F quantiles at Satterthwaite's fractional ``v``, and the
    runtime has no SciPy. ``P(F <= f) = I_x(dfn/2, dfd/2)`` with ``x = dfn·f / (dfn·f + dfd)``
    (Abramowitz & Stegun 26.6.2); the regularised incomplete beta ``I_x`` comes from its
    continued fraction (DLMF 8.17.22), and the quantile from bisection on log f to a relative
    1e-14. Agrees with ``scipy.stats.f.ppf`` to about 1e-10 (tested). Returns ``math.inf``
    for a quantile above 1e300 and 0.0 for one below 1e-300.
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be between 0 and 1, not {p}.")
    if not (dfn > 0 and dfd > 0):
        raise ValueError(f"Degrees of freedom must be positive, not ({dfn}, {dfd}).")
    low = high = 1.0  # bracket the quantile by halving or doubling from 1
    while _f_cdf(low, dfn, dfd) > p:
        high, low = low, low / 2
        if low < 1e-300:
            return 0.0
    while _f_cdf(high, dfn, dfd) < p:
        low, high = high, high * 2
        if high > 1e300:
            return math.inf
    for _ in range(200):
        if high - low <= 1e-14 * high:
            break
        middle = math.sqrt(low * high)
        if _f_cdf(middle, dfn, dfd) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2
