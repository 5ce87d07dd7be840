"""The project's small error hierarchy; every edge maps its failures onto these."""


class HotlineError(Exception):
    """Base of every error the product raises on purpose."""


class BadInput(HotlineError):
    """The caller sent something we cannot accept; the message says why, in plain words."""


class UnsupportedFile(BadInput):
    """A file type the knowledge base cannot read."""


class BadFileName(BadInput):
    """A file name that would show as something else (control, bidi or zero-width characters)."""


class FileTooLarge(BadInput):
    """A file over the configured size limit."""


class CorruptFile(BadInput):
    """A file that claims a type but cannot be parsed as it."""


class EmptyDocument(BadInput):
    """A file with no text in it."""


class NotFound(HotlineError):
    """The thing asked for does not exist (or the caller may not see it)."""


class Conflict(HotlineError):
    """The thing exists but is in a state that does not allow the action (a call that has ended)."""


class LLMUnavailable(HotlineError):
    """The language model failed, timed out, answered nonsense, or the breaker is open."""


class BackendUnavailable(HotlineError):
    """A dispatch backend or another outside service failed; the caller should retry later."""


class InvalidConfig(BadInput):
    """A data file (taxonomy, routing table, calendar) failed validation."""
