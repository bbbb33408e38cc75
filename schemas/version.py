"""Versions written into every result: the extractor's release and the result schema's."""

__version__ = "0.1.0"
# The shape of a stored result (``DocumentResult``); bumped when a field changes meaning.
SCHEMA_VERSION = "1"
