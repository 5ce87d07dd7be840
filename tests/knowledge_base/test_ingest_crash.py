"""A `hotline ingest` killed mid-write loses nothing: the next run finishes the job, with no duplicates."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.config import get_settings
from connectors.runtime import Runtime

SAMPLES = Path(__file__).resolve().parents[2] / "knowledge_base" / "samples"


def test_killed_ingest_is_finished_by_the_next_run(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in sorted(SAMPLES.glob("*.md"))[:8]:
        shutil.copy(path, docs / path.name)
    env = {**os.environ, "HOTLINE_DATA_DIR": str(get_settings().data_dir), "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen([sys.executable, "-c", "from connectors.cli import app; app()", "ingest", str(docs)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(6)  # long enough to be embedding, far too short to finish 8 documents
    assert proc.poll() is None, "ingest finished before it could be killed; use more documents"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    runtime = Runtime()
    kb = runtime.knowledge_base
    report = kb.ingest_paths([docs])
    assert report.count("error") == 0
    documents = {d.doc_id: d for d in kb.documents()}
    assert set(documents) == {p.stem for p in docs.glob("*.md")}
    for doc_id, row in documents.items():
        stored = kb.vectors.chunk_ids(doc_id)
        assert len(stored) == row.chunk_count, doc_id
        assert {c.chunk_id for c in kb.document_chunks(doc_id)} == stored
    assert kb.ingest_paths([docs]).embedded == 0
