"""Shared helpers of the wild-structure tests (not a test module): the rows of a small
declaration form and of a small self-evaluation form, drawn by ``tests/pdfgen.grid_table``."""

from __future__ import annotations

from typing import Any

from tests.pdfgen import grid_row

R = grid_row
IND_HEAD = R("一级指标", "二级指标", "三级指标", "指标值")


def decl_rows(name: str = "甲项目", dept_label: str = "主管部门") -> list[Any]:
    return [
        R(("项目名称", 1), (name, 3)),
        R(dept_label, "甲局", "实施单位", "甲中心"),
        R(("项目资金（万元）", 1), "年度资金总额", ("100", 2)),
        R(("绩效目标", 1), ("完成全年工作任务", 3)),
        IND_HEAD,
        R("产出指标", "数量指标", "培训人次", "≥200人次"),
        R("满意度指标", "服务对象满意度指标", "满意度", "≥90%"),
    ]


def self_rows(name: str = "乙项目", *, total: str = "100", score: str = "95") -> list[Any]:
    return [
        R(("项目名称", 1), (name, 3)),
        R("主管部门", "乙局", "实施单位", "乙中心"),
        R(("预算执行情况（万元）", 2), "全年预算数", "全年执行数", "分值", "执行率", "得分"),
        R(("年度资金总额", 2), "100", "100", "10", "100%", "10"),
        R("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"),
        R("产出指标", "数量指标", "培训人次", "≥200人次", "230人次", "50", "50"),
        R("效益指标", "社会效益指标", "服务质量", "提升", "部分提升", "40", "35"),
        R(("总分", 5), total, score),
    ]
