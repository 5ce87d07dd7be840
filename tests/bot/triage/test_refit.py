"""A taxonomy edit is in force at once and the classifier is refitted in the background: picks of the previous
classifier are mapped onto the new taxonomy, edits during a fit coalesce, a failed fit keeps the old one."""

from __future__ import annotations

import threading

import pytest

from bot.config import Settings
from bot.triage import refit
from bot.triage.classifier import CategoryClassifier
from bot.triage.service import Triage

MESSAGE = "小区物业不作为，楼道灯坏了半年也不修，物业费照收"


def _without(triage: Triage, level1: str, level2: str):  # noqa: ANN202
    """The taxonomy in force with one second-level category removed."""
    data = triage.taxonomy.model_dump(mode="json")
    top = next(c for c in data["categories"] if c["name"] == level1)
    top["children"] = [c for c in top["children"] if c["name"] != level2]
    return type(triage.taxonomy).model_validate(data)


def test_a_removed_second_level_is_never_given_while_the_classifier_is_refitted(triage: Triage) -> None:
    before = triage.classify(MESSAGE).category
    original = triage.taxonomy
    try:
        triage.use_taxonomy(_without(triage, before.level1, before.level2))
        after = triage.classify(MESSAGE).category
    finally:
        triage.use_taxonomy(original)
    assert after.level1 == before.level1
    assert after.level2 != before.level2
    assert after.level2 in triage.taxonomy.level2_names(before.level1)
    assert triage.classify(MESSAGE).category.level2 == before.level2  # the classifier's own taxonomy again


def test_edits_during_a_fit_coalesce_into_one_more_fit(triage: Triage, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    started, release = threading.Event(), threading.Event()
    fitted_to: list[object] = []
    classifier = triage.classifier

    def slow_fit(taxonomy, _triage, _settings) -> CategoryClassifier:  # noqa: ANN001
        started.set()
        release.wait(30)
        fitted_to.append(taxonomy)
        return classifier

    monkeypatch.setattr(refit, "fit_for", slow_fit)
    original = triage.taxonomy
    refitter = refit.Refitter(triage, Settings(HOTLINE_DATA_DIR=tmp_path))
    try:
        first = _without(triage, "城乡建设", "物业管理")
        triage.use_taxonomy(first)
        refitter.request()
        assert started.wait(30) and refitter.refitting
        second = _without(triage, "城乡建设", "冬季采暖")
        triage.use_taxonomy(second)
        refitter.request()
        third = _without(triage, "城乡建设", "市政设施")
        triage.use_taxonomy(third)
        refitter.request()
        assert not refitter.wait(0.2)  # still fitting to the first edit
        release.set()
        assert refitter.wait(30) and not refitter.refitting
    finally:
        triage.use_taxonomy(original)
        triage.use_classifier(classifier)
    assert fitted_to == [first, third]  # the second edit was overtaken before its fit began
    assert refitter.fits == 2 and refitter.last_error is None


def test_a_failed_fit_keeps_the_previous_classifier_and_says_why(triage: Triage, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    def broken_fit(*_args) -> CategoryClassifier:  # noqa: ANN002
        raise OSError("磁盘已满")

    monkeypatch.setattr(refit, "fit_for", broken_fit)
    original, classifier = triage.taxonomy, triage.classifier
    refitter = refit.Refitter(triage, Settings(HOTLINE_DATA_DIR=tmp_path))
    try:
        triage.use_taxonomy(_without(triage, "城乡建设", "物业管理"))
        refitter.request()
        assert refitter.wait(30)
        assert triage.classifier is classifier
        assert refitter.last_error is not None and "磁盘已满" in refitter.last_error
        category = triage.classify(MESSAGE).category
        assert category.level2 != "物业管理" and category.level2 in triage.taxonomy.level2_names(category.level1)
    finally:
        triage.use_taxonomy(original)


def test_an_unchanged_save_fits_nothing(triage: Triage, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(refit, "fit_for", lambda *_a: pytest.fail("nothing changed, nothing to fit"))
    refitter = refit.Refitter(triage, Settings(HOTLINE_DATA_DIR=tmp_path))
    triage.use_taxonomy(type(triage.taxonomy).model_validate(triage.taxonomy.model_dump(mode="json")))
    try:
        refitter.request()
        assert refitter.wait(30) and refitter.fits == 0
    finally:
        triage.use_taxonomy(triage.classifier.taxonomy)
