"""The classifier's fit is cached under the data directory, keyed by what it depends on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.taxonomy import load_taxonomy
from bot.triage.classifier import Params
from bot.triage.embedding import default_embedder
from bot.triage.examples import load_examples
from bot.triage.fitcache import fit_classifier, fit_key


def test_a_second_start_loads_the_same_fit(tmp_path: Path) -> None:
    tax = load_taxonomy()
    examples = load_examples(tax)
    embedder = default_embedder()
    first = fit_classifier(taxonomy=tax, examples=examples, embedder=embedder, cache_dir=tmp_path)
    fits = list(tmp_path.glob("triage-fit-*.pkl"))
    assert len(fits) == 1
    second = fit_classifier(taxonomy=tax, examples=examples, embedder=embedder, cache_dir=tmp_path)
    assert second is not first and second.embedder is embedder
    text = "小区门口的垃圾桶好几天没人清理，臭气熏天"
    assert first.predict(text) == second.predict(text)


def test_the_key_changes_with_examples_taxonomy_and_settings() -> None:
    tax = load_taxonomy()
    examples = load_examples(tax)
    key = fit_key(tax, examples, Params())
    assert fit_key(tax, examples[:-1], Params()) != key
    assert fit_key(tax, examples, replace(Params(), knn_k=3)) != key
    edited = tax.model_copy(deep=True)
    edited.categories[0].children[0].keywords.append("新关键词")
    assert fit_key(edited, examples, Params()) != key


def test_an_unreadable_cache_is_refitted(tmp_path: Path) -> None:
    tax = load_taxonomy()
    examples = load_examples(tax)
    (tmp_path / f"triage-fit-{fit_key(tax, examples, Params())}.pkl").write_bytes(b"not a pickle")
    clf = fit_classifier(taxonomy=tax, examples=examples, embedder=default_embedder(), cache_dir=tmp_path)
    assert clf.predict("公司拖欠工资三个月").level1 == "劳动和社会保障"
