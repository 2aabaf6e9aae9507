"""Clash detection by time, with a travel buffer: a pure module over plain values.

Two bookings of one trainer clash when their times overlap, or when they are in two different
places and the gap between them is shorter than the travel buffer. A room clashes only on
overlap. Virtual parts have no place, so they need no travel time either side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Busy:
    """A period someone or something is taken, and where (None: online)."""

    starts_at: datetime
    ends_at: datetime
    place: int | None
    label: str = ""


@dataclass(frozen=True)
class Clash:
    wanted: Busy
    existing: Busy
    travel: bool  # True: no overlap, but not enough time to get from one place to the other


def clash_between(a: Busy, b: Busy, *, buffer: timedelta) -> Clash | None:
    """The clash of ``a`` (wanted) with ``b`` (already booked), if any."""
    if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
        return Clash(wanted=a, existing=b, travel=False)
    if a.place is None or b.place is None or a.place == b.place or not buffer:
        return None
    gap = a.starts_at - b.ends_at if a.starts_at >= b.ends_at else b.starts_at - a.ends_at
    if gap < buffer:
        return Clash(wanted=a, existing=b, travel=True)
    return None


def find_clashes(
    wanted: Iterable[Busy], existing: Iterable[Busy], *, buffer: timedelta
) -> list[Clash]:
    """Every clash of the wanted periods with the existing ones, in time order.

    Sorted sweep: O((w + e) log(w + e) + clashes) rather than comparing every pair.
    """
    wanted_sorted = sorted(wanted, key=lambda b: b.starts_at)
    existing_sorted = sorted(existing, key=lambda b: b.starts_at)
    clashes: list[Clash] = []
    start = 0
    for w in wanted_sorted:
        # Existing periods ending (with the buffer) before this one starts can never clash
        # with it or any later wanted period.
        while start < len(existing_sorted) and existing_sorted[start].ends_at + buffer <= (
            w.starts_at
        ):
            start += 1
        for e in existing_sorted[start:]:
            if e.starts_at >= w.ends_at + buffer:
                break
            clash = clash_between(w, e, buffer=buffer)
            if clash is not None:
                clashes.append(clash)
    return clashes
