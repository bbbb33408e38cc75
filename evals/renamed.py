"""Renamed-label dev set: the golden dev forms redrawn with every label renamed.

The golden answer keys are turned back into form descriptions, redrawn by the test PDF
generator (``tests/pdfgen.py``, passed in as ``draw``: evals do no drawing of their own),
with every printed field label replaced by a synonym that the label catalogue does NOT
contain (``RENAMES``: the list lives here, never in the catalogue). Layout mode cannot
read such a form by its patterns; hybrid mode must learn the labels from the model. The
answer key of each redrawn PDF is what the generator says it drew.

``check_unknown`` proves the premise: it fails when the catalogue knows a synonym (then the
list must change, not the catalogue).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from schemas.catalogue import CATALOGUE, lookup
from schemas.fields import FUND_COLUMNS, FUND_ROWS, TARGET_FUND_KEYS, TARGET_HEADER_EXTRA

# Printed label (as the generator draws it) -> a synonym real clerks might print instead.
RENAMES: dict[str, str] = {
    # header
    "项目名称": "立项事项",
    "主管部门": "归口管理处室",
    "实施单位": "承办机构",
    "项目负责人": "牵头责任人",
    "联系电话": "联络号码",
    "项目性质": "建设性质",
    "项目类别": "事项门类",
    "计划开始日期": "起始时间",
    "计划完成日期": "截止时间",
    # self-evaluation funds
    "年初预算数": "期初安排数",
    "全年预算数": "调整后安排数",
    "全年执行数": "累计支出数",
    "分值": "配分",
    "执行率": "支出进度",
    "得分": "评定分",
    "年度资金总额": "资金合计",
    "其中：当年财政拨款": "本年度拨付",
    "上年结转资金": "往年结余",
    "其他资金": "自筹等资金",
    # declaration funds
    "项目资金总额": "资金规模",
    "年度资金申请总额": "本年申请额",
    "其中：财政资金": "公共财政安排",
    # goals
    "预期目标": "计划达成",
    "实际完成情况": "落实结果",
    "项目总体目标": "长期愿景",
    "年度总体目标": "本年度愿景",
    # indicators and totals
    "一级指标": "指标大类",
    "二级指标": "指标中类",
    "三级指标": "指标明细",
    "年度指标值": "预定标准",
    "实际完成值": "达成值",
    "偏差原因分析及改进措施": "未达标说明",
    "总分": "合计分",
    "评分等级": "评定档次",
}


def known_synonyms(renames: dict[str, str] = RENAMES) -> list[str]:
    """The synonyms the catalogue matches in any category (must be none)."""
    return [s for s in renames.values() if any(lookup(s, cat) for cat in CATALOGUE)]


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def form_kwargs(rec: dict[str, Any]) -> dict[str, Any]:
    """The generator's form description (``SelfEval``/``TargetDecl`` keyword arguments) of a
    golden record: every printed value kept, nothing computed."""
    common = {
        "year": int(rec.get("year") or 2023),
        "project_name": _text(rec.get("project_name")),
        "department": _text(rec.get("department")),
        "implementing_unit": _text(rec.get("implementing_unit")),
        "money_unit": _text(rec.get("money_unit")) or "万元",
        "project_leader": rec.get("project_leader"),
        "contact_phone": rec.get("contact_phone"),
    }
    inds = rec.get("indicators") or []
    if rec.get("form_type") == "self_evaluation":
        funds = rec.get("funds") or {}
        return {
            **common,
            "funds": {
                r: tuple(_text((funds.get(r) or {}).get(c)) for c in FUND_COLUMNS)
                for r in FUND_ROWS
            },
            "goal_expected": _text(rec.get("goal_expected")),
            "goal_actual": _text(rec.get("goal_actual")),
            "indicators": inds,
            "total_weight": rec.get("total_weight"),
            "total_score": rec.get("total_score"),
            "grade": rec.get("grade"),
        }
    funds = rec.get("funds") or {}
    return {
        **common,
        **{k: _text(rec.get(k)) for k in TARGET_HEADER_EXTRA},
        "funds": {k: _text(funds.get(k)) for k in TARGET_FUND_KEYS if funds.get(k) is not None},
        "goal_overall": _text(rec.get("goal_overall")),
        "goal_annual": _text(rec.get("goal_annual")),
        "indicators": inds,
    }


# draw(records as form kwargs, pdf path, renames) -> the answer-key records it drew
Draw = Callable[[list[dict[str, Any]], Path, dict[str, str]], list[dict[str, Any]]]


def regenerate(
    goldens: Iterable[Path], out_dir: Path, draw: Draw, renames: dict[str, str] = RENAMES
) -> list[Path]:
    """Redraw each golden's records into ``out_dir/NAME.pdf`` with ``NAME.golden.json`` beside
    it; returns the PDFs."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    pdfs = []
    for g in goldens:
        data = json.loads(g.read_text(encoding="utf-8"))
        stem = g.name.removesuffix(".golden.json")
        pdf = out_dir / f"{stem}.pdf"
        records = draw([form_kwargs(r) for r in data.get("records", [])], pdf, renames)
        key = {"pdf": pdf.name, "records": records}
        (out_dir / f"{stem}.golden.json").write_text(
            json.dumps(key, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        pdfs.append(pdf)
    return pdfs
