"""Errors the library raises; each carries a message fit to show an admin."""


class QmailError(Exception):
    """Base class: something about the mail host is not as the caller needs."""


class InvalidValue(QmailError, ValueError):
    """A value qmail would refuse or silently misread.

    The message is written for the admin and is shown beside the form field.
    """


class FieldError(InvalidValue):
    """An invalid value that belongs to one named field of a form or agent payload."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class OutsideRoots(QmailError):
    """A name that would resolve to a path outside the configured roots."""


class Conflict(QmailError):
    """The file on the server changed since the caller last read it."""


class UnreadableFile(QmailError):
    """A server file the panel will neither read nor write through.

    ``reason`` is "link" (a symbolic link, ``target`` is where it points), "special"
    (a fifo, device, socket or directory) or "too_large" (over the size limit).
    """

    def __init__(self, message: str, *, reason: str, target: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.target = target
