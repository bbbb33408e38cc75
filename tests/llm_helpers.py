"""Shared helpers of the model tests (not a test module): the small kinds question with its
good answer, a fake model that knows some labels, and the standard labels it knows."""

from __future__ import annotations

from typing import Any

from extractor.llm.asker import Asker
from extractor.llm.questions import kinds_model
from tests.fake_llm import FakeModel, keys_of, options_of

KEY = {"pdf_sha256": "abc", "pages": [1], "schema_version": "1"}
TEXTS = ["项目名称", "信息化运维项目", "主管部门"]
MESSAGES = [{"role": "user", "content": "Texts:\n- t1 项目名称 | t2 信息化运维项目\n- t3 主管部门"}]
GOOD = {"t1": "project_name", "t2": "value", "t3": "department"}


def ask_kinds(asker: Asker) -> Any:
    """The test question (three texts, their kinds) asked through ``asker``."""
    return asker.ask(
        kinds_model(len(TEXTS)),
        MESSAGES,
        context={"texts": TEXTS},
        key_parts=KEY,
        prompt_version="t.v1",
    )


def label_model(mapping: dict[str, str]) -> FakeModel:
    """A model that knows the labels in ``mapping`` ({text: field}); all else is a value
    (a label_options question, which offers no "value", gets its first option)."""

    def reply(body: dict[str, Any]) -> dict[str, str]:
        keys = keys_of(body)
        if "Label:" in str(body["messages"][-1]["content"]):
            text = keys["t1"]
            return {"t1": mapping.get(text) or options_of(body)[0]}
        return {key: mapping.get(text, "value") for key, text in keys.items()}

    return FakeModel(reply)


STANDARD = {
    "项目名称": "project_name",
    "主管部门": "department",
    "实施单位": "implementing_unit",
    "年度资金总额": "total_funds",
    "其中：当年财政拨款": "current_year",
    "上年结转资金": "carryover",
    "其他资金": "other_funds",
    "年初预算数": "initial_budget",
    "全年预算数": "full_year_budget",
    "全年执行数": "executed",
    "执行率(%)": "execution_rate",
    "分数": "weight",
    "分值": "weight",
    "得分": "score",
    "预期目标": "goal_expected",
    "实际完成情况": "goal_actual",
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "indicator_name",
    "年度指标值": "target_value",
    "实际完成值": "actual_value",
    "偏差原因分析及改进措施": "deviation_reason",
    "总分": "total_row",
    "评分等级": "grade",
}
