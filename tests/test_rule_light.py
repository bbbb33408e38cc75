"""Forms printed without a full ruling grid, and forms inside reports (issue 9).

Synthetic PDFs drawn by ``tests/pdfgen``: consistent forms (``tests/synthetic_forms``)
printed with no rules at all (whitespace alone separates the columns) and rule-light
(full-width rules over the first row, under the indicator headings, above 总分 and under
the last row), varying column order, the left 绩效指标 column, merged labels spanning 1 to
7 rows, wrapped names/targets/reasons and page breaks inside the indicator block with and
without a repeated header; and reports (cover page, narrative pages whose numbers are
aggregates, a running header and a "第 N 页 共 M 页" footer on every page, 注 notes,
narrative just above a form so that it starts mid-page, a form cut by a page break across
a footer) ruled, rule-light and rule-less. Each PDF goes through ``extract_document`` and
must give exactly what was drawn, with no error finding (the forms satisfy R1–R8) and no
ungrounded or unmapped value; the report's header, footer, page numbers, narrative and
notes must be in no table cell and no record value.

Numbers fit their columns (the generator's font prints ASCII one em wide, which would
wrap "15.00" in a 分值 column no real form wraps); texts wrap. ``XFAIL`` lists the cases
the extractor cannot read yet, each with its symptom (strict: a fix turns them XPASS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from tests.pdfgen import FOOTER_Y, HEADER_Y, Report, SelfEval, Style, narrative_lines, summary
from tests.synthetic_forms import (
    DECL_3,
    ODD,
    PAIR,
    PAIR_REASON,
    SMALL,
    SPANS,
    TRIPLE_TALL,
    Drawn,
    Forms,
    draw,
    self_eval,
    target_decl,
)
from tests.synthetic_helpers import Extracted, extract, record_problems

PERMUTED = Style(
    extra_left=22.0,
    leader_row=True,
    ind_order=("name", "actual", "target", "score", "weight", "deviation_reason"),
    ind_headers={"target": "年度\n指标值", "actual": "实际\n完成值"},
    fund_order=("initial_budget", "full_year_budget", "executed", "execution_rate", "weight",
                "score"),
)  # fmt: skip

FORM_CASES: dict[str, Callable[[], Forms]] = {
    "spans_1_to_7_wrapped": lambda: [(self_eval(1, SPANS), Style())],
    "spans_1_to_7_label_above_tall_row": lambda: [(self_eval(3, SPANS), Style())],
    "spans_1_to_7_extra_left": lambda: [(self_eval(2, SPANS), Style(extra_left=22.0))],
    "label_3_rows_tall_middle_row": lambda: [(self_eval(3, TRIPLE_TALL), Style())],
    "label_2_rows_one_line": lambda: [(self_eval(4, PAIR), Style())],
    "label_2_rows_wrapped_reason": lambda: [(self_eval(5, PAIR_REASON), Style())],
    "permuted_columns_leader_break": lambda: [
        (
            self_eval(6, ODD, project_leader="陈宇昕", contact_phone="69542826"),
            replace(PERMUTED, break_before=(3,)),
        )
    ],
    "break_repeated_header": lambda: [
        (self_eval(7, ODD), Style(break_before=(3,), repeat_header=True))
    ],
    "break_no_repeated_header": lambda: [(self_eval(8, ODD), Style(break_before=(3,)))],
    "break_label_on_continuation": lambda: [
        (self_eval(9, ODD), Style(break_before=(2,), split_label="last"))
    ],
    "break_after_4_of_5_rows": lambda: [(self_eval(43, ODD), Style(break_before=(4,)))],
    "target_decl_break_after_4_of_5_rows": lambda: [
        (target_decl(43, ODD), Style(break_before=(4,)))
    ],
    "break_in_7_span_label_in_4_rows": lambda: [
        (self_eval(10, SPANS), Style(break_before=(4,), repeat_header=True))
    ],
    "target_decl": lambda: [(target_decl(11, SPANS), Style())],
    "target_decl_break_repeated_header": lambda: [
        (target_decl(12, ODD), Style(break_before=(3,), repeat_header=True))
    ],
    "target_decl_left_column": lambda: [(target_decl(13, DECL_3), Style(extra_left=72.0))],
    "two_forms_one_page": lambda: [
        (self_eval(14, ODD[1:]), Style()),
        (target_decl(15, ODD[:2]), Style(new_page=False)),
    ],
}
_CONTINUATION = (
    "page break inside the indicator block, no repeated header, the merged labels printed on "
    "the continuation page (the rows left on page 1 have blank 一级/二级 cells): those rows' "
    "level2 reads the indicator name (\"indicators.0.level2: got '指标1：…', drew '数量指标'\")"
)
_NONE_LIGHT = ("none", "light")
RULES = ("all", "light", "none")
# Cases the extractor cannot read yet: "test:case-rules" → the exact symptom.
XFAIL: dict[str, str] = {
    **{f"form:break_label_on_continuation-{r}": _CONTINUATION for r in _NONE_LIGHT},
}  # fmt: skip


def _params(test: str, cases: list[str], rules: tuple[str, ...]) -> list[Any]:
    """(case, rules) parameters, each marked strict xfail where XFAIL names it."""
    out = []
    for cid in cases:
        for r in rules:
            pid = f"{cid}-{r}"
            reason = XFAIL.get(f"{test}:{pid}")
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(cid, r, id=pid, marks=marks))
    return out


def _with_rules(forms: Forms, rules: str) -> Forms:
    return [(f, replace(s, rules=rules)) for f, s in forms]


def assert_clean(got: Extracted, want: list[dict[str, Any]]) -> None:
    """Exactly the records drawn, no error finding, every value grounded and mapped."""
    problems = record_problems(got.records, want)
    assert not problems, "\n".join(problems[:20])
    bad = [
        f"r{i} {f.code}: {f.message}"
        for i, fs in enumerate(got.findings)
        for f in fs
        if f.severity == "error" or f.code in ("UNGROUNDED", "MAPPING")
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("cid", "rules"), _params("form", list(FORM_CASES), RULES))
def test_form_extracts_exactly(cid: str, rules: str, tmp_path: Path) -> None:
    """Each form rule-less and rule-light, and fully ruled as the control (the form itself
    reads right when its grid is drawn)."""
    drawn = draw(_with_rules(FORM_CASES[cid](), rules), tmp_path / "form.pdf")
    assert_clean(extract(drawn.pdf), drawn.want)


# ---------------------------------------------------------------------------------------
# Forms inside a report

NOTE = "注：本项目年中预算调减4.00万元，执行率按调整后的全年预算数计算。"
LEAD = (
    "附件2",
    "以下自评表所列项目于年中追加预算1.50万元，相关支出已纳入全年预算数，项目实施过程中"
    "共开展督导检查6次，发现并整改问题3个。",
    "项目单位对照年初设定的绩效目标逐项收集佐证材料，财务部门对自评结果进行了汇总审核，"
    "对偏差较大的指标要求补充说明原因并提出改进措施，自评结果随部门决算向社会公开。",
)
PAGE_NO = re.compile(r"第\s*\d+\s*页|共\s*\d+\s*页|(^|\D)-\s*\d+\s*-($|\D)")


@dataclass
class Scenario:
    forms: Callable[[str], Forms]  # the forms of the report, given the rules
    mid_page: int  # the form that starts mid-page after narrative
    cut: int  # a form cut by a page break inside its indicator block
    footer: str = "第 {n} 页 共 {m} 页"


SCENARIOS = {
    # Cover, narrative pages; form 0 with a 注 note; form 1 after narrative on a new page;
    # form 2 cut by a forced break after 3 rows of a 7-row group (label on page 1).
    "report": Scenario(
        lambda rules: [
            (self_eval(31, ODD), Style(rules=rules, note=NOTE)),
            (self_eval(32, SPANS[:3]), Style(rules=rules, lead=LEAD)),
            (self_eval(33, SPANS), Style(rules=rules, break_before=(3,))),
        ],
        mid_page=1,
        cut=2,
    ),
    # Forms flowing one after the other: form 1 after form 0's note and a paragraph on the
    # same page, running onto the next; form 2 after a paragraph below form 1, cut by the
    # page end.
    "flowing": Scenario(
        lambda rules: [
            (self_eval(41, ODD[1:]), Style(rules=rules, note=NOTE)),
            (self_eval(42, ODD), Style(rules=rules, lead=LEAD[1:2], new_page=False)),
            (target_decl(43, ODD), Style(rules=rules, lead=LEAD[2:], new_page=False)),
        ],
        mid_page=1,
        cut=2,
        footer="- {n} -",
    ),
}


def report(rules: str, forms: Forms, footer: str) -> Report:
    selfs = [f for f, _ in forms if isinstance(f, SelfEval)]
    return Report(
        header_left=f"{forms[0][0].department}2023年度部门决算",
        header_right="附件：项目支出绩效自评结果",
        cover=(("上海市工商业联合会", 22.0), ("2023年度部门决算", 18.0), ("2024年9月", 12.0)),
        narrative=summary(selfs),
        header_rule=rules == "light",
        footer=footer,
    )


Got = Callable[[str, str], tuple[Drawn, Extracted]]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Got:
    """Each report scenario in each rules variant, drawn and extracted once."""
    cache: dict[tuple[str, str], tuple[Drawn, Extracted]] = {}

    def get(name: str, rules: str) -> tuple[Drawn, Extracted]:
        if (name, rules) not in cache:
            sc = SCENARIOS[name]
            forms = sc.forms(rules)
            pdf = tmp_path_factory.mktemp(f"{name}-{rules}") / "report.pdf"
            drawn = draw(forms, pdf, report(rules, forms, sc.footer))
            cache[name, rules] = (drawn, extract(drawn.pdf))
        return cache[name, rules]

    return get


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _strings(obj: Any) -> set[str]:
    """Every string in a drawn record (its values)."""
    if isinstance(obj, dict):
        return {s for v in obj.values() for s in _strings(v)}
    if isinstance(obj, list):
        return {s for v in obj for s in _strings(v)}
    return {_squash(obj)} if isinstance(obj, str) else set()


def _not_printed_in(texts: list[str], lines: list[str], what: str, drawn: Drawn) -> list[str]:
    """Each text (a cell or a value) that holds one of ``lines`` (6+ characters, not part
    of a value drawn in a form) or, 6+ characters long and not a drawn value, is part of
    them."""
    joined = "".join(_squash(ln) for ln in lines)
    legit = _strings(drawn.want)
    keys = [_squash(ln) for ln in lines if len(_squash(ln)) >= 6]
    keys = [k for k in keys if not any(k in v for v in legit)]
    out = []
    for t in texts:
        s = _squash(t)
        if any(k in s for k in keys) or (len(s) >= 6 and s in joined and s not in legit):
            out.append(f"{what}: {t!r}")
    return out


def _found_whole(got: Extracted, want: dict[str, Any]) -> None:
    found = [r for r in got.records if r.get("project_name") == want["project_name"]]
    assert len(found) == 1, f"{len(found)} records of {want['project_name']}"
    problems = record_problems(found, [want])
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(("cid", "rules"), _params("exact", list(SCENARIOS), RULES))
def test_report_forms_extract_exactly(cid: str, rules: str, reports: Got) -> None:
    drawn, got = reports(cid, rules)
    assert_clean(got, drawn.want)


@pytest.mark.parametrize(("cid", "rules"), _params("furniture", list(SCENARIOS), RULES))
def test_running_header_footer_in_no_cell_or_value(cid: str, rules: str, reports: Got) -> None:
    drawn, got = reports(cid, rules)
    assert drawn.report is not None
    heads = [drawn.report.header_left, drawn.report.header_right]
    texts = list(got.cells.values()) + got.values
    bad = _not_printed_in(texts, heads, "running header", drawn)
    bad += [f"page number: {t!r}" for t in texts if PAGE_NO.search(t)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("cid", "rules"), _params("narrative", list(SCENARIOS), RULES))
def test_narrative_in_no_cell_or_value(cid: str, rules: str, reports: Got) -> None:
    drawn, got = reports(cid, rules)
    assert drawn.report is not None
    lines = narrative_lines(drawn.report.narrative) + narrative_lines(LEAD)
    lines += [text for text, _ in drawn.report.cover]
    bad = _not_printed_in(list(got.cells.values()), lines, "cell", drawn)
    bad += _not_printed_in(got.values, lines, "value", drawn)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("cid", "rules"), _params("note", list(SCENARIOS), RULES))
def test_note_is_no_table_row(cid: str, rules: str, reports: Got) -> None:
    _, got = reports(cid, rules)
    texts = list(got.cells.values()) + got.values
    bad = [t for t in texts if "注：" in t or _squash(NOTE)[2:12] in _squash(t)]
    assert not bad, bad


@pytest.mark.parametrize(("cid", "rules"), _params("mid", list(SCENARIOS), RULES))
def test_table_mid_page_after_narrative_found_whole(cid: str, rules: str, reports: Got) -> None:
    drawn, got = reports(cid, rules)
    k = SCENARIOS[cid].mid_page
    page, top = drawn.starts[k]
    assert top > 200 and drawn.want[k]["pages"][0] == page  # the generator's side
    _found_whole(got, drawn.want[k])


@pytest.mark.parametrize(("cid", "rules"), _params("cut", list(SCENARIOS), RULES))
def test_break_across_footer_stitched(cid: str, rules: str, reports: Got) -> None:
    drawn, got = reports(cid, rules)
    want = drawn.want[SCENARIOS[cid].cut]
    assert len(want["pages"]) == 2  # the generator's side: the indicator block is cut
    _found_whole(got, want)


# ---------------------------------------------------------------------------------------
# The generator draws what it describes


def _segments(page: pymupdf.Page) -> list[tuple[float, float, float, float]]:
    """The page's straight lines, each once (left/top end first)."""
    segs = set()
    for d in page.get_drawings():
        for it in d["items"]:
            if it[0] == "l":
                (ax, ay), (bx, by) = sorted([(it[1].x, it[1].y), (it[2].x, it[2].y)])
                segs.add((round(ax, 1), round(ay, 1), round(bx, 1), round(by, 1)))
    return sorted(segs)


