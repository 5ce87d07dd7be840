"""High frequency (the categories most asked about) and high concentration (one place, repeated requests).

Concentration is tested, not thresholded: a place's count in the window against what that place drew
before (its own baseline) or, for a place never seen before, against what a typical place draws in the
window; a Poisson tail per place, Benjamini–Hochberg across all places, and a minimum count.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from bot.analytics.places import KINDS, name_of
from bot.analytics.records import Finding, Request, Window, span
from bot.analytics.stats import benjamini_hochberg, poisson_tail
from bot.thresholds import threshold

UNKNOWN = "未分类"


def frequent(records: Sequence[Request], window: Window, *, limit: int = 10, min_count: int = 3) -> list[Finding]:
    """The second-level categories with the most requests in the window, largest first."""
    inside = [r for r in records if window.holds(r)]
    groups: dict[tuple[str, str], list[Request]] = defaultdict(list)
    for r in inside:
        groups[(r.category_l1 or UNKNOWN, r.category_l2 or "其他")].append(r)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    out = []
    for (l1, l2), rows in ranked[:limit]:
        if len(rows) < min_count:
            break
        first, last = span(rows)
        districts = Counter(r.district for r in rows if r.district)
        out.append(Finding(
            label=f"{l1} / {l2}", start=first, end=last, request_ids=[r.id for r in rows],
            details={"category_l1": l1, "category_l2": l2, "share": round(len(rows) / len(inside), 4),
                     "top_districts": [d for d, _ in districts.most_common(3)]},
        ))
    return out


def _truncated_rate(mean_seen: float) -> float:
    """The Poisson rate of a typical place from the mean count of the places seen at least once.

    Places with no request are invisible, so the mean over the seen ones is λ / (1 − e^−λ); solved for λ,
    and never below 0.3.
    """
    lo, hi = 1e-6, max(mean_seen, 1.0) + 1
    for _ in range(60):
        mid = (lo + hi) / 2
        if mid / -np.expm1(-mid) < mean_seen:
            lo = mid
        else:
            hi = mid
    return max(lo, 0.3)


def concentrated(records: Sequence[Request], window: Window, *, limit: int = 30) -> list[Finding]:
    """Places (community, road, landmark, business) with significantly repeated requests in the window."""
    min_count, q = threshold("analytics.concentration.min_count"), threshold("analytics.concentration.fdr")
    inside: dict[str, list[Request]] = defaultdict(list)
    before: Counter[str] = Counter()
    first_seen = None
    for r in records:
        if r.time is None:
            continue
        if window.holds(r):
            for key in r.places:
                inside[key].append(r)
        elif r.time < window.start_at:
            first_seen = r.day if first_seen is None or r.day < first_seen else first_seen  # type: ignore[operator]
            for key in r.places:
                before[key] += 1
    if not inside:
        return []
    history_days = (window.start - first_seen).days if first_seen else 0
    typical = _truncated_rate(sum(len(v) for v in inside.values()) / len(inside))  # what an ordinary place draws
    keys = list(inside)
    expected = []
    for key in keys:
        own = before[key] / history_days * window.days if history_days >= 14 else 0.0
        expected.append(max(own, typical))
    p_values = [poisson_tail(len(inside[k]), e) for k, e in zip(keys, expected, strict=True)]
    keep = benjamini_hochberg(p_values, q)
    found = []
    for key, lam, p, ok in zip(keys, expected, p_values, keep, strict=True):
        rows = inside[key]
        if not ok or len(rows) < min_count:
            continue
        found.append((key, lam, p, rows))
    found = _drop_contained(found)
    out = []
    for key, lam, p, rows in sorted(found, key=lambda f: (f[2], -len(f[3])))[:limit]:
        first, last = span(rows)
        districts = Counter(r.district for r in rows if r.district)
        district = districts.most_common(1)[0][0] if districts else None
        categories = Counter(r.category_l1 or UNKNOWN for r in rows)
        kind = key.partition(":")[0]
        name = name_of(key)
        out.append(Finding(
            label=f"{district or ''}{name}".strip(), start=first, end=last, request_ids=[r.id for r in rows],
            details={"place": name, "place_kind": KINDS.get(kind, kind), "district": district,
                     "categories": dict(categories.most_common(3)), "expected": round(lam, 2),
                     "p_value": float(f"{p:.3g}")},
        ))
    return out


def _drop_contained(found: list) -> list:  # noqa: ANN001
    """A road found only through one community's requests ("清华东路" in "清华东路小区") is that community."""
    sets = [frozenset(r.id for r in rows) for _, _, _, rows in found]
    keep = []
    for i, item in enumerate(found):
        inner = any(j != i and sets[i] <= sets[j] and (sets[i] < sets[j] or j < i) for j in range(len(found)))
        if not inner:
            keep.append(item)
    return keep
