"""Keep the dialogue acts' fit on disk: a cache keyed by what the fit depends on.

Fitting the acts embeds every example and look-alike (over a thousand texts, tens of seconds on a busy
machine); the n-gram models and thresholds then take about a second. The key hashes the acts file, the
background examples file, the embedder's identity (what vectors it gives for fixed probe texts, so a different
model or wrapper giving different vectors never reuses a fit) and the code version, so a change to any of them
refits. The file is written atomically; an unreadable or stale one is refitted, never a crash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

import numpy as np
import sklearn

from bot.triage.embedding import Embedder

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the pickled layout changes
PREFIX = "dialog-acts-"
# Fixed texts whose vectors identify an embedder; one short batch, embedded once per fit or load.
PROBES = ["我要找人工客服", "我之前反映的事情现在怎么样了", "算了，不要了"]


def embedder_identity(embedder: Embedder | None) -> str:
    """What the embedder is, told by what it does: a hash of its vectors for the probe texts (4 decimals)."""
    if embedder is None:
        return "none"
    vectors = np.asarray(embedder.query(list(PROBES)), dtype=np.float64)
    rounded = np.round(vectors, 4) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{vectors.shape}:{hashlib.sha256(rounded.tobytes()).hexdigest()[:16]}"


def fit_key(*files: Path, embedder: Embedder | None, code: list[Path]) -> str:
    """A short hash of the files' bytes, the embedder's identity and the code and library versions."""
    h = hashlib.sha256()
    for path in [*files, *code]:
        h.update(path.read_bytes())
        h.update(b"\x1f")
    h.update(f"{embedder_identity(embedder)}|{sklearn.__version__}|{np.__version__}|{FORMAT}".encode())
    return h.hexdigest()[:24]


def load(cache_dir: Path, key: str) -> object | None:
    """The object stored under `key`, or None when there is none or it cannot be read."""
    path = cache_dir / f"{PREFIX}{key}.pkl"
    if not path.exists():
        return None
    try:
        with path.open("rb") as f:
            stored_key, fitted = pickle.load(f)  # noqa: S301 - our own file in our own data directory
    except Exception:  # noqa: BLE001 - a damaged pickle can raise almost anything; refitting is always safe
        log.warning("ignoring unreadable dialogue-act cache %s", path.name)
        return None
    if stored_key != key:
        log.warning("ignoring dialogue-act cache %s: it holds another fit", path.name)
        return None
    return fitted


def store(cache_dir: Path, key: str, fitted: object) -> None:
    """Write `fitted` under `key` atomically (a reader never sees half a file) and drop older fits."""
    path = cache_dir / f"{PREFIX}{key}.pkl"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # A private temporary name: two processes starting at once must not write into one file.
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{PREFIX}", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key, fitted), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        for old in cache_dir.glob(f"{PREFIX}*.pkl"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        log.warning("could not store the dialogue-act fit in %s", cache_dir)
