"""High volume: week-over-week surges per category × place, tested against the place's own baseline.

For every stream (first-level category × district, × street, and × each place the text names) and every week of the window, the
week's count is compared with the mean of the stream's previous weeks (up to eight, only weeks the data
covers) by a Poisson tail. Benjamini–Hochberg holds the false-discovery rate across every stream and
week tested, and a surge also needs a minimum count and at least twice the baseline, so a quiet stream
yields nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from bot.analytics.places import name_of
from bot.analytics.records import Finding, Request, Window, span, week_start
from bot.analytics.stats import benjamini_hochberg, poisson_tail
from bot.thresholds import threshold


def surging(records: Sequence[Request], window: Window, *, limit: int = 30) -> list[Finding]:
    """Surges in the weeks that start inside the window, most significant first (bars: `analytics.surge`)."""
    min_count, ratio, q = (threshold(f"analytics.surge.{k}") for k in ("min_count", "min_ratio", "fdr"))
    baseline_weeks = int(threshold("analytics.surge.baseline_weeks"))
    min_baseline_weeks = threshold("analytics.surge.min_baseline_weeks")
    min_rate = threshold("analytics.surge.min_rate")
    dated = [r for r in records if r.time is not None and r.time < window.end_at]
    if not dated:
        return []
    first_week = week_start(min(r.day for r in dated))  # type: ignore[type-var,arg-type]
    weeks_in_window = []
    w = week_start(window.start)
    while w <= window.end:
        weeks_in_window.append(w)
        w += timedelta(weeks=1)
    counts: dict[tuple[str, str, str], dict] = defaultdict(lambda: defaultdict(list))
    for r in dated:
        wk = week_start(r.day)  # type: ignore[arg-type]
        l1 = r.category_l1 or "未分类"
        if r.district:
            counts[("district", r.district, l1)][wk].append(r)
        if r.street:
            counts[("street", f"{r.district or ''}{r.street}", l1)][wk].append(r)
        for key in r.places[:2]:  # the text's own places: histories without a district field still have them
            counts[("place", key, l1)][wk].append(r)
    tests = []
    for stream, by_week in counts.items():
        for wk in weeks_in_window:
            rows = [r for r in by_week.get(wk, []) if window.holds(r)]
            if not rows:
                continue
            previous = [wk - timedelta(weeks=k) for k in range(1, baseline_weeks + 1)]
            covered = [p for p in previous if p >= first_week]
            if len(covered) < min_baseline_weeks:
                continue
            baseline = sum(len(by_week.get(p, [])) for p in covered) / len(covered)
            expected = max(baseline, min_rate)
            tests.append((stream, wk, rows, baseline, expected, poisson_tail(len(rows), expected)))
    keep = benjamini_hochberg([t[-1] for t in tests], q)
    found = [t for t, ok in zip(tests, keep, strict=True)
             if ok and len(t[2]) >= min_count and len(t[2]) >= ratio * t[4]]
    found = _finest(found)
    out = []
    for (level, place, l1), wk, rows, baseline, _, p in sorted(found, key=lambda t: t[-1])[:limit]:
        first, last = span(rows)
        if level == "place":
            place = name_of(place)
        out.append(Finding(
            label=f"{place} · {l1}", start=max(wk, window.start), end=min(wk + timedelta(days=6), window.end),
            request_ids=[r.id for r in rows],
            details={"place": place, "place_level": {"district": "区", "street": "街道"}.get(level, "地点"), "category_l1": l1,
                     "week": wk.isoformat(), "baseline": round(baseline, 2), "ratio": round(len(rows) / max(baseline, min_rate), 1),
                     "p_value": float(f"{p:.3g}"), "first": first.isoformat(), "last": last.isoformat()},
        ))
    return out


def _finest(found: list) -> list:  # noqa: ANN001
    """A district surge that is mostly one street's surge is reported as the street's."""
    streets = [(t[0][2], t[1], {r.id for r in t[2]}) for t in found if t[0][0] == "street"]
    keep = []
    for t in found:
        if t[0][0] == "district":
            ids = {r.id for r in t[2]}
            if any(l1 == t[0][2] and wk == t[1] and len(ids & s) >= 0.8 * len(ids) for l1, wk, s in streets):
                continue
        keep.append(t)
    return keep
