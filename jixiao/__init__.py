"""jixiao (绩效): checked data from PDF archives of fiscal project performance forms."""

__version__ = "0.1.0"
