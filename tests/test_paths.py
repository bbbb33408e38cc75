"""The one path walker (schemas/paths.py), the one column naming of the flat exports
(jixiao/export_columns.py) and the one indicator taxonomy (schemas/taxonomy.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jixiao.export_columns import FIELD_COLUMNS, RECORD_COLUMNS, column_label
from schemas.catalogue import FUND_COLUMN_ZH, INDICATOR_ZH, RECORD_ZH
from schemas.fields import FORM_KEYS
from schemas.paths import column_of, get_value, label_of, parts, section_of, set_value, value_paths

DATA = {
    "form_type": "self_evaluation",
    "year": 2023,
    "project_name": "社区养老服务",
    "funds": {"total": {"executed": "8", "full_year_budget": "10"}},
    "indicators": [{"name": "服务人次", "score": "9"}, {"name": "满意度"}],
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("year", 2023),
        ("funds.total.executed", "8"),
        ("indicators.1.name", "满意度"),
        ("indicators[1].name", "满意度"),  # the evals' spelling reads the same
        ("indicators.2.name", None),  # past the end
        ("indicators.x.name", None),  # not an index
        ("funds.total.executed.more", None),  # below a leaf
        ("funds.current_year.executed", None),  # a missing row
    ],
)
def test_get_value(path: str, value: object) -> None:
    assert get_value(DATA, path) == value


def test_set_value_creates_what_is_missing() -> None:
    d: dict = {"indicators": [{}]}
    set_value(d, "funds.carryover.score", "3")
    set_value(d, "indicators[0].score", "5")
    assert d == {"indicators": [{"score": "5"}], "funds": {"carryover": {"score": "3"}}}
    assert get_value(d, "funds.carryover.score") == "3"


def test_value_paths_in_printed_order() -> None:
    paths = value_paths(DATA)
    assert paths[0] == "year" and paths.index("project_name") < paths.index("funds.total.executed")
    assert "indicators.1.name" in paths and "indicators.2.name" not in paths


def test_labels_come_from_the_catalogue_and_count_indicators_from_one() -> None:
    assert label_of("funds.total.executed") == "年度资金总额·全年执行数"
    assert label_of("funds.annual_request") == "年度资金申请总额"
    assert label_of("indicators.0.name") == f"指标1·{INDICATOR_ZH['name']}"
    assert label_of("project_name") == RECORD_ZH["project_name"]
    assert label_of("no_such_field") == "no_such_field"
    assert [section_of(p) for p in ("year", "funds.total.score", "goal_actual", "grade")] == [
        "header",
        "funds",
        "goals",
        "totals",
    ]


def test_one_column_naming_for_the_flat_exports() -> None:
    assert parts("indicators[3].name") == ["indicators", "3", "name"]
    assert column_of("funds.total.executed") == "funds_total_executed"
    assert column_of("indicators[3].name") == "indicators_3_name"
    # every field column of the records table is its path's column, titled by its label
    names = [c for c, _ in RECORD_COLUMNS]
    for column, path in FIELD_COLUMNS.items():
        assert column == column_of(path) and column in names
        assert column_label(column) == label_of(path)
    assert column_label("funds_current_year_executed").endswith(FUND_COLUMN_ZH["executed"])
    # every top-level field of both forms but funds/indicators is a column of its own
    for keys in FORM_KEYS.values():
        for k in keys:
            if k not in ("funds", "indicators"):
                assert k in names


def test_one_indicator_taxonomy() -> None:
    from extractor.checks.rules import DEFAULT_RULE_SET
    from extractor.layout import vocabulary
    from schemas.taxonomy import LEVEL1, LEVEL2_PARENT

    assert vocabulary.LEVEL2_PARENT is LEVEL2_PARENT and vocabulary.LEVEL1 is LEVEL1
    assert DEFAULT_RULE_SET.level2_parent == LEVEL2_PARENT
    assert set(LEVEL2_PARENT.values()) <= set(LEVEL1)


def test_the_exports_import_no_ui() -> None:
    code = (
        "import sys, jixiao.exports, jixiao.export_writers, jixiao.golden_export, "
        "jixiao.summary_table; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ui'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
