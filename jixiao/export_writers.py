"""The writers behind ``jixiao.exports``: CSV, Parquet and Excel, each written to a
temporary name beside its target and renamed into place (``_publish``), with the formula and
control-character guard on every text cell and CSV field, and printed numbers as numeric
workbook cells with a number format.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from jixiao.export_columns import TABLES, header_names
from schemas.version import EXPORT_SCHEMA_VERSION

SCHEMA_KEY = b"jixiao.schema_version"
EXCEL_MAX_ROWS = 1_048_575  # one header row

_SIGNED_NUMBER = re.compile(r"^[-+]\s*[\d.,]+\s*%?$")
# C0 controls (but tab and line breaks), DEL: no spreadsheet cell or CSV field keeps them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = "=@+-\t\r\n"


def spreadsheet_safe(v: Any) -> Any:
    """Text a spreadsheet cannot run: control characters dropped, and a leading ``'`` on text
    starting with ``=``, ``@``, a tab or a line break, or with ``-``/``+`` not followed by a
    plain number (``-`` alone, ``-5``, ``+3.5%`` stay as printed). Used for every CSV field
    and every text cell of the workbook (which are also typed as text, never a formula)."""
    if not isinstance(v, str) or not v:
        return v
    v = _CONTROL.sub("", v)
    if not v:
        return v
    if v[0] in "=@\t\r\n":
        return "'" + v
    if v[0] in "-+" and len(v) > 1 and not _SIGNED_NUMBER.match(v):
        return "'" + v
    return v


# Columns that hold printed numbers: written to the workbook as numeric cells when the text
# is a plain number (amounts with thousands separators, percentages), else as guarded text.
_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _is_numeric_column(name: str) -> bool:
    if name.startswith("funds_"):
        return True
    return name in ("weight", "score", "total_weight", "total_score")


def number_cell(text: Any) -> tuple[float, str] | None:
    """(value, Excel number format) of a printed number (``1,234.50``, ``91.11``, ``100%``),
    or None when the text is not one plain number (then it stays text)."""
    if not isinstance(text, str):
        return None
    t = text.strip().replace(" ", "")
    percent = t.endswith("%")
    if percent:
        t = t[:-1]
    if not _NUMBER.match(t):
        return None
    value = float(t.replace(",", ""))
    decimals = len(t.split(".")[1]) if "." in t else 0
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    if percent:
        return value / 100, "0" + ("." + "0" * decimals if decimals else "") + "%"
    return value, fmt


# -- writers ----------------------------------------------------------------------------------


def _part(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place (same folder, so the rename
    is atomic): a reader sees the old file or the whole new one, never a part."""
    return path.with_name(f".{path.name}.{os.getpid()}.part")


class _Csv:
    def __init__(self, path: Path, columns: list[tuple[str, str]], headers: str = "keys") -> None:
        self.path = path
        self._f = _part(path).open("w", encoding="utf-8-sig", newline="")
        self._w = csv.writer(self._f)
        self._w.writerow(header_names(columns, headers))
        self._cols = [c for c, _ in columns]

    def write(self, row: dict[str, Any]) -> None:
        self._w.writerow([spreadsheet_safe(row.get(c)) for c in self._cols])

    def close(self) -> None:
        self._f.close()


class _Parquet:
    def __init__(self, path: Path, columns: list[tuple[str, str]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self.path = path
        self.schema = pa.schema(
            [pa.field(c, pa.int64() if t == "int" else pa.string()) for c, t in columns],
            metadata={SCHEMA_KEY: EXPORT_SCHEMA_VERSION.encode()},
        )
        self._w = pq.ParquetWriter(str(_part(path)), self.schema, compression="zstd")
        self._buf: list[dict[str, Any]] = []

    def write(self, row: dict[str, Any]) -> None:
        self._buf.append(row)
        if len(self._buf) >= 500:
            self._flush()

    def _flush(self) -> None:
        if self._buf:
            self._w.write_table(self._pa.Table.from_pylist(self._buf, schema=self.schema))
            self._buf = []

    def close(self) -> None:
        self._flush()
        self._w.close()


class _Excel:
    def __init__(self, path: Path, headers: str = "keys") -> None:
        from openpyxl import Workbook

        self.path = path
        self.wb = Workbook(write_only=True)
        self.wb.properties.keywords = f"jixiao schema_version={EXPORT_SCHEMA_VERSION}"
        self.sheets: dict[str, Any] = {}
        self.rows: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        for name, columns in TABLES.items():
            ws = self.wb.create_sheet(name)
            ws.append([self._text(ws, h) for h in header_names(columns, headers)])
            self.sheets[name] = (ws, [c for c, _ in columns])

    @staticmethod
    def _text(ws: Any, v: str) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        v = spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", v))[:32767]
        cell = WriteOnlyCell(ws, value=v)
        cell.data_type = "s"  # never a formula
        return cell

    def write(self, table: str, row: dict[str, Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        ws, cols = self.sheets[table]
        if self.rows[table] >= EXCEL_MAX_ROWS:
            self.dropped[table] += 1
            return
        cells = []
        for c in cols:
            v = row.get(c)
            number = number_cell(v) if _is_numeric_column(c) else None
            if number is not None:
                cell = WriteOnlyCell(ws, value=number[0])
                cell.number_format = number[1]
                cells.append(cell)
            elif isinstance(v, str):
                cells.append(self._text(ws, v))
            else:
                cells.append(v)
        ws.append(cells)
        self.rows[table] += 1

    def close(self) -> None:
        self.wb.save(_part(self.path))


def _publish(paths: list[Path]) -> None:
    """Rename every finished part into place (each rename is atomic)."""
    for p in paths:
        part = _part(p)
        if part.exists():
            os.replace(part, p)


def _discard(paths: list[Path]) -> None:
    for p in paths:
        _part(p).unlink(missing_ok=True)
