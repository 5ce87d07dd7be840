"""Refit triage in the background after an admin's taxonomy edit, so the save answers at once.

The edit is in force from the next message: `Triage.use_taxonomy` swaps the taxonomy at once and maps the
old classifier's picks onto it (a removed second level becomes the first level's catch-all) until the
classifier fitted to the new taxonomy replaces it. Edits made during a fit coalesce into one more fit.
"""

from __future__ import annotations

import logging
import threading

from bot.config import Settings
from bot.triage.service import Triage, fit_for

log = logging.getLogger(__name__)


class Refitter:
    """One background thread at a time fits the classifier to the taxonomy in force."""

    def __init__(self, triage: Triage, settings: Settings) -> None:
        self._triage = triage
        self._settings = settings
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._wanted = 0  # edits asked for
        self._done = 0  # edits the classifier has caught up with
        self._thread: threading.Thread | None = None
        self.fits = 0
        self.last_error: str | None = None

    def request(self) -> None:
        """The taxonomy in force changed: fit to it in the background (or once more after the current fit)."""
        with self._lock:
            self._wanted += 1
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="taxonomy-refit", daemon=True)
                self._thread.start()

    @property
    def refitting(self) -> bool:
        """True while the classifier has not caught up with the latest edit."""
        return not self._idle.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the classifier fits the taxonomy in force (True), or `timeout` seconds pass (False)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._done >= self._wanted:
                    self._thread = None
                    self._idle.set()
                    return
                target = self._wanted
            taxonomy = self._triage.taxonomy
            try:
                if taxonomy.model_dump() != self._triage.classifier.taxonomy.model_dump():
                    self._triage.use_classifier(fit_for(taxonomy, self._triage, self._settings))
                    self.fits += 1
                self.last_error = None
            except Exception as exc:  # the previous classifier keeps serving, mapped onto the new taxonomy
                log.exception("taxonomy refit failed")
                self.last_error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._done = target
