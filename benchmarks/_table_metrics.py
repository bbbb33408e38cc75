"""How well a table extractor's cells carry an answer key: the metrics of ``bench_tables.py``.

Pure functions, no PDF library: a document's tables come in as matrices (``Table``: rows of
cell texts, ``""`` for an empty cell or one covered by a merged neighbour), the answer key as
the golden records of ``../shared/golden/FORMAT.md``.

- ``key_values``: every non-null string or number value of the records: header, goals, funds,
  totals and indicator fields. Left out: ``form_type`` (never printed), ``year`` and
  ``money_unit`` (read out of a title or a label such as ``项目资金（万元）``, never a whole
  cell), ``source_anomalies``. ``level1``/``level2`` are filled down in the key but printed
  once per merged cell, so they count once per run of equal consecutive values in a record.
- whole cells: a key value is whole when it equals the normalised text (``norm``: NFKC, all
  whitespace removed) of one cell. Counted as multisets per document: a value the key holds
  k times and the cells hold c times has min(k, c) hits, each occurrence credited
  min(1, c / k) (so per-group shares are fractional where a value repeats across groups).
  ``distinct`` is the looser figure: the share of distinct key values of a document that
  some cell holds whole, however often the key needs it.
- rows: an indicator row of the key is *kept together* when one table row has its name and
  its target (when the key has one) as whole cells. Each value field is then looked up in the
  row that holds the name and the most of the row's fields (``row_fields``).
- cuts: an occurrence that is not whole is *cut* when two neighbouring non-empty cells of one
  row (left ``a``, right ``b``) read ``v`` across their boundary: a non-empty prefix of ``v``
  ends ``a`` and the rest starts ``b`` (``2`` | ``4,300.00``); *split* is the same with a
  cell and the cell below it in the next row (wrapped text cut into two rows). Only two-piece
  splits are seen; a value cut into three cells counts as neither.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

Table = list[list[str]]

SKIPPED = frozenset({"form_type", "year", "money_unit", "source_anomalies"})
GOALS = frozenset({"goal_expected", "goal_actual", "goal_overall", "goal_annual"})
TOTALS = frozenset({"total_weight", "total_score", "grade"})
LEVELS = ("level1", "level2")
GROUPS = ("header", "goals", "funds", "totals", "indicators")

_WS = re.compile(r"\s+")


def norm(text: Any) -> str:
    """NFKC, then every whitespace character removed."""
    return _WS.sub("", unicodedata.normalize("NFKC", str(text)))


@dataclass(frozen=True)
class KeyValue:
    group: str
    field: str
    value: str


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool) and norm(v) != ""


def _funds(funds: Any) -> Iterator[KeyValue]:
    if not isinstance(funds, dict):
        return
    for key, val in funds.items():
        if isinstance(val, dict):
            for col, v in val.items():
                if _scalar(v):
                    yield KeyValue("funds", f"funds.{key}.{col}", norm(v))
        elif _scalar(val):
            yield KeyValue("funds", f"funds.{key}", norm(val))


def _indicators(rows: Any) -> Iterator[KeyValue]:
    last: tuple[Any, ...] = (None, None)
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        levels = tuple(row.get(f) for f in LEVELS)
        for i, f in enumerate(LEVELS):
            # A filled-down label is printed once per run of equal consecutive values.
            if _scalar(levels[i]) and levels[: i + 1] != last[: i + 1]:
                yield KeyValue("indicators", f, norm(levels[i]))
        last = levels
        for f, v in row.items():
            if f not in LEVELS and _scalar(v):
                yield KeyValue("indicators", f, norm(v))


def key_values(records: list[dict[str, Any]]) -> list[KeyValue]:
    """Every value of the answer key that a cell could hold, in record order."""
    out: list[KeyValue] = []
    for rec in records:
        for f, v in rec.items():
            if f in SKIPPED:
                continue
            if f == "funds":
                out += _funds(v)
            elif f == "indicators":
                out += _indicators(v)
            elif _scalar(v):
                group = "goals" if f in GOALS else "totals" if f in TOTALS else "header"
                out.append(KeyValue(group, f, norm(v)))
    return out


def key_rows(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The key's indicator rows: their non-null fields but the level labels, normalised."""
    rows = []
    for rec in records:
        for row in rec.get("indicators") or []:
            fields = {f: norm(v) for f, v in row.items() if f not in LEVELS and _scalar(v)}
            if "name" in fields:
                rows.append(fields)
    return rows


def cell_counts(tables: Iterable[Table]) -> Counter[str]:
    """How many cells hold each normalised text (empty cells left out)."""
    return Counter(t for table in tables for row in table for c in row if (t := norm(c)))


