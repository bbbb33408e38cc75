"""A stored record as a form: every field with its value, provenance, findings and colour.

Works on the golden-shape record stored in ``records.data`` (``schemas.golden.to_golden``
with ``findings`` and ``provenance``). No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.catalogue import SECTIONS_ZH as SECTION_ZH
from schemas.paths import get_value, label_of, section_of, value_paths
from schemas.values import ValueSource

LOW_CONFIDENCE = 0.8
# Match statuses that mean "read, but not verbatim from one cell": a clerk should look.
SOFT_MATCHES = {"contained", "vocabulary", "inferred"}

COLOURS = {
    "error": "#d62728",
    "warning": "#ff7f0e",
    "check": "#bcbd22",
    "corrected": "#1f77b4",
    "empty": "#7f7f7f",
    "ok": "#2ca02c",
}
STATUS_ZH = {
    "error": "错误",
    "warning": "警告",
    "check": "请核对",
    "corrected": "已更正",
    "empty": "空",
    "ok": "正常",
}

# The record's sections in printed order, with their Chinese names (the label catalogue's).
SECTIONS = tuple(SECTION_ZH)


@dataclass
class FindingNote:
    code: str
    severity: str
    message: str
    message_zh: str = ""
    printed: str | None = None
    expected: str | None = None

    field: str | None = None

    @property
    def recomputed(self) -> str:
        """ "印刷值 X · 复算值 Y" where the finding has both."""
        if self.printed is not None and self.expected is not None:
            return f"印刷值 {self.printed} · 复算值 {self.expected}"
        return ""

    def text_zh(self, corrected: bool = False) -> str:
        """The finding's Chinese text; on a field the clerk corrected, the value it names is
        the clerk's (已更正), not the printed one."""
        text = self.message_zh or self.code
        if corrected:
            text = text.replace("印为", "已更正为")
        return text


@dataclass
class FieldRow:
    path: str
    section: str
    label: str
    value: str | None
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    cell_ids: list[str] = field(default_factory=list)
    match: str | None = None
    source: str | None = None
    confidence: float | None = None
    findings: list[FindingNote] = field(default_factory=list)

    @property
    def status(self) -> str:
        """corrected > error > warning > check (soft match, low OCR confidence) > empty > ok.

        A field the clerk corrected is 已更正 whatever the validators now say of it (their
        findings stay listed, naming the clerk's value)."""
        if self.source == ValueSource.REVIEWER:
            return "corrected"
        sev = {f.severity for f in self.findings}
        if "error" in sev:
            return "error"
        if "warning" in sev:
            return "warning"
        if self.match in SOFT_MATCHES or (
            self.confidence is not None and self.confidence < LOW_CONFIDENCE
        ):
            return "check"
        if self.value in (None, ""):
            return "empty"
        return "ok"

    @property
    def colour(self) -> str:
        return COLOURS[self.status]


def _notes(findings: list[dict[str, Any]]) -> list[FindingNote]:
    return [
        FindingNote(
            code=str(f.get("code", "?")),
            severity=str(f.get("severity", "warning")),
            message=str(f.get("message", "")),
            message_zh=str(f.get("message_zh", "")),
            printed=f.get("printed"),
            expected=f.get("expected"),
            field=f.get("field"),
        )
        for f in findings
    ]


def field_rows(data: dict[str, Any]) -> list[FieldRow]:
    """The record as a form: one row per field, findings attached to the field they name."""
    prov = data.get("provenance") or {}
    by_field: dict[str, list[dict[str, Any]]] = {}
    for f in data.get("findings") or []:
        if f.get("field"):
            by_field.setdefault(str(f["field"]), []).append(f)
    rows = []
    for path in value_paths(data):
        p = prov.get(path) or {}
        value = get_value(data, path)
        bbox = p.get("bbox")
        rows.append(
            FieldRow(
                path=path,
                section=section_of(path),
                label=label_of(path),
                value=None if value is None else str(value),
                page=p.get("page"),
                bbox=tuple(bbox) if bbox else None,
                cell_ids=list(p.get("cell_ids") or []),
                match=p.get("match"),
                source=p.get("source"),
                confidence=p.get("confidence"),
                findings=_notes(by_field.get(path, [])),
            )
        )
    return rows


def record_findings(data: dict[str, Any]) -> list[FindingNote]:
    """Findings that name no field of the record (or a field it does not have)."""
    paths = set(value_paths(data))
    return _notes([f for f in data.get("findings") or [] if f.get("field") not in paths])


def boxes_for(
    data: dict[str, Any], path: str
) -> dict[int, list[tuple[float, float, float, float]]]:
    """page → boxes of the field ``path``, or of every field under it (``indicators.3``)."""
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    for key, p in (data.get("provenance") or {}).items():
        if (key == path or key.startswith(path + ".")) and p.get("bbox") and p.get("page"):
            out.setdefault(int(p["page"]), []).append(tuple(p["bbox"]))
    return out


def finding_counts(findings: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
    """(errors, warnings, sorted distinct codes) of a findings list."""
    errors = sum(1 for f in findings if f.get("severity") == "error")
    warnings = sum(1 for f in findings if f.get("severity") == "warning")
    codes = sorted({str(f.get("code")) for f in findings if f.get("code")})
    return errors, warnings, codes


__all__ = [
    "SECTIONS",
    "SECTION_ZH",
    "FieldRow",
    "FindingNote",
    "boxes_for",
    "field_rows",
    "finding_counts",
    "label_of",
    "record_findings",
    "section_of",
]
