"""Migration scripts (loaded by Alembic by file path, not imported as modules)."""
