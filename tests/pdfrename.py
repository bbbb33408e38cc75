"""Golden dev forms redrawn by the generator with their labels renamed (``evals/renamed.py``).

``draw_renamed`` is the ``Draw`` that ``evals.renamed.regenerate`` takes: it builds each
record's ``SelfEval``/``TargetDecl``, draws it as the generator always does, replaces every
cell text found in ``renames`` by its synonym, and returns what it drew as answer keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.pdfdraw import render
from tests.pdfgen import Indicator, SelfEval, Style, Table, TargetDecl, expected, form_table


def _form(kw: dict[str, Any]) -> SelfEval | TargetDecl:
    inds = [Indicator(**{k: v for k, v in i.items() if k in Indicator.__dataclass_fields__})
            for i in kw["indicators"]]  # fmt: skip
    kw = {**kw, "indicators": inds}
    return SelfEval(**kw) if "goal_expected" in kw else TargetDecl(**kw)


def _style(form: SelfEval | TargetDecl) -> Style:
    leader = bool(form.project_leader or form.contact_phone)
    if isinstance(form, SelfEval):
        return Style(leader_row=leader)
    return Style(extra_left=72.0, leader_row=leader)


def rename(table: Table, renames: dict[str, str]) -> Table:
    """The table with every cell whose whole text is a renamed label printed as its synonym."""
    for row in table.rows:
        for c in row.cells:
            c.text = renames.get(c.text, c.text)
    return table


def draw_renamed(
    records: list[dict[str, Any]], path: Path, renames: dict[str, str]
) -> list[dict[str, Any]]:
    forms = [_form(kw) for kw in records]
    styles = [_style(f) for f in forms]
    tables = [rename(form_table(f, s), renames) for f, s in zip(forms, styles, strict=True)]
    render(tables, path)
    out = []
    for f, s, t in zip(forms, styles, tables, strict=True):
        rec = expected(f, s)
        rec["pages"] = t.pages
        out.append(rec)
    return out
