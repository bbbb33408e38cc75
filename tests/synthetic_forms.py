"""Consistent synthetic forms for the rule-less/report tests (not a test module).

Self-evaluations whose numbers satisfy R1–R8 of RULES.md (weights add up to 90 + 10,
总分 = Σ得分 + budget score), so any error finding on them means the extraction changed a
value; indicator groups given as (一级指标, 二级指标, count) so merged labels span chosen
row counts; and ``draw``: forms rendered with ``tests/pdfgen``, with what was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tests.pdfgen import (
    Indicator,
    Report,
    SelfEval,
    Style,
    TargetDecl,
    expected,
    form_table,
    render,
)

Form = SelfEval | TargetDecl
Forms = list[tuple[Form, Style]]

# (一级指标, 二级指标, indicators in the group): merged labels spanning 1 to 7 rows.
SPANS = [
    ("产出指标", "数量指标", 7),
    ("产出指标", "质量指标", 1),
    ("产出指标", "时效指标", 2),
    ("效益指标", "社会效益指标", 3),
    ("满意度指标", "服务对象满意度指标", 1),
]
SMALL = [
    ("产出指标", "数量指标", 2),
    ("产出指标", "成本指标", 1),
    ("效益指标", "可持续影响指标", 4),
    ("满意度指标", "服务对象满意度指标", 2),
]
TOPICS = ["培训人次", "重点企业走访调研及政策宣讲覆盖户数", "系统验收合格率",
          "资金支付及时率", "档案数字化及电子归档覆盖率", "活动举办场次", "投诉办结率",
          "会员服务覆盖率"]  # fmt: skip
# (年度指标值, 实际完成值): some fit their column, some wrap to two lines.
TARGETS = [("≥95%", "96%"), ("=2(场)", "2(场)"), ("不低于上年水平", "高于上年水平"),
           ("按季度完成", "已完成"), ("≤40万元", "36万元"), ("12月底前", "12月15日"),
           ("明显提升", "明显提升"), ("100%", "100%")]  # fmt: skip
REASONS = ["进一步加强项目管理，提升服务质量", "受疫情影响部分活动延期举办，下一年度将提前谋划，合理安排活动时间"]  # fmt: skip
GOAL = "围绕年度重点任务，完成信息化系统运维、政策宣讲和企业走访等工作，提升服务质量和效率。"


def indicators(
    spans: list[tuple[str, str, int]], seed: int, *, decl: bool = False
) -> list[Indicator]:
    """Indicators in ``spans`` groups whose weights add up to 90 and lose a point twice."""
    n = sum(k for _, _, k in spans)
    weights = [90 // n + (1 if i < 90 % n else 0) for i in range(n)]
    out: list[Indicator] = []
    for l1, l2, k in spans:
        for j in range(k):
            i = len(out)
            target, actual = TARGETS[(i + seed) % len(TARGETS)]
            short = i in (1, 4)
            out.append(
                Indicator(
                    l1,
                    l2,
                    name=f"指标{j + 1}：{TOPICS[(i * 3 + seed) % len(TOPICS)]}",
                    target=target,
                    actual=None if decl else actual,
                    weight=None if decl else str(weights[i]),
                    score=None if decl else str(weights[i] - short),
                    deviation_reason=REASONS[i % 2] if short and not decl else None,
                )
            )
    return out


def self_eval(
    seed: int, spans: list[tuple[str, str, int]] | list[Indicator], **kw: Any
) -> SelfEval:
    """A consistent form (``spans``, or the indicators themselves, weights adding up to
    90): 执行率 90.00 scores 9.00 of 10; 总分 = Σ得分 + 9."""
    given = [i for i in spans if isinstance(i, Indicator)]
    groups = [g for g in spans if isinstance(g, tuple)]
    inds = given or indicators(groups, seed)
    total = sum(int(i.score or 0) for i in inds) + 9
    base: dict[str, Any] = dict(
        year=2023,
        project_name=f"企业服务综合保障项目{seed}",
        department="上海市工商业联合会",
        implementing_unit="上海市工商业联合会机关",
        funds={
            "total": ("40.00", "40.00", "36.00", "10", "90.00", "9.00"),
            "current_year": ("40.00", "40.00", "36.00", "-", "90.00", "-"),
            "carryover": ("0.00", "0.00", "0.00", "-", "-", "-"),
            "other": ("0.00", "0.00", "0.00", "-", "-", "-"),
        },
        goal_expected=GOAL,
        goal_actual="已完成年度各项任务，系统运行稳定，企业满意度较高。",
        indicators=inds,
        total_weight="100",
        total_score=str(total),
        grade="优" if total >= 90 else "良",
    )
    base.update(kw)
    return SelfEval(**base)


def target_decl(seed: int, spans: list[tuple[str, str, int]]) -> TargetDecl:
    money = "24,300.00"
    return TargetDecl(
        year=2024,
        project_name=f"残疾人就业保障金{seed}",
        department="上海市闵行区工商业联合会(汇总)",
        implementing_unit="上海市闵行区工商业联合会",
        project_nature="经常性项目",
        project_category="特定目标类",
        plan_start="2024-01-01",
        plan_end="2024-12-31",
        funds={
            "total": money,
            "annual_request": money,
            "fiscal": money,
            "current_year": money,
            "carryover": "0.00",
            "other": "0.00",
        },
        goal_overall="根据在职职工工资总额计提残疾人就业保障金，及时结转财政，统一支付。",
        goal_annual="残疾人就业保障金及时足额支付。",
        indicators=indicators(spans, seed, decl=True),
    )


I = Indicator  # noqa: E741
ODD = [  # every merged label spans an odd number of rows: it prints level with a row
    ("产出指标", "数量指标", 5),
    ("效益指标", "社会效益指标", 3),
    ("满意度指标", "服务对象满意度指标", 1),
]
PAIR = [  # 产出指标 and 数量指标 merged over two rows: printed on the boundary between them
    I("产出指标", "数量指标", "指标1：培训人次", "≥95%", "96%", "30", "30"),
    I("产出指标", "数量指标", "指标2：投诉办结率", "≥95%", "96%", "30", "30"),
    I("满意度指标", "服务对象满意度指标", "指标1：参训人员满意度", "≥90%", "93%", "30", "30"),
]
PAIR_REASON = [PAIR[0], replace(PAIR[1], score="29", deviation_reason=REASONS[0]), PAIR[2]]
TRIPLE_TALL = [  # three rows merged, the middle one four lines tall
    PAIR[0],
    replace(PAIR[1], weight="20", score="19", deviation_reason=REASONS[1]),
    I("产出指标", "数量指标", "指标3：走访企业户数", "≥100户", "120户", "10", "10"),
    PAIR[2],
]
DECL_3 = [("产出指标", "数量指标", 1), ("产出指标", "质量指标", 1), ODD[2]]


@dataclass
class Drawn:
    pdf: Path
    want: list[dict[str, Any]]
    starts: list[tuple[int, float]]  # each form's first row: page, top
    report: Report | None


def draw(forms: Forms, path: Path, report: Report | None = None) -> Drawn:
    tables = [form_table(f, s) for f, s in forms]
    render(tables, path, report)
    want = []
    for (f, s), t in zip(forms, tables, strict=True):
        want.append({**expected(f, s), "pages": t.pages})
    return Drawn(path, want, [t.start for t in tables], report)
