"""The one label catalogue (``schemas.catalogue``): labels declared on the schema fields,
the label normalisation and the three ways a label matches (label, synonym, fuzzy)."""

from __future__ import annotations

import pytest

from extractor.checks.messages import COL_ZH, ROW_ZH, TD_ZH
from schemas.catalogue import (
    CATALOGUE,
    DECL_FUND_ZH,
    FUND_COLUMN_ZH,
    FUND_ROW_ZH,
    INDICATOR_ZH,
    RECORD_ZH,
    is_known,
    label_key,
    lookup,
    printed_labels,
    qualifier,
)
from schemas.records import SelfEvalIndicator, SelfEvaluation, TargetDeclaration, iter_values


@pytest.mark.parametrize(
    ("printed", "key"),
    [
        ("预算数（A）", "预算数"),
        ("执行率（B/A）", "执行率"),
        ("年度资金总额（万元）", "年度资金总额"),
        ("得分（20 分*执行率）", "得分"),
        ("产出指标(50分)", "产出指标"),
        ("产出指标50分", "产出指标"),
        ("其中：当年财政拨款", "当年财政拨款"),
        ("（一）财政拨款小计", "财政拨款"),
        ("1、一般公共预算", "一般公共预算"),
        ("资金总额：", "资金总额"),
        ("主管部门[015001]", "主管部门"),
        ("单位名称（盖章）", "单位名称"),
        ("指标值（包含数字及文字描述）", "指标值"),
        ("全年预算数/万元", "全年预算数"),
        ("项 目 名 称", "项目名称"),
        ("ＡＢＣ：", "ABC"),
    ],
)
def test_label_key_normalises_printed_labels(printed: str, key: str) -> None:
    assert label_key(printed) == key


@pytest.mark.parametrize(
    ("printed", "category", "field", "how"),
    [
        ("项目名称", "key", "project_name", "label"),
        ("项目支出名称", "key", "project_name", "synonym"),
        ("专项资金名称：", "key", "project_name", "synonym"),
        ("省级主管部门", "key", "department", "synonym"),
        ("主管预算部门", "key", "department", "synonym"),
        ("预算单位", "key", "department", "synonym"),
        ("项目执行单位", "key", "implementing_unit", "label"),
        ("主管布门", "key", "department", "fuzzy"),
        ("预算数（A）", "fund_columns", "full_year_budget", "synonym"),
        ("调整后预算数", "fund_columns", "full_year_budget", "synonym"),
        ("执行数（B）", "fund_columns", "executed", "synonym"),
        ("权重", "indicator_columns", "weight", "synonym"),
        ("年初目标值（A）", "indicator_columns", "target", "synonym"),
        ("指标值（包含数字及文字描述）", "indicator_columns", "target", "label"),
        ("年度数值", "indicator_columns", "target", "synonym"),
        ("指标内容", "indicator_columns", "name", "synonym"),
        ("全年实际值", "indicator_columns", "actual", "synonym"),
        ("总分", "total_row", "total_row", "label"),
        ("二级项目名称", "key", "project_name", "synonym"),
        ("预算执行单位", "key", "implementing_unit", "label"),
        ("自评得分", "indicator_columns", "score", "synonym"),
        ("实际完成情况", "indicator_columns", "actual", "synonym"),
        ("得分合计", "total_row", "total_row", "synonym"),
        ("本年财政拨款", "fund_rows", "current_year", "synonym"),
        ("当年资金总额：", "decl_funds", "annual_request", "synonym"),
    ],
)
def test_lookup_says_how_a_label_matched(printed: str, category: str, field: str, how: str) -> None:
    assert lookup(printed, category) == (field, how)


def test_fuzzy_needs_length_and_similarity() -> None:
    assert lookup("部门", "key") is None  # too short to be matched by similarity
    assert lookup("区卫生健康局", "key") is None  # a value, not a near-miss label
    assert lookup("2021年1月", "key") is None
    # 项目属性 is one character from 项目性质 but a label of its own (no key): never fuzzy.
    assert lookup("项目属性", "key") is None


def test_known_labels_with_no_key_are_known_and_others_not() -> None:
    for text in ("项目属性", "填报日期", "其中：上级资金", "自有资金小计", "备注", "金额（万元）"):
        assert is_known(text), text
    assert not is_known("项目编码")


def test_qualifier_tells_annual_from_long_term() -> None:
    assert qualifier("二级指标（年度）") == "年度"
    assert qualifier("三级指标(长期)") == "长期"
    assert qualifier("三级指标") is None


def test_every_value_field_has_a_chinese_name() -> None:
    for model in (SelfEvaluation(), TargetDeclaration()):
        for path, _ in iter_values(model):
            leaf = path.rsplit(".", 1)[-1]
            assert RECORD_ZH.get(leaf, FUND_COLUMN_ZH.get(leaf, DECL_FUND_ZH.get(leaf))), path
    assert set(INDICATOR_ZH) == set(SelfEvalIndicator.model_fields)


def test_validator_messages_read_the_catalogue() -> None:
    assert ROW_ZH == FUND_ROW_ZH and COL_ZH == FUND_COLUMN_ZH and TD_ZH == DECL_FUND_ZH


def test_every_category_has_labels_and_no_pattern_is_empty() -> None:
    for cat, entries in CATALOGUE.items():
        assert entries, cat
        for e in entries:
            assert e.patterns and all(e.patterns), (cat, e.field)


def test_model_questions_name_labels_from_the_catalogue() -> None:
    from extractor.llm.questions import FIELDS

    assert FIELDS["department"][0].startswith(printed_labels("key", "department", 2))
    assert FIELDS["indicator_name"][0] == f"{printed_labels('indicator_columns', 'name', 2)} column"
    assert FIELDS["total_row"][0].startswith("总分 / 合计")
    with pytest.raises(KeyError):
        printed_labels("key", "no_such_field")


def test_which_forms_print_a_label_comes_from_the_schema() -> None:
    from extractor.llm.questions import ONLY_ON, fields_for
    from schemas.catalogue import forms_of

    both = {"self_evaluation", "target_declaration"}
    assert forms_of("key", "project_name") == both
    assert forms_of("key", "plan_start") == {"target_declaration"}
    assert forms_of("indicator_columns", "actual") == {"self_evaluation"}
    assert forms_of("indicator_columns", "target_unit") == both
    assert forms_of("total_row", "total_row") == {"self_evaluation"}
    # the model is offered only the fields the form can print
    assert ONLY_ON["annual_request"] == "target_declaration" and "total_funds" not in ONLY_ON
    assert ONLY_ON["actual_value"] == ONLY_ON["weight"] == "self_evaluation"
    assert "project_nature" not in fields_for({"self_evaluation"})
    assert "project_nature" in fields_for({"target_declaration"})