def whole_cells(keys: list[KeyValue], cells: Counter[str]) -> dict[str, Any]:
    """Hits overall, per group and per field (fractional where a value repeats)."""
    want = Counter(k.value for k in keys)
    credit = {v: min(1.0, cells[v] / n) for v, n in want.items()}
    groups: dict[str, list[float]] = {g: [0, 0.0] for g in GROUPS}
    fields: dict[str, list[float]] = {}
    for k in keys:
        for acc in (groups.setdefault(k.group, [0, 0.0]), fields.setdefault(k.field, [0, 0.0])):
            acc[0] += 1
            acc[1] += credit[k.value]
    hits = sum(min(n, cells[v]) for v, n in want.items())
    return {
        "values": len(keys),
        "whole": hits,
        "distinct": len(want),
        "distinct_whole": sum(1 for v in want if cells[v]),
        "groups": groups,
        "fields": fields,
    }


def _row_sets(tables: Iterable[Table]) -> dict[str, list[set[str]]]:
    """Each normalised cell text -> the rows (as sets of texts) that hold it."""
    index: dict[str, list[set[str]]] = {}
    for table in tables:
        for row in table:
            texts = {t for c in row if (t := norm(c))}
            for t in texts:
                index.setdefault(t, []).append(texts)
    return index


def rows_together(rows: list[dict[str, str]], tables: list[Table]) -> dict[str, Any]:
    """Key rows whose name and target sit in one table row; each field in the name's row."""
    index = _row_sets(tables)
    together = 0
    fields: dict[str, list[int]] = {}
    for key in rows:
        candidates = index.get(key["name"], [])
        best = max(candidates, key=lambda r: sum(v in r for v in key.values()), default=set())
        if candidates and key.get("target", key["name"]) in best:
            together += 1
        for f, v in key.items():
            acc = fields.setdefault(f, [0, 0])
            acc[0] += 1
            acc[1] += v in best
    return {"rows": len(rows), "together": together, "row_fields": fields}


def _pairs(table: Table) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Neighbouring non-empty cells: (left, right) within a row, (above, below) per column."""
    normed = [[norm(c) for c in row] for row in table]
    across: list[tuple[str, str]] = []
    for row in normed:
        filled = [t for t in row if t]
        across += pairwise(filled)
    down = [
        (a, b)
        for upper, lower in pairwise(normed)
        for a, b in zip(upper, lower, strict=False)
        if a and b
    ]
    return across, down


def _crossing(value: str, pairs: list[tuple[str, str]]) -> int:
    """How many pairs read ``value`` across their boundary (both pieces non-empty)."""
    n = len(value) - 1
    if n < 1:
        return 0
    return sum(value in a[-n:] + b[:n] for a, b in pairs)


def cut_values(keys: list[KeyValue], cells: Counter[str], tables: list[Table]) -> dict[str, int]:
    """Occurrences that are not whole cells but read across a cell boundary."""
    across: list[tuple[str, str]] = []
    down: list[tuple[str, str]] = []
    for table in tables:
        a, d = _pairs(table)
        across += a
        down += d
    cut = split = 0
    for value, n in Counter(k.value for k in keys).items():
        missing = n - min(n, cells[value])
        if missing:
            c = min(missing, _crossing(value, across))
            s = min(missing - c, _crossing(value, down)) if missing > c else 0
            cut += c
            split += s
    return {"cut": cut, "split": split}


def score_document(records: list[dict[str, Any]], tables: list[Table]) -> dict[str, Any]:
    """Every figure of one document: whole cells, rows kept together, cuts."""
    keys = key_values(records)
    cells = cell_counts(tables)
    out = whole_cells(keys, cells)
    out.update(rows_together(key_rows(records), tables))
    out.update(cut_values(keys, cells, tables))
    out["tables"] = len(tables)
    out["cells"] = sum(cells.values())
    return out


def _add_counts(into: dict[str, list[float]], more: dict[str, list[float]]) -> None:
    for k, (n, hit) in more.items():
        acc = into.setdefault(k, [0, 0.0])
        acc[0] += n
        acc[1] += hit


def combine(scores: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Sum of the documents' figures (shares are recomputed from the sums)."""
    total: dict[str, Any] = {"groups": {}, "fields": {}, "row_fields": {}}
    for s in scores:
        for k, v in s.items():
            if isinstance(v, dict):
                _add_counts(total[k], v)
            else:
                total[k] = total.get(k, 0) + v
    return total


def share(n: float, hits: float) -> float | None:
    return hits / n if n else None
