"""The model fills the indicator rows where the mapper cannot follow the table at all.

When a record has table rows but the mapper found no indicator header (no column it can
place), the model is shown the rows of the record's table, each cell as ``id=text``, and
answers with a strict pydantic model in which every value is a **cell id** of that table
(an enum: a grammar-constrained server cannot write anything else; a missing or unknown id,
or an id from another row, fails validation and instructor re-asks). Code copies each cited
cell's text into the record with that cell's provenance, so the model cannot invent text;
grounding and the validators then run as on every record.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model, field_validator

from extractor.layout.blocks import cell_value
from extractor.layout.segment import Segment
from extractor.llm.asker import Asker
from prompts import load
from schemas.catalogue import is_known
from schemas.grid import Cell
from schemas.records import SelfEvalIndicator, TargetIndicator
from schemas.values import ValueSource

PROMPT = load("cell_fill", 1)
SELF_FIELDS = tuple(SelfEvalIndicator.model_fields)
DECL_FIELDS = tuple(TargetIndicator.model_fields)
MAX_CELLS = 400  # a table with more cells is not shown (the prompt would not fit)
CELL_CHARS = 40  # each cell's text, at most, in the prompt
TOKENS_PER_ROW = 90
MAX_TOKENS = 1024  # an answer is cut here (~100 s on 2 CPU cores): a longer one is a ramble
MIN_ROWS = 2  # one row read out of a table is more likely a misreading than a table


def table_cells(seg: Segment) -> dict[str, tuple[Cell, int]]:
    """The record's cells (id -> cell, row order), each once, in reading order."""
    out: dict[str, tuple[Cell, int]] = {}
    for k, row in enumerate(seg.rows):
        for c in row.cells:
            if c.id in row.anchors and c.text.strip():
                out.setdefault(c.id, (c, k))
    return out


def render_rows(seg: Segment) -> str:
    lines = []
    for row in seg.rows:
        cells = [c for c in row.cells if c.id in row.anchors and c.text.strip()]
        if cells:
            texts = [f"{c.id}={c.text.strip().replace(chr(10), '')[:CELL_CHARS]}" for c in cells]
            lines.append(" | ".join(texts))
    return "\n".join(lines)


class _Rows(BaseModel):
    model_config = ConfigDict(extra="forbid")


def rows_model(cells: dict[str, tuple[Cell, int]], fields: tuple[str, ...]) -> type[BaseModel]:
    """``{"indicators": [{field: cell id | null, ...}, ...]}``: ids an enum of ``cells``;
    the ids of one indicator must come from one row (a merged level cell from above it)."""
    ids: Any = Enum("CellId", {i: i for i in cells}, type=str)  # type: ignore[misc]
    row_fields: dict[str, Any] = {f: (ids | None, None) for f in fields}

    row = create_model("IndicatorCells", __base__=_Rows, **row_fields)

    own = [f for f in fields if f not in ("level1", "level2")]  # levels may be merged above

    def same_row(cls: type[BaseModel], v: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for item in v:
            if getattr(item, "name", None) is None:
                raise ValueError("every indicator needs the id of its name cell")
            rows = {cells[x.value][1] for f in own if (x := getattr(item, f)) is not None}
            if len(rows) > 1:
                raise ValueError("the cells of one indicator (name, target …) are in one row")
            ids = [x.value for f in own if (x := getattr(item, f)) is not None]
            if seen & set(ids) or len(set(ids)) < len(ids):
                raise ValueError("a cell is cited twice")
            seen |= set(ids)
        return v

    model: type[BaseModel] = create_model(
        "IndicatorRows",
        __base__=_Rows,
        __validators__={"same_row": field_validator("indicators")(same_row)},
        indicators=(list[row], ...),
    )
    return model


def ask_indicators(
    asker: Asker, seg: Segment, self_eval: bool, key_parts: dict[str, Any]
) -> list[SelfEvalIndicator] | list[TargetIndicator]:
    """The record's indicator rows as the model cites them (empty when the table is too
    large to show). Raises ``LLMError`` when no valid answer could be had."""
    cells = table_cells(seg)
    if not cells or len(cells) > MAX_CELLS:
        return []
    fields = SELF_FIELDS if self_eval else DECL_FIELDS
    answer = asker.ask(
        rows_model(cells, fields),
        PROMPT.render(fields=", ".join(fields), rows=render_rows(seg)),
        context={"texts": [f"indicator cells of pages {seg.pages}"]},
        key_parts=key_parts,
        prompt_version=PROMPT.version,
        max_tokens=min(TOKENS_PER_ROW * len(seg.rows) + 64, MAX_TOKENS),
    )
    out: list[Any] = []
    kind = SelfEvalIndicator if self_eval else TargetIndicator
    for item in getattr(answer, "indicators", []):
        ind = kind()
        for f in fields:
            cid = getattr(item, f)
            if cid is not None:
                v = cell_value(cells[cid.value][0])
                if v.prov is not None:
                    v.prov.source = ValueSource.LLM
                setattr(ind, f, v)
        if ind.name.text and not is_known(ind.name.text):
            out.append(ind)
    return out if len(out) >= MIN_ROWS else []
