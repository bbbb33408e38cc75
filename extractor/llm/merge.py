"""Hybrid hand-off: the model's reading may fill what the mapper could not find, never more.

A value the deterministic mapper read stays as it is, and so does a field it located in an
empty cell (an empty 偏差原因 cell is the printed answer, not a gap: the model reading another
column there was measured to make hybrid worse than layout). The model's reading of the same
record only contributes values for fields the mapper did not locate at all (no cited cell),
or the indicator rows when the mapper found none. So hybrid can add what layout missed but
cannot turn a right layout value, empty or not, into a wrong one.
"""

from __future__ import annotations

import copy

from schemas.records import Record, iter_values
from schemas.values import ValueSource


def fill_missing(base: Record, cand: Record) -> tuple[Record, int]:
    """``base`` with its unlocated values filled from ``cand``; returns (merged copy, n filled)."""
    merged = copy.deepcopy(base)
    if type(cand) is not type(base):
        return merged, 0
    if not merged.indicators and cand.indicators:
        # The mapper found no indicator rows: take the model reading's rows (empty copies
        # here, filled value by value below like every other field).
        merged.indicators = [type(i)() for i in cand.indicators]  # type: ignore[assignment]
    same_rows = len(merged.indicators) == len(cand.indicators)
    theirs = dict(iter_values(cand))
    filled = 0
    for path, v in iter_values(merged):
        located = v.prov is not None and bool(v.prov.cell_ids)
        if v.text or located or (path.startswith("indicators.") and not same_rows):
            continue
        other = theirs.get(path)
        if other is not None and other.text:
            v.text = other.text
            v.prov = copy.deepcopy(other.prov)
            if v.prov is not None:
                v.prov.source = ValueSource.LLM
            filled += 1
    return merged, filled
