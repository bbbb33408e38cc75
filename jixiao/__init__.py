"""jixiao (绩效): checked data from PDF archives of fiscal project performance forms."""

from schemas.version import __version__

__all__ = ["__version__"]
