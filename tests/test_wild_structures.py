"""Structures of real forms of other regions, each drawn as a synthetic PDF of its own
(``tests/pdfgen.grid_table``) and read through the whole pipeline: where a record starts,
label synonyms, values split over cells or sharing one, points and weights printed in
labels or as percentages, placeholder and goal-block rows, totals sharing a row, and the
validators on these forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extractor.pipeline import extract_document
from jixiao.settings import Settings
from schemas.golden import to_golden
from tests.pdfgen import Table, grid_row, grid_table, render
from tests.wild_helpers import decl_rows, self_rows

R = grid_row


def run(tables: list[Table], tmp_path: Path) -> list[dict[str, Any]]:
    pdf = render(tables, tmp_path / "form.pdf")
    res = extract_document(pdf, Settings(ocr=False).extract_options())
    return [to_golden(rr.record, rr.findings) for rr in res.records]


def codes(rec: dict[str, Any], severity: str | None = None) -> set[str]:
    return {f["code"] for f in rec["findings"] if severity is None or f["severity"] == severity}


# ------------------------------------------------------------------ record start


def test_record_starts_at_a_synonym_label_in_any_cell(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[0] = R("基本信息", "项目支出名称", ("甲项目", 2))
    got = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)
    assert len(got) == 1
    assert got[0]["project_name"] == "甲项目" and got[0]["year"] == 2024
    assert got[0]["form_type"] == "target_declaration"


def test_untitled_form_after_a_notice_and_a_preamble_row(tmp_path: Path) -> None:
    rows = [R("单位名称：乙局", "填报日期：2022年7月16日"), *self_rows()]
    rows[1] = R(("专项名称", 1), ("乙项目", 3))
    got = run(
        [grid_table(rows, ["关于公开绩效自评结果的说明", "现将自评结果予以公开。"])], tmp_path
    )
    assert len(got) == 1
    rec = got[0]
    assert rec["project_name"] == "乙项目" and rec["form_type"] == "self_evaluation"
    assert rec["year"] is None  # no form title with a year; the filing date is not one


def test_year_comes_from_the_title_not_the_filing_date(tmp_path: Path) -> None:
    t = grid_table(
        self_rows(), ["2021年度项目支出绩效自评表", "单位名称：乙局  填报日期：2022年7月16日"]
    )
    assert run([t], tmp_path)[0]["year"] == 2021


def test_second_form_on_the_next_page_is_its_own_record_and_types_mix(tmp_path: Path) -> None:
    decl = grid_table(decl_rows("甲项目", "预算单位"), ["项目支出绩效目标表", "（2023年度）"])
    # The self-evaluation follows on the next page, its title not recognised as one and
    # its project label in the second cell.
    rows = self_rows("乙项目")
    rows[0] = R("一", "项目名称", ("乙项目", 2))
    self_eval = grid_table(rows, ["附件2"])
    got = run([decl, self_eval], tmp_path)
    assert [r["project_name"] for r in got] == ["甲项目", "乙项目"]
    assert [r["form_type"] for r in got] == ["target_declaration", "self_evaluation"]
    assert len(got[0]["indicators"]) == 2 and len(got[1]["indicators"]) == 2
    assert got[0]["department"] == "甲局"


# ------------------------------------------------------------------ label synonyms


def test_declaration_synonyms_and_level_labels_saying_zhi(tmp_path: Path) -> None:
    rows = [
        R(("项目名称", 1), ("丙项目", 3)),
        R(("项目主管部门", 1), ("丙局", 3)),
        R(("项目资金申请（万元）", 1), "资金总额：", ("438.768", 2)),
        R(("项目资金申请（万元）", 1), "财政拨款：", ("438.768", 2)),
        R(("项目资金申请（万元）", 1), "其他：", ("", 2)),
        R(("项目总体情况", 1), ("保障学校正常运转", 3)),
        R("一级", "二级", "三级", "年度数值", "备注"),
        R("产出值", "数量值", "小学就读人数", "<=6962人", ""),
        R("效益值", "社会效益值", "教学质量提高", "=100%", ""),
    ]
    rec = run([grid_table(rows, ["项目支出目标申报表", "（2025年度）"])], tmp_path)[0]
    assert rec["department"] == "丙局"
    assert rec["funds"]["total"] == "438.768" and rec["funds"]["fiscal"] == "438.768"
    assert rec["funds"]["other"] is None and rec["goal_overall"] == "保障学校正常运转"
    assert [(i["level1"], i["level2"], i["target"]) for i in rec["indicators"]] == [
        ("产出值", "数量值", "<=6962人"),
        ("效益值", "社会效益值", "=100%"),
    ]
    assert rec["provenance"]["department"]["label_match"] == "synonym"


def test_near_miss_label_is_matched_fuzzy_and_says_so(tmp_path: Path) -> None:
    rows = decl_rows(dept_label="主管布门")
    rec = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)[0]
    assert rec["department"] == "甲局"
    assert rec["provenance"]["department"]["label_match"] == "fuzzy"
    assert "label_match" not in rec["provenance"]["project_name"]  # the standard label


def test_declaration_fund_lines_beyond_the_keys_are_neither_keyed_nor_unknown(
    tmp_path: Path,
) -> None:
    rows = decl_rows()
    rows[2:3] = [
        R(("资金情况（万元）", 1), "年度资金总额：", ("16", 2)),
        R(("资金情况（万元）", 1), "其中：上级资金", ("16", 2)),
        R(("资金情况（万元）", 1), "（一）财政拨款小计", ("10", 2)),
        R(("资金情况（万元）", 1), "1、一般公共预算", ("10", 2)),
        R(("资金情况（万元）", 1), "（二）自有资金小计", ("6", 2)),
    ]
    rec = run([grid_table(rows, ["项目支出绩效目标表", "（2020年度）"])], tmp_path)[0]
    assert rec["funds"]["annual_request"] == "16" and rec["funds"]["fiscal"] == "10"
    assert "UNKNOWN_LABEL" not in codes(rec)


# ------------------------------------------------------------------ structures


def test_target_split_over_operator_value_unit_cells(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[4:] = [
        R("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位"),
        R("产出指标", "数量指标", "培训人次", "≧", "735", "人次"),
        R("产出指标", "质量指标", "合格率", "", "100%", ""),
    ]
    rec = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)[0]
    assert [i["target"] for i in rec["indicators"]] == ["≧735人次", "100%"]
    assert not codes(rec, "error")


def test_leader_and_phone_in_one_cell_and_a_period_in_one_cell(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[2:2] = [R("项目负责人及电话", "张三 13812345678", "项目期", "2019-2021")]
    rec = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)[0]
    assert (rec["project_leader"], rec["contact_phone"]) == ("张三", "13812345678")
    assert (rec["plan_start"], rec["plan_end"]) == ("2019", "2021")
    assert rec["provenance"]["contact_phone"]["match"] == "contained"
    assert not codes(rec, "error")


def test_level1_with_points_placeholders_and_not_applicable_rows(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[5:] = [
        R("产出指标(50分)", "数量指标", "培训人次", "≥200人次"),
        R("产出指标(50分)", "质量指标", "指标2：", ""),
        R("产出指标(50分)", "时效指标", "……", ""),
        R("效益指标(30分)", "社会效益指标", "/", "/"),
        R("满意度指标(10分)", "服务对象满意度指标", "满意度", "≥90%"),
    ]
    rec = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)[0]
    assert [(i["level1"], i["name"]) for i in rec["indicators"]] == [
        ("产出指标(50分)", "培训人次"),
        ("效益指标(30分)", "/"),
        ("满意度指标(10分)", "满意度"),
    ]


def test_long_term_and_annual_indicator_sets_side_by_side(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[4:] = [
        R(
            "一级指标",
            "二级指标（长期）",
            "三级指标（长期）",
            "指标值（长期）",
            "二级指标（年度）",
            "三级指标（年度）",
            "指标值（年度）",
        ),
        R("产出指标", "数量指标", "", "", "数量指标", "建设工程数量", "2"),
        R("满意度指标", "服务对象满意度指标", "", "", "服务对象满意度指标", "满意度", "≥90%"),
    ]
    rec = run([grid_table(rows, ["项目支出绩效目标表", "（2020年度）"])], tmp_path)[0]
    assert [(i["name"], i["target"]) for i in rec["indicators"]] == [
        ("建设工程数量", "2"),
        ("满意度", "≥90%"),
    ]


def test_goal_blocks_with_weights_budget_weight_in_a_label(tmp_path: Path) -> None:
    rows = [
        R(("项目名称", 1), ("丁项目", 3)),
        R("主管部门", "丁局", "实施单位", "丁中心"),
        R(
            ("预算执行情况（万元）（20分）", 2),
            "预算数（A）",
            "执行数（B）",
            "执行率（B/A）",
            "得分",
        ),
        R(("年度财政资金总额", 2), "100", "90", "90%", "18"),
        R(("年度绩效目标1（40分）", 1)),
        R("一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "分值", "得分"),
        R("产出指标", "数量指标", "培训人次", "200", "200", "40", "40"),
        R(("年度绩效目标2（40分）", 1)),
        R("效益指标", "社会效益指标", "服务质量", "提升", "提升", "40", "40"),
        R(("总分", 5), "100", "98"),
    ]
    rec = run([grid_table(rows, ["2023年度项目支出绩效自评表"])], tmp_path)[0]
    assert [i["name"] for i in rec["indicators"]] == ["培训人次", "服务质量"]
    assert rec["funds"]["total"]["full_year_budget"] == "100"
    assert rec["funds"]["total"]["weight"] is None and rec["budget_points"] == "20"
    # 20 × 90 % = 18 and 40 + 40 + 20 = 100: the weight 20 read from the label drives R2/R5.
    assert not codes(rec, "error"), rec["findings"]


def test_percent_weights_amounts_in_label_cells_and_score_total(tmp_path: Path) -> None:
    rows = [
        R("专项名称", "戊专项资金", "省级主管部门", "戊厅"),
        R(
            "资金情况（万元）",
            "年度金额（提前下达）：208 万元",
            "资金使用情况（万元）",
            "合计：109.8 万元",
        ),
        R("资金情况（万元）", "中央财政165 万元", "资金使用情况（万元）", "中央财政84.5 万元"),
        R(("年度总体目标", 1), ("目标1：支持体系建设", 2), ("完成情况", 1), ("已完成", 2)),
        R("一级指标", "二级指标", "三级指标", "指标值", "完成值", "权重", "得分"),
        R("产出指标", "数量指标", "贷款发放额增长率", "≥10%", "15%", "60%", "60"),
        R("满意度指标", "服务对象满意度指标", "满意度", "≥80%", "90%", "40%", "40"),
        R(("得分合计", 6), "100"),
    ]
    rec = run([grid_table(rows)], tmp_path)[0]
    t = rec["funds"]["total"]
    assert (t["full_year_budget"], t["executed"]) == ("208 万元", "109.8 万元")
    assert rec["funds"]["current_year"]["full_year_budget"] is None  # 中央财政: no key
    assert (rec["goal_expected"], rec["goal_actual"]) == ("目标1：支持体系建设", "已完成")
    assert [i["weight"] for i in rec["indicators"]] == ["60%", "40%"]
    assert rec["total_score"] == "100" and rec["total_weight"] is None
    # No budget block: the indicators carry all 100 points; 60 + 40 = 100, 60 + 40 = 100.
    assert not codes(rec, "error"), rec["findings"]


def test_total_row_is_no_indicator_and_shares_its_row_with_the_grade(tmp_path: Path) -> None:
    rows = self_rows()
    rows[4] = R("一级指标", "二级指标", "三级指标", "年度指标值", "分值", "得分", "实际完成值",
                "偏差原因分析")  # fmt: skip
    rows[5] = R("产出指标", "数量指标", "培训人次", "≥200人次", "50", "50", "230人次", "")
    rows[6] = R("效益指标", "社会效益指标", "服务质量", "提升", "40", "35", "部分提升", "")
    rows[7] = R(("总分", 4), "100", "95", "评分等级", "优")
    rec = run([grid_table(rows, ["财政项目支出绩效自评表", "（2023年度）"])], tmp_path)[0]
    assert len(rec["indicators"]) == 2
    assert (rec["total_weight"], rec["total_score"], rec["grade"]) == ("100", "95", "优")
    assert not codes(rec, "error"), rec["findings"]


# ------------------------------------------------------------------ validators


def test_rules_say_which_rows_they_skipped(tmp_path: Path) -> None:
    rows = self_rows()
    rows[6] = R("效益指标", "社会效益指标", "服务质量", "提升", "部分提升", "", "")
    rec = run([grid_table(rows, ["财政项目支出绩效自评表", "（2023年度）"])], tmp_path)[0]
    skipped = [f["message"] for f in rec["findings"] if f["code"] == "UNCHECKED"]
    assert any("R5 skipped: indicators 1 " in m for m in skipped), skipped
    assert any("R6 skipped: indicators 1 " in m for m in skipped), skipped
    assert not {"R5", "R6"} & codes(rec)


def test_total_row_after_an_empty_first_cell_adds_no_false_weight_sum(tmp_path: Path) -> None:
    rows = self_rows()
    rows[7] = R("", ("总分", 4), "100", "95")
    rec = run([grid_table(rows, ["财政项目支出绩效自评表", "（2023年度）"])], tmp_path)[0]
    assert len(rec["indicators"]) == 2 and rec["total_score"] == "95"
    assert not codes(rec, "error"), rec["findings"]  # no "weights add up to 200"


def test_form_without_a_project_label_starts_at_its_title(tmp_path: Path) -> None:
    first = grid_table(decl_rows("甲项目"), ["项目支出绩效目标申报表", "（2024年度）"])
    rows = decl_rows()[1:]  # no project row: the form starts at its title
    second = grid_table(rows, ["项目支出绩效目标申报表", "（2025年度）"], new_page=False)
    got = run([first, second], tmp_path)
    assert len(got) == 2
    assert got[1]["project_name"] is None and got[1]["year"] == 2025
    assert len(got[0]["indicators"]) == 2 and len(got[1]["indicators"]) == 2


def test_form_type_is_decided_by_the_contents_not_the_title(tmp_path: Path) -> None:
    # A self-evaluation under a title that says 目标表, and a declaration with no title.
    self_eval = grid_table(self_rows(), ["项目绩效目标表"])
    decl = grid_table(decl_rows(), [])
    got = run([self_eval, decl], tmp_path)
    assert [r["form_type"] for r in got] == ["self_evaluation", "target_declaration"]


def test_completion_level1_is_an_output_level(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[5] = R("项目完成指标", "数量指标", "培训人次", "≥200人次")
    rec = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)[0]
    assert rec["indicators"][0]["level1"] == "项目完成指标"
    assert "LEVEL_MISMATCH" not in codes(rec)


def test_a_running_title_over_a_continuation_starts_no_record(tmp_path: Path) -> None:
    first = grid_table(self_rows(), ["财政项目支出绩效自评表", "（2023年度）"])
    rest = grid_table([R(("评分等级", 1), ("优", 3))], ["财政项目支出绩效自评表"])
    got = run([first, rest], tmp_path)
    assert len(got) == 1 and got[0]["grade"] == "优"


def test_a_value_that_reads_like_another_blocks_label_stays_a_value(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[1:1] = [R("项目性质", "其他", "项目类别", "一般项目")]
    rec = run([grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path)[0]
    assert (rec["project_nature"], rec["project_category"]) == ("其他", "一般项目")


def test_goal_headings_under_a_side_label_and_a_goal_key_value(tmp_path: Path) -> None:
    rows = decl_rows()
    rows[3] = R(("总体目标", 1, 2), "中期目标", "年度目标")
    rows.insert(4, R("推进教育领域综合改革", "完成重点项目建设"))
    rec = run([grid_table(rows, ["项目支出绩效目标表", "（2020年度）"])], tmp_path)[0]
    assert (rec["goal_overall"], rec["goal_annual"]) == ("推进教育领域综合改革", "完成重点项目建设")
    plain = run([grid_table(decl_rows(), ["项目支出绩效目标表", "（2020年度）"])], tmp_path)[0]
    assert (plain["goal_overall"], plain["goal_annual"]) == (None, "完成全年工作任务")


def test_untitled_declaration_without_fund_lines_is_a_declaration(tmp_path: Path) -> None:
    rows = [r for k, r in enumerate(decl_rows()) if k != 2]  # no funds block, no title
    rec = run([grid_table(rows)], tmp_path)[0]
    assert rec["form_type"] == "target_declaration" and rec["goal_annual"] == "完成全年工作任务"
