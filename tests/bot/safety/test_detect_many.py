"""Batched emergency detection (imports, `hotline classify`) gives exactly what detection one message at a time
(the chat path) gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.triage.emergency import load_detector

DATA = Path(__file__).resolve().parents[2] / "data" / "eval_emergency"
ORDINARY = Path(__file__).resolve().parents[3] / "bot" / "resources" / "intake_examples.jsonl"
# Fitting the detector embeds its training texts; on a loaded machine that outlasts the default timeout.
pytestmark = pytest.mark.timeout(1200)


def _texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def detector():  # noqa: ANN201
    return load_detector()


@pytest.fixture(scope="module")
def mixed() -> list[str]:
    """Emergencies, near misses and ordinary requests interleaved, with long multi-sentence letters (scored
    sentence by sentence), a short message hidden inside one of them, an empty one and a repeat."""
    emergencies = _texts(DATA / "emergencies.jsonl")[::6]
    near = _texts(DATA / "near_misses.jsonl")[::6]
    ordinary = sorted(_texts(ORDINARY), key=len)
    long_letters = ordinary[-3:]
    texts: list[str] = []
    for i in range(max(len(emergencies), len(near))):
        texts += emergencies[i : i + 1] + near[i : i + 1] + ordinary[i * 7 : i * 7 + 1]
    # An emergency in the middle of a long complaint, so the best part is not the opening.
    texts.insert(5, f"{long_letters[0]}{emergencies[0]}。{long_letters[1]}")
    return [*texts, *long_letters, "", "   ", emergencies[1]]


def test_detect_many_gives_what_detect_gives_one_by_one(detector, mixed) -> None:  # noqa: ANN001
    one_by_one = [detector.detect(t) for t in mixed]
    assert detector.detect_many(mixed) == one_by_one
    # The set really is mixed: emergencies flagged (the hidden one included) and ordinary requests not.
    assert sum(h is not None for h in one_by_one) >= 5
    assert sum(h is None for h in one_by_one) >= 5
    assert one_by_one[5] is not None


def test_assess_many_keeps_every_score_and_evidence(detector, mixed) -> None:  # noqa: ANN001
    many, one = detector.assess_many(mixed), [detector.assess(t) for t in mixed]
    assert [(a.flagged, a.hazard, a.evidence) for a in many] == [(a.flagged, a.hazard, a.evidence) for a in one]
    # The scores agree to float32 rounding of the batched matrix product (hits round them to 3 places).
    assert max(abs(a.score - b.score) for a, b in zip(many, one, strict=True)) < 1e-5


def test_batch_order_and_size_do_not_change_a_message_s_result(detector, mixed) -> None:  # noqa: ANN001
    whole = detector.detect_many(mixed)
    assert detector.detect_many(mixed[::-1]) == whole[::-1]
    assert detector.detect_many([]) == []
    assert [h for i in range(0, len(mixed), 4) for h in detector.detect_many(mixed[i : i + 4])] == whole
