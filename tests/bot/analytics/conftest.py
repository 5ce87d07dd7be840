"""The generated stream, imported once per test session through the real import path (triage, extraction,
places, vectors), as analysis records."""

from __future__ import annotations

import pytest

from tests.bot.analytics import synth


@pytest.fixture(scope="session")
def streams(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(planted records, quiet records, the generated rows by id, the imported rows' columns)."""
    from bot.analytics.imports import build_importer
    from bot.analytics.repository import from_imported
    from bot.config import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTLINE_DATA_DIR", str(tmp_path_factory.mktemp("synth") / "data"))
        get_settings.cache_clear()
        from connectors.runtime import Runtime

        importer = build_importer(Runtime())
        rows = synth.stream(planted=True)
        built = []
        for start in range(0, len(rows), 64):
            built += importer.build([r.jsonl() for r in rows[start:start + 64]])
    get_settings.cache_clear()
    planted = [from_imported(b) for b in built]
    truth = {r.id: r for r in rows}
    quiet = [r for r in planted if truth[r.id].planted is None]
    columns = [{c.name: getattr(b, c.name) for c in b.__table__.columns if c.name not in ("id", "imported_at")}
               for b in built]
    return planted, quiet, truth, columns
