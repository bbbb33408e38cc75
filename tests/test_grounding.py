"""Grounding: no value may reach the output unless it is in the cell it cites (mutation tests)."""

from __future__ import annotations

import copy

import pytest

from extractor.checks.grounding import ground_record, match_status
from extractor.ingest.pdf import ingest
from extractor.layout.mapper import map_segment
from extractor.layout.segment import segment
from jixiao.settings import Settings
from schemas.records import iter_values
from schemas.values import MatchStatus
from tests.conftest import DIGITAL, golden_required


@pytest.fixture(scope="module")
def extracted():  # type: ignore[no-untyped-def]
    golden_required()
    out = []
    for pdf in DIGITAL:
        grid = ingest(pdf, Settings().ingest_options())
        cells = grid.cell_index()
        for seg in segment(grid).segments:
            rec, _ = map_segment(seg)
            out.append((rec, cells))
    return out


@pytest.mark.golden
def test_everything_extracted_is_grounded(extracted) -> None:  # type: ignore[no-untyped-def]
    n = 0
    for rec, cells in extracted:
        assert ground_record(rec, cells) == []
        for _, v in iter_values(rec):
            if v.text:
                n += 1
                assert v.prov is not None and v.prov.match is not MatchStatus.UNGROUNDED
    assert n > 1000


def _mutate(text: str) -> str:
    for a, b in (("0", "8"), ("1", "7"), ("5", "6"), ("指", "值"), ("标", "示")):
        if a in text:
            return text.replace(a, b, 1)
    return text + "X"


@pytest.mark.golden
def test_every_mutated_value_is_rejected(extracted) -> None:  # type: ignore[no-untyped-def]
    """Alter any one value after extraction: grounding must reject exactly that value."""
    checked = 0
    for rec, cells in extracted[:6]:
        paths = [p for p, v in iter_values(rec) if v.text]
        for path in paths:
            mutant = copy.deepcopy(rec)
            value = dict(iter_values(mutant))[path]
            original = value.text
            value.text = _mutate(original)  # type: ignore[arg-type]
            findings = ground_record(mutant, cells)
            assert [f.field for f in findings] == [path], (path, original, value.text)
            assert findings[0].code == "UNGROUNDED" and findings[0].severity == "error"
            assert dict(iter_values(mutant))[path].text is None, "a rejected value is never shown"
            checked += 1
    assert checked > 300


@pytest.mark.golden
def test_value_citing_another_cell_is_rejected(extracted) -> None:  # type: ignore[no-untyped-def]
    rec, cells = next(
        (copy.deepcopy(r), c) for r, c in extracted if r.form_type == "self_evaluation"
    )
    # The executed amount claims to come from the project-name cell.
    rec.funds.total.executed.prov.cell_ids = list(rec.project_name.prov.cell_ids)
    findings = ground_record(rec, cells)
    assert [f.field for f in findings] == ["funds.total.executed"]


@pytest.mark.golden
def test_missing_or_unknown_citation_is_rejected(extracted) -> None:  # type: ignore[no-untyped-def]
    rec, cells = copy.deepcopy(extracted[0][0]), extracted[0][1]
    rec.project_name.prov = None
    rec.department.prov.cell_ids = ["p99.t1.r1.c1"]
    fields = sorted(f.field for f in ground_record(rec, cells))
    assert fields == ["department", "project_name"]


@pytest.mark.parametrize(
    ("path", "text", "cited", "status"),
    [
        ("funds.total.executed", "39.46", "39.46", MatchStatus.EXACT),
        ("funds.total.executed", "39.46", "３９．４６", MatchStatus.NORMALISED),
        (
            "indicators.0.name",
            "保持系统可持续正常运行",
            "保持系统可持续 正常运行",
            MatchStatus.NORMALISED,
        ),
        ("year", "2023", "(2023年度)", MatchStatus.CONTAINED),
        ("project_name", "2023", "(2023年度)", MatchStatus.UNGROUNDED),
        ("indicators.3.level1", "满意度指标", "满意度指", MatchStatus.VOCABULARY),
        ("indicators.3.level2", "服务对象满意度指标", "服务对象满", MatchStatus.VOCABULARY),
        ("indicators.3.level1", "效益指标", "社会效益指标", MatchStatus.INFERRED),
        ("indicators.3.level1", "产出指标", "社会效益指标", MatchStatus.UNGROUNDED),
        ("indicators.3.name", "满意度指标", "满意度指", MatchStatus.UNGROUNDED),
        ("indicators.3.level2", "服务对象满意度指标", "服务", MatchStatus.UNGROUNDED),
    ],
)
def test_match_status(path: str, text: str, cited: str, status: MatchStatus) -> None:
    assert match_status(path, text, cited) is status
