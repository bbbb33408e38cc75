"""Hand-built records for the validator tests: one clean self-evaluation (no finding at all)
that each test breaks in the fewest printed values, and short views of the findings."""

from __future__ import annotations

from extractor.checks.rules import get_rule_set
from extractor.checks.validators import validate_record
from schemas.findings import Finding
from schemas.golden import from_golden


def fund_row(*values: str | None) -> dict:
    cols = ("initial_budget", "full_year_budget", "executed", "weight", "execution_rate", "score")
    return dict(zip(cols, values, strict=True))


def indicator_row(*values: str) -> dict:
    cols = ("level1", "level2", "name", "target", "actual", "weight", "score")
    return {**dict(zip(cols, values, strict=True)), "deviation_reason": None}


def base() -> dict:
    """A clean self-evaluation: 产出 50 / 效益 30 / 满意度 10 + budget 10, total 99.50, 优."""
    return {
        "form_type": "self_evaluation",
        "year": 2023,
        "project_name": "测试项目",
        "money_unit": "万元",
        "funds": {
            "total": fund_row("120.00", "100.00", "95.00", "10.00", "95.00", "9.50"),
            "current_year": fund_row("120.00", "100.00", "95.00", "-", "95.00", "-"),
            "carryover": fund_row("0.00", "0.00", "0.00", "-", "0.00", "-"),
            "other": fund_row("0.00", "0.00", "0.00", "-", "0.00", "-"),
        },
        "indicators": [
            indicator_row(
                "产出指标", "数量指标", "培训场次", "=2(场)", "2.00(场)", "25.00", "25.00"
            ),
            indicator_row("产出指标", "质量指标", "验收合格率", "≥95%", "96%", "25.00", "25.00"),
            indicator_row(
                "效益指标", "社会效益指标", "服务能力", "有效", "达成指标", "30.00", "30.00"
            ),
            indicator_row(
                "满意度指标",
                "服务对象满意度指标",
                "满意度",
                "≥90.00(%)",
                "95.00(%)",
                "10.00",
                "10.00",
            ),
        ],
        "total_weight": "100",
        "total_score": "99.50",
        "grade": "优",
        "source_anomalies": [],
    }


def set_budget(d: dict, full: str, executed: str, rate: str, score: str, total: str) -> dict:
    """Set the budget figures on the total and 当年财政拨款 rows, and the 总分."""
    for key in ("total", "current_year"):
        row = d["funds"][key]
        row.update(full_year_budget=full, executed=executed, execution_rate=rate)
    d["funds"]["total"]["score"] = score
    d["total_score"] = total
    return d


def check(d: dict, rules: str | None = None) -> list[Finding]:
    return validate_record(from_golden(d), get_rule_set(rules) if rules else None)


def kinds(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.code, f.severity.value) for f in findings}


def serious(findings: list[Finding]) -> set[tuple[str, str]]:
    return {k for k in kinds(findings) if k[1] != "info"}
