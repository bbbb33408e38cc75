"""Characters of a text layer with their boxes, and their grouping into cell lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Char:
    """One character of the text layer: centre, horizontal extent, baseline, font size."""

    c: str
    cx: float
    cy: float
    x0: float
    x1: float
    base: float
    size: float


def assemble_lines(chars: list[_Char]) -> list[str]:
    """Group characters into lines by baseline, each sorted left to right."""
    if not chars:
        return []
    rows: list[list[_Char]] = []
    for ch in sorted(chars, key=lambda c: (c.base, c.x0)):
        if rows and abs(rows[-1][0].base - ch.base) <= max(1.5, 0.3 * ch.size):
            rows[-1].append(ch)
        else:
            rows.append([ch])
    out: list[str] = []
    for r in rows:
        r.sort(key=lambda c: c.x0)
        parts: list[str] = []
        prev: _Char | None = None
        for ch in r:
            # A wide gap with no space character (separately placed words) becomes one space.
            if (
                prev is not None
                and ch.x0 - prev.x1 > 0.9 * ch.size
                and ch.c != " "
                and prev.c != " "
            ):
                parts.append(" ")
            parts.append(ch.c)
            prev = ch
        line = "".join(parts).rstrip()
        if line.strip():
            out.append(line)
    return out
