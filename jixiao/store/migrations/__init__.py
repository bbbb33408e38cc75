"""Alembic migrations of the store, shipped as package data and applied by ``Store(url)``.

Revisions live in ``versions/`` as ``vNNNN_name.py`` (revision ids ``0001_core``,
``0002_review``, …). Write a new one by hand from ``script.py.mako`` with the previous head
as ``down_revision``; ``tests/test_store.py`` checks the migrated schema against the ORM
tables (``jixiao.store.tables``).
"""
