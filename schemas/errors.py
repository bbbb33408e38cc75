"""One exception base class. Every error a user can cause says what to do about it."""

from __future__ import annotations


class JixiaoError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(JixiaoError):
    """A setting is missing or invalid; the message names the ``JIXIAO_*`` variable."""


class InputError(JixiaoError):
    """A document cannot be processed (not a PDF, corrupt, encrypted, empty, too large)."""


class NotAPdfError(InputError):
    pass


class CorruptPdfError(InputError):
    pass


class EncryptedPdfError(InputError):
    pass


class EmptyPdfError(InputError):
    pass


class TooLargeError(InputError):
    pass


class BatchBusyError(JixiaoError):
    """Another run holds the batch's lease on this store (the message says who, since when)."""


class LeaseLostError(JixiaoError):
    """This run's batch lease was taken over (it was judged dead): the run stops."""
