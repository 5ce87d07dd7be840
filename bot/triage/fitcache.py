"""Fit the category classifier once and keep the fit: a cache keyed by what the fit depends on.

The key hashes the labelled examples, the taxonomy (its names, descriptions, topics and keywords), the
ensemble's parameters and the code version (this package's classifier source and scikit-learn's version),
so any change to one of them refits, and an unchanged start loads the fit in well under a second instead
of embedding ~1,000 texts and fitting the stack.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from dataclasses import asdict
from pathlib import Path

import numpy as np
import sklearn

from bot.taxonomy import Taxonomy
from bot.triage import classifier as classifier_module
from bot.triage.classifier import CategoryClassifier, Params, Prototypes, embed_view
from bot.triage.embedding import Embedder, embed_cached
from bot.triage.examples import Example

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the pickled layout changes


def code_version() -> str:
    """The classifier's source and the library versions the pickled fit depends on."""
    source = Path(classifier_module.__file__).read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(source + f"{sklearn.__version__}|{np.__version__}|{FORMAT}".encode()).hexdigest()[:16]


def fit_key(taxonomy: Taxonomy, examples: list[Example], params: Params) -> str:
    """A short hash of everything the fit depends on."""
    h = hashlib.sha256()
    h.update(json.dumps([[e.text, e.level1, e.level2, e.intent] for e in examples], ensure_ascii=False).encode())
    h.update(taxonomy.model_dump_json().encode())
    h.update(json.dumps(asdict(params), sort_keys=True).encode())
    h.update(code_version().encode())
    return h.hexdigest()[:24]


def fit_classifier(*, taxonomy: Taxonomy, examples: list[Example], embedder: Embedder,
                   cache_dir: Path | None, params: Params | None = None) -> CategoryClassifier:
    """The fitted classifier: loaded from `cache_dir` when this exact fit was made before, else fitted and stored."""
    params = params or Params()
    path = cache_dir / f"triage-fit-{fit_key(taxonomy, examples, params)}.pkl" if cache_dir else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as f:
                fitted = pickle.load(f)  # noqa: S301 - our own file in our own data directory
            if isinstance(fitted, CategoryClassifier):
                fitted.embedder = embedder
                log.info("triage classifier loaded from %s", path.name)
                return fitted
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
            log.warning("ignoring unreadable triage fit cache %s", path.name)
    labels = [c.name for c in taxonomy.categories]
    vectors = embed_cached(embedder, [embed_view(e.text) for e in examples], cache_dir=cache_dir)
    proto_texts = Prototypes(taxonomy, labels).texts if params.use_prototypes else []
    proto = embed_cached(embedder, proto_texts, cache_dir=cache_dir) if proto_texts else None
    fitted = CategoryClassifier(taxonomy=taxonomy, examples=examples, embedder=embedder,
                                example_vectors=vectors, prototype_vectors=proto, params=params)
    if path is not None:
        _store(path, fitted)
    return fitted


def _store(path: Path, fitted: CategoryClassifier) -> None:
    embedder = fitted.embedder
    fitted.embedder = None  # type: ignore[assignment]  # the model is process state, never pickled
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(fitted, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in path.parent.glob("triage-fit-*.pkl"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        log.warning("could not store the triage fit in %s", path.parent)
    finally:
        fitted.embedder = embedder
