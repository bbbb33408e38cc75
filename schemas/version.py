"""Versions written into every result: the extractor's release and the result schema's."""

__version__ = "0.1.0"
# The shape of a stored result (``DocumentResult``); bumped when a field changes meaning.
SCHEMA_VERSION = "1"
# The columns of the CSV/Parquet/Excel exports (``jixiao/exports.py``): bumped when one is
# added, removed or changes meaning; written on every exported row and in the files' metadata.
EXPORT_SCHEMA_VERSION = "1"
