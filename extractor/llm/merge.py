"""Hybrid hand-off: the model's reading may fill what the mapper left empty, never overwrite.

A value the deterministic mapper read (and grounding kept) stays as it is; the model's
reading of the same record only contributes values for fields the mapper left empty, or the
indicator rows when the mapper found none. So hybrid can add what layout missed but cannot
turn a right layout value into a wrong one.
"""

from __future__ import annotations

import copy

from schemas.records import Record, iter_values


def fill_missing(base: Record, cand: Record) -> tuple[Record, int]:
    """``base`` with the empty values filled from ``cand``; returns (merged copy, n filled)."""
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
        if v.text or (path.startswith("indicators.") and not same_rows):
            continue
        other = theirs.get(path)
        if other is not None and other.text:
            v.text = other.text
            v.prov = copy.deepcopy(other.prov)
            if v.prov is not None:
                v.prov.source = "llm"
            filled += 1
    return merged, filled
