"""A record's values as editable tables: the funds as one grid, the indicators as one table,
the other fields as a two-column list. Edits go into ``pending`` (path → text), which
survives switching sections until it is saved. Tables draw their cells as plain text."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from schemas.catalogue import DECL_FUND_ZH as TD_ZH
from schemas.catalogue import FUND_COLUMN_ZH as COL_ZH
from schemas.catalogue import FUND_ROW_ZH as ROW_ZH
from schemas.catalogue import INDICATOR_ZH
from ui import service
from ui.labels import zh


def _value(path: str, baseline: dict[str, str | None], pending: dict[str, str | None]) -> str:
    v = pending[path] if path in pending else baseline.get(path)
    return v or ""


def _grid(
    view: service.RecordView, section: str
) -> tuple[list[str], list[str], list[list[str | None]]]:
    """(row titles, column titles, paths) of the section's table (None: no such field)."""
    paths = {f.path for f in view.fields if f.section == section}
    if section == "funds":
        rows = list(dict.fromkeys(f.path.split(".")[1] for f in view.fields if f.path in paths))
        three = any(len(p.split(".")) == 3 for p in paths)
        if three:
            cols = [c for c in COL_ZH if any(p.endswith("." + c) for p in paths)]
            grid = [
                [f"funds.{r}.{c}" if f"funds.{r}.{c}" in paths else None for c in cols]
                for r in rows
            ]
            return [ROW_ZH.get(r, r) for r in rows], [COL_ZH[c] for c in cols], grid
        return [TD_ZH.get(r, r) for r in rows], ["金额"], [[f"funds.{r}"] for r in rows]
    if section == "indicators":
        idx = sorted({int(p.split(".")[1]) for p in paths})
        cols = [c for c in INDICATOR_ZH if any(p.endswith("." + c) for p in paths)]
        grid = [
            [f"indicators.{i}.{c}" if f"indicators.{i}.{c}" in paths else None for c in cols]
            for i in idx
        ]
        return [str(i + 1) for i in idx], [INDICATOR_ZH[c] for c in cols], grid
    fields = [f for f in view.fields if f.section == section]
    return [f.label for f in fields], ["值"], [[f.path] for f in fields]


def editor(
    view: service.RecordView,
    section: str,
    baseline: dict[str, str | None],
    pending: dict[str, str | None],
    key: str,
) -> None:
    """Show the section as an editable table; record what the clerk changed in ``pending``."""
    row_titles, col_titles, grid = _grid(view, section)
    if not grid:
        st.caption("此分区没有字段。")
        return
    states = {f.path: f.status for f in view.fields}
    frame = pd.DataFrame(
        [[_value(p, baseline, pending) if p else "" for p in row] for row in grid],
        columns=col_titles,
        index=row_titles,
    )
    if len(col_titles) == 1:
        frame["状态"] = [zh(states.get(row[0] or "", "ok"), "state") for row in grid]
    height = min(38 + 35 * len(row_titles), 560)
    edited: Any = st.data_editor(
        frame,
        key=key,
        width="stretch",
        height=height,
        disabled=["状态"] if "状态" in frame.columns else False,
        column_config={c: st.column_config.TextColumn(c) for c in col_titles},
    )
    for i, row in enumerate(grid):
        for j, path in enumerate(row):
            if path is None:
                continue
            new = edited.iat[i, j]
            new = "" if new is None or (isinstance(new, float) and pd.isna(new)) else str(new)
            if (new.strip() or None) != ((baseline.get(path) or "").strip() or None):
                pending[path] = new
            else:
                pending.pop(path, None)
