"""Grounding: every extracted value must be found in the cell (or line) it cites.

A value passes when it equals the cited text exactly, or after normalisation (NFKC, so
full-width digits and brackets; whitespace removed). Three derived matches are allowed and
recorded as such: ``contained`` for the year, money unit and budget points read out of a title or header,
and for a separator-delimited part of a cell that prints a label and a value or two
values (``合计：109.8万元``, ``2019-2021``, a name and a phone number),
``vocabulary`` for an indicator label clipped at a page break and completed from the fixed
taxonomy, and ``inferred`` for a blank merged 一级指标 filled from its 二级指标. Anything else
is rejected: the value is removed (never shown as extracted) and an error finding names it.
On scanned pages a value may also equal its cell's OCR text once OCR confusions are folded
(``ocr_normalised``: 0/O, 1/l/I, separators; see ``ocr_text``); the OCR text is kept
beside it and its confidence is the lowest of its cited cells.
The match status is recomputed here, never taken from the extractor's own claim.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Mapping

from extractor.checks.ocr_text import cited_confidence, ocr_key
from extractor.layout.vocabulary import complete_clipped, parent_of
from schemas.findings import Finding, FindingCode, Severity
from schemas.numbers import normalise_text
from schemas.records import iter_values
from schemas.values import MatchStatus, Provenance, Value

CONTAINED_FIELDS = ("year", "money_unit", "budget_points")
# Where one cell prints a label and a value, or two values (``合计：109.8万元``,
# ``2019-2021``, ``张三 13800000000``), a value may be one of its parts.
_SEPARATORS = re.compile(r"[:：;；,，、/~～至到]+|-{1,2}|—+")
_NAME_PHONE = re.compile(r"^(\D+?)((?:\+?86)?\d[\d-]{6,})$")


def cell_parts(cited: str) -> set[str]:
    """The separator-delimited parts of a cell's text (normalised), a name+phone split."""
    out: set[str] = set()
    for piece in _SEPARATORS.split(unicodedata.normalize("NFKC", cited)):
        p = normalise_text(piece)
        if p:
            out.add(p)
            m = _NAME_PHONE.match(p)
            if m:
                out.update((m.group(1), m.group(2)))
    return out


def match_status(path: str, text: str, cited: str, ocr: bool = False) -> MatchStatus:
    """How ``text`` relates to the cited cells' joined text (UNGROUNDED if it does not).

    ``ocr``: the cited cells were read by OCR, so OCR confusions (0/O, 1/l/I, separators)
    are folded before comparing (``ocr_normalised``).
    """
    if text.strip() == cited.strip():
        return MatchStatus.EXACT
    nt, nc = normalise_text(text), normalise_text(cited)
    if nt and nt == nc:
        return MatchStatus.NORMALISED
    if ocr and nt and ocr_key(text) == ocr_key(cited):
        return MatchStatus.OCR_NORMALISED
    leaf = path.rsplit(".", 1)[-1]
    if leaf in CONTAINED_FIELDS and nt and nt in nc:
        return MatchStatus.CONTAINED
    if nt and nt != nc and nt in cell_parts(cited):
        return MatchStatus.CONTAINED
    if leaf in ("level1", "level2"):
        level = 1 if leaf == "level1" else 2
        if nc and complete_clipped(cited, level) == nt:
            return MatchStatus.VOCABULARY
        if level == 1 and parent_of(cited) == nt:
            return MatchStatus.INFERRED
    return MatchStatus.UNGROUNDED


def ground_record(
    record: object,
    cells: Mapping[str, str],
    ocr: Mapping[str, float | None] | None = None,
) -> list[Finding]:
    """Check every value of ``record`` against ``cells`` (id → text); reject what fails.

    Mutates the record: a rejected value's text becomes None and its provenance says
    ``ungrounded``. Returns one error finding per rejected value. ``ocr`` maps the ids
    read by OCR to their confidence: values citing only such cells may match
    ``ocr_normalised``, and their confidence is set from the cells.
    """
    findings: list[Finding] = []
    for path, v in iter_values(record):  # type: ignore[arg-type]
        if v.text is None or v.text == "":
            continue
        reason = None
        prov = v.prov
        if prov is None or not prov.cell_ids:
            reason, reason_zh = "cites no cell", "未注明来源单元格"
            status = MatchStatus.UNGROUNDED
        elif any(cid not in cells for cid in prov.cell_ids):
            reason, reason_zh = "cites a cell that does not exist", "引用的单元格不存在"
            status = MatchStatus.UNGROUNDED
        else:
            cited = "".join(cells[cid] for cid in prov.cell_ids)
            scanned = ocr is not None and all(cid in ocr for cid in prov.cell_ids)
            status = match_status(path, v.text, cited, ocr=scanned)
            reason = f"not found in cited cell text {cited!r}"
            reason_zh = f"在所引单元格文字“{cited}”中找不到"
        if status is MatchStatus.UNGROUNDED:
            findings.append(
                Finding(
                    code=FindingCode.UNGROUNDED,
                    severity=Severity.ERROR,
                    message=f"{path}: value {v.text!r} rejected, {reason}",
                    message_zh=f"{path}：数值“{v.text}”{reason_zh}，已拒绝",
                    field=path,
                    cells=list(prov.cell_ids) if prov else [],
                    printed=v.text,
                )
            )
            _reject(v)
        elif prov is not None:
            prov.match = status
            if ocr is not None:
                prov.confidence = cited_confidence(prov.cell_ids, ocr)
                if status is MatchStatus.OCR_NORMALISED:
                    prov.ocr_read = cited
    return findings


def _reject(v: Value) -> None:
    p = v.prov or Provenance()
    v.text = None
    v.prov = p.model_copy(update={"match": MatchStatus.UNGROUNDED})


def audit_grounding(records: list[object], cells: Mapping[str, str]) -> list[str]:
    """Independent audit of a finished result: the values that would NOT survive grounding.

    Grounds a deep copy of each record against ``cells`` again and returns one line per
    value that is not in its cited cell. An empty list means nothing ungrounded reached the
    output. Used by the mode comparison (every mode must audit clean) and by tests.
    """
    problems: list[str] = []
    for i, rec in enumerate(records):
        for f in ground_record(copy.deepcopy(rec), cells):
            problems.append(f"record {i}: {f.message}")
    return problems
