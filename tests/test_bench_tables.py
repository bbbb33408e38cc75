"""The metrics of ``benchmarks/bench_tables.py`` on a tiny hand-made case (no PDF library):
whole cells, rows kept together, cut and split values, and the markdown table parser."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _table_methods import markdown_tables
from _table_metrics import (
    KeyValue,
    cell_counts,
    combine,
    cut_values,
    key_rows,
    key_values,
    norm,
    rows_together,
    score_document,
    share,
    whole_cells,
)

RECORD = {
    "form_type": "self_evaluation",
    "year": 2023,
    "project_name": "信息化 运维项目",
    "money_unit": "万元",
    "project_leader": None,
    "funds": {"total": {"initial_budget": "24,300.00", "weight": "-", "score": None}},
    "total_score": "95",
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "培训次数", "target": "≥2次",
         "actual": "2次", "weight": "10"},
        {"level1": "产出指标", "level2": "数量指标", "name": "覆盖人数", "target": "100人",
         "actual": "120人", "weight": "10"},
        {"level1": "产出指标", "level2": "质量指标", "name": "合格率", "target": None,
         "actual": "98%", "weight": "20"},
    ],
    "source_anomalies": ["an anomaly text is not a value"],
}  # fmt: skip

# Row 0 keeps the header value; the funds amount is cut at a column edge (2 | 4,300.00);
# row 2 keeps 培训次数 with its target; 覆盖人数 and its target are in different rows; the
# name 合格率 is wrapped over two rows (合格 / 率); the level labels are printed once.
GOOD = [
    ["项目名称", "信息化运维项目", "", ""],
    ["年度资金总额", "2", "4,300.00", "-"],
    ["产出指标", "数量指标", "培训次数", "≥2次", "2次", "10"],
    ["", "", "覆盖人数", "", "120人", "10"],
    ["", "", "", "100人", "", ""],
    ["", "质量指标", "合格", "", "98%", "20"],
    ["", "", "率", "", "", ""],
    ["总分", "", "", "", "95", ""],
]


def test_norm_is_nfkc_without_whitespace() -> None:
    assert norm("⼀级 指标\n") == "一级指标"  # Kangxi radical U+2F00 -> 一
    assert norm("（ 万元 ）") == "(万元)"
    assert norm(12.5) == "12.5"


def test_key_values_skip_unprinted_fields_and_count_labels_once_per_run() -> None:
    keys = key_values([RECORD])
    fields = Counter(k.field for k in keys)
    assert "form_type" not in fields and "year" not in fields and "money_unit" not in fields
    assert "source_anomalies" not in fields and "project_leader" not in fields
    assert fields["level1"] == 1  # 产出指标 filled down over three rows, printed once
    assert fields["level2"] == 2  # 数量指标, then 质量指标
    assert fields["target"] == 2  # the null target is not a value
    assert KeyValue("header", "project_name", "信息化运维项目") in keys
    assert KeyValue("funds", "funds.total.initial_budget", "24,300.00") in keys
    assert KeyValue("totals", "total_score", "95") in keys
    assert {k.group for k in keys} == {"header", "funds", "totals", "indicators"}


def test_whole_cells_count_multisets_and_miss_cut_or_merged_values() -> None:
    keys = key_values([RECORD])
    got = whole_cells(keys, cell_counts([GOOD]))
    # Every value but two is a whole cell: 24,300.00 (cut) and 合格率 (split over rows).
    assert got["whole"] == len(keys) - 2
    assert got["distinct_whole"] == got["distinct"] - 2
    assert got["fields"]["name"] == [3, 2.0]
    assert got["groups"]["funds"] == [2, 1.0]
    # A value the key holds twice but the cells once: one hit, each occurrence half credited.
    twice = [KeyValue("indicators", "weight", "10"), KeyValue("indicators", "score", "10")]
    half = whole_cells(twice, Counter({"10": 1}))
    assert half["whole"] == 1
    assert half["fields"]["weight"] == [1, 0.5]
    assert (half["distinct"], half["distinct_whole"]) == (1, 1)
    # Merged with a neighbour is a miss too.
    assert whole_cells(twice, Counter({"1010": 2}))["whole"] == 0


def test_rows_together_need_name_and_target_in_one_row() -> None:
    got = rows_together(key_rows([RECORD]), [GOOD])
    assert got["rows"] == 3
    # 培训次数 with ≥2次: together; 覆盖人数's target is a row below; 合格率 is never whole.
    assert got["together"] == 1
    assert got["row_fields"]["name"] == [3, 2]
    assert got["row_fields"]["actual"] == [3, 2]
    assert got["row_fields"]["target"] == [2, 1]


def test_cut_and_split_values_are_counted_once_per_missing_occurrence() -> None:
    keys = key_values([RECORD])
    got = cut_values(keys, cell_counts([GOOD]), [GOOD])
    assert got == {"cut": 1, "split": 1}  # 2 | 4,300.00 and 合格 / 率
    # A value that is also a whole cell elsewhere is not missing, so never cut.
    both = [[*row] for row in GOOD] + [["24,300.00", "合格率"]]
    assert cut_values(keys, cell_counts([both]), [both]) == {"cut": 0, "split": 0}
    # One-character values cannot be cut.
    one = [KeyValue("funds", "funds.total.weight", "-")]
    assert cut_values(one, Counter(), [[["a-", "-b"]]]) == {"cut": 0, "split": 0}


def test_score_and_combine_sum_the_documents() -> None:
    one = score_document([RECORD], [GOOD])
    assert one["tables"] == 1 and one["cut"] == 1 and one["together"] == 1
    total = combine([one, one])
    assert total["values"] == 2 * one["values"]
    assert total["whole"] == 2 * one["whole"]
    assert total["groups"]["header"] == [2 * x for x in one["groups"]["header"]]
    assert share(total["values"], total["whole"]) == pytest.approx(one["whole"] / one["values"])
    assert share(0, 0) is None


def test_markdown_tables_parse_pipes_and_drop_separators_and_tags() -> None:
    md = (
        "# 项目支出绩效自评表\n\n"
        "|项目名称|**信息化**运维项目|\n|---|:---:|\n|年初<br>预算数|24,300.00|\n\n"
        "narrative 12 个\n"
        "|a|b|c|\n|---|---|---|\n|1||3|\n|||c3|\n"
    )
    tables = markdown_tables(md)
    assert tables == [
        [["项目名称", "信息化运维项目"], ["年初预算数", "24,300.00"]],
        [["a", "b", "c"], ["1", "", "3"], ["", "", "c3"]],
    ]