def test_generator_rules(tmp_path: Path) -> None:
    """none: no drawing at all; light: four full-width horizontal rules on a one-page form
    (over the first row, under the indicator headings, above 总分, under the last row)."""
    form = self_eval(30, SMALL)
    segs = {}
    for rules in RULES:
        drawn = draw([(form, Style(rules=rules))], tmp_path / f"{rules}.pdf")
        assert drawn.want[0]["pages"] == [1]
        segs[rules] = _segments(pymupdf.open(drawn.pdf)[0])
    assert segs["none"] == []
    light = segs["light"]
    assert len(light) == 4 and all(y0 == y1 and x1 - x0 > 500 for x0, y0, x1, y1 in light)
    assert any(x0 == x1 for x0, _, x1, _ in segs["all"])
    words = pymupdf.open(tmp_path / "light.pdf")[0].get_text("words")
    ys = sorted(y0 for _, y0, _, _ in light)
    head = next(w for w in words if w[4] == "三级指标")
    total = next(w for w in words if w[4] == "总分")
    assert ys[0] < head[1] and ys[1] > head[3]  # the rule under the indicator headings
    assert ys[1] < total[1] and ys[2] < total[1] < ys[3]  # above 总分, then the bottom


def test_generator_labels_centred_in_span(tmp_path: Path) -> None:
    """A merged label sits at the middle of its span (as Word/WPS print it)."""
    drawn = draw([(self_eval(31, SPANS), Style())], tmp_path / "all.pdf")
    page = pymupdf.open(drawn.pdf)[0]
    label = next(w for w in page.get_text("words") if w[4] == "数量指标")
    cx, cy = (label[0] + label[2]) / 2, (label[1] + label[3]) / 2
    hs = [y0 for x0, y0, x1, y1 in _segments(page) if y0 == y1 and x0 <= cx <= x1]
    above, below = max(y for y in hs if y < cy), min(y for y in hs if y > cy)
    assert abs((above + below) / 2 - cy) < 1.5
    rows = [w for w in page.get_text("words") if w[4].startswith("指标") and w[0] > label[2]]
    assert sum(above < w[1] < below for w in rows) == 7  # it spans seven indicator rows


def test_generator_report_pages(reports: Got) -> None:
    """Cover without furniture; every later page has the header line at the top and its
    own 第 N 页 共 M 页 footer at the bottom; narrative on page 2; the note under form 1."""
    drawn, _ = reports("report", "none")
    assert drawn.report is not None
    doc = pymupdf.open(drawn.pdf)
    m = doc.page_count
    assert m >= 5 and "部门决算" in doc[0].get_text() and "第" not in doc[0].get_text()
    for i in range(1, m):
        words = doc[i].get_text("words")
        top = "".join(w[4] for w in words if w[3] <= HEADER_Y + 3)
        bottom = "".join(w[4] for w in words if w[1] >= FOOTER_Y - 12)
        assert top == _squash(drawn.report.header_left + drawn.report.header_right)
        assert bottom == f"第{i + 1}页共{m}页"
    assert _squash(narrative_lines(drawn.report.narrative)[1]) in _squash(doc[1].get_text())
    note_page = doc[drawn.want[0]["pages"][-1] - 1]
    assert note_page.search_for(NOTE[:12])
