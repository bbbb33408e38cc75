"""The golden sets for tests (not a test module): where they are, and the guard of the tests
that read them.

They live in ``../shared/golden`` beside the clone. A test that reads them is marked
``golden`` (``pytest -m golden`` runs exactly these); without the folder it skips, saying
why (``tests/conftest.py`` skips it at setup), and a test that calls ``golden_required()``
without the marker fails. The running test is kept here, not in ``conftest.py``: pytest
loads ``conftest.py`` as a module of its own, while tests import ``tests.conftest``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO.parent / "shared" / "golden"
DIGITAL = sorted(p for p in GOLDEN.glob("*.pdf") if not p.name.endswith(".scan.pdf"))
SCANS = sorted(GOLDEN.glob("*.scan.pdf"))
GOLDEN_MISSING = (
    f"golden set not found at {GOLDEN}: tests marked golden need ../shared/golden beside "
    "the clone (README, Tests)"
)

running: list[pytest.Item] = []  # the test being set up or run (set by tests/conftest.py)


def golden_required() -> None:
    """Skip when the golden set is missing; fail when the test reading it is not marked
    ``golden`` (so that ``pytest -m golden`` selects every test that needs the folder)."""
    item = running[0] if running else None
    if item is not None and item.get_closest_marker("golden") is None:
        pytest.fail(f"{item.nodeid} reads {GOLDEN}: mark it @pytest.mark.golden", pytrace=False)
    if not GOLDEN.is_dir():
        pytest.skip(GOLDEN_MISSING)
