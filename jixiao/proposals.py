"""Label proposals from reviewers' corrections (``jixiao labels --proposals``).

When a reviewer corrects a field to the whole text of one cell of the record's pages, and
that cell is named by a label the catalogue does not know (its row label, or its column
header: see ``extractor.layout.context``, kept with each stored result as
``label_context``), that label is proposed as a synonym of the corrected field in the
field's category: ``key`` for header fields, ``fund_rows``/``fund_columns`` for the funds
grid, ``decl_funds``, ``self_goals``/``decl_goals``, ``indicator_columns``. Where a row of
the record already cites cells (an indicator, a funds row), the cell must lie in that
row. A correction whose value several cells print under different labels proposes
nothing for that category (it cannot say which).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from extractor.layout.context import parse_cell_id
from schemas.catalogue import Learned, entry, label_key, learned_labels, lookup
from schemas.numbers import normalise_text
from schemas.results import LabelContext

Target = tuple[str, str]  # category, field


@dataclass(frozen=True)
class Proposal:
    text: str
    category: str
    field: str
    count: int  # corrections (record and field) that propose it
    records: tuple[int, ...] = ()

    @property
    def target(self) -> str:
        return f"{self.category}.{self.field}"

    @property
    def zh(self) -> str:
        e = entry(self.category, self.field)
        return e.zh if e is not None else ""


def targets(path: str) -> tuple[list[Target], list[Target]]:
    """The catalogue fields a field path is read under: by its row label, by its column
    header. Paths the catalogue does not label (year, totals) give none."""
    parts = path.split(".")
    rows: list[Target] = []
    cols: list[Target] = []
    if len(parts) == 3 and parts[0] == "indicators":
        cols = [("indicator_columns", parts[2])]
    elif len(parts) == 3 and parts[0] == "funds":
        rows, cols = [("fund_rows", parts[1])], [("fund_columns", parts[2])]
    elif len(parts) == 2 and parts[0] == "funds":
        rows = cols = [("decl_funds", parts[1])]
    elif len(parts) == 1:
        rows = cols = [(cat, path) for cat in ("key", "self_goals", "decl_goals")]
    known = [t for t in rows if entry(*t) is not None]
    return known, [t for t in cols if entry(*t) is not None]


def _row_prefix(path: str) -> str | None:
    parts = path.split(".")
    return ".".join(parts[:2]) + "." if len(parts) == 3 else None


def _rows(path: str, data: Mapping[str, Any]) -> set[tuple[int, int, int]]:
    """The table rows the record's other values of the same indicator or funds row cite."""
    prefix = _row_prefix(path)
    if prefix is None:
        return set()
    out = set()
    for p, prov in (data.get("provenance") or {}).items():
        if p.startswith(prefix) and isinstance(prov, Mapping):
            for cid in prov.get("cell_ids") or []:
                slot = parse_cell_id(str(cid))
                if slot is not None:
                    out.add(slot[:3])
    return out


def _cells(value: str, path: str, data: Mapping[str, Any], ctx: LabelContext) -> list[str]:
    """The cells of the record's pages (and row) printing exactly ``value``."""
    want = normalise_text(value)
    pages = {int(p) for p in data.get("pages") or []}
    rows = _rows(path, data)
    out = []
    for cid in {*ctx.row_label, *ctx.column_header}:
        slot = parse_cell_id(cid)
        if slot is None or normalise_text(ctx.texts.get(cid, "")) != want:
            continue
        if (pages and slot[0] not in pages) or (rows and slot[:3] not in rows):
            continue
        out.append(cid)
    return sorted(out)


def propose(
    path: str, value: str | None, data: Mapping[str, Any], ctx: LabelContext
) -> list[tuple[str, str, str]]:
    """(label text, category, field) proposed by correcting ``path`` to ``value`` in the
    stored record ``data`` (golden shape, with provenance and pages)."""
    if not value or not normalise_text(value):
        return []
    by_row, by_col = targets(path)
    found: dict[Target, dict[str, str]] = defaultdict(dict)  # target → label key → text
    for cid in _cells(value, path, data, ctx):
        for names, tgts in ((ctx.row_label, by_row), (ctx.column_header, by_col)):
            label = ctx.texts.get(names.get(cid, ""), "")
            if label and label_key(label):
                for t in tgts:
                    found[t].setdefault(label_key(label), label)
    out = []
    for (category, field_name), labels in found.items():
        if len(labels) == 1:  # one label names the value: no guessing between several
            out.append((next(iter(labels.values())), category, field_name))
    return out


@dataclass
class _Tally:
    text: str
    support: set[tuple[int, str]] = field(default_factory=set)


def tally(
    corrections: Iterable[tuple[int, str, str | None, Mapping[str, Any], LabelContext]],
    taught: Sequence[Learned] = (),
) -> list[Proposal]:
    """Proposals from (record id, field, new value, record data, label context) rows,
    most supported first; labels the catalogue (with ``taught``) knows already are left
    out."""
    tallies: dict[tuple[str, str, str], _Tally] = {}
    for record_id, path, value, data, ctx in corrections:
        for text, category, field_name in propose(path, value, data, ctx):
            t = tallies.setdefault((label_key(text), category, field_name), _Tally(text))
            t.support.add((record_id, path))
    out = []
    with learned_labels(taught):
        for (_, category, field_name), t in tallies.items():
            if lookup(t.text, category) is not None:
                continue
            records = tuple(sorted({r for r, _ in t.support}))
            out.append(Proposal(t.text, category, field_name, len(t.support), records))
    return sorted(out, key=lambda p: (-p.count, p.category, p.field, p.text))


def format_proposals(proposals: Sequence[Proposal]) -> str:
    """One numbered line per proposal: ``n<TAB>count<TAB>label → category.field (中文)``."""
    if not proposals:
        return (
            "no proposals (a correction to the whole text of a cell named by an unknown "
            "label proposes that label)"
        )
    lines = [f"{i}\t{p.count}\t{p.text} → {p.target} ({p.zh})" for i, p in enumerate(proposals, 1)]
    lines.append("accept with: jixiao labels --accept N (or --accept 'TEXT=category.field')")
    return "\n".join(lines)
