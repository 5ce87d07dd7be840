"""The significance tests: a Poisson tail against a baseline, and Benjamini–Hochberg across many tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import poisson


def poisson_tail(observed: int, expected: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    return float(poisson.sf(observed - 1, max(expected, 1e-9)))


def benjamini_hochberg(p_values: Sequence[float], q: float) -> list[bool]:
    """Which hypotheses are rejected with the false-discovery rate held at `q`."""
    m = len(p_values)
    if not m:
        return []
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    thresholds = q * (np.arange(1, m + 1) / m)
    passed = p[order] <= thresholds
    keep = np.zeros(m, dtype=bool)
    if passed.any():
        last = int(np.nonzero(passed)[0].max())
        keep[order[: last + 1]] = True
    return keep.tolist()
