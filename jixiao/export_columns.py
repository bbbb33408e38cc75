"""The columns of the flat exports (``jixiao.exports``) and their Chinese titles.

One naming for every field column: the field's path (``schemas.paths``) with ``_`` for ``.``
(``funds.total.executed`` → ``funds_total_executed``; ``project_name`` as it is). The
indicators table has one row per indicator with its index in ``indicator``, counted from 0
like the paths (``indicators.0.name`` is the row with ``indicator`` 0; its Chinese label,
for a person, is 指标1·三级指标). Titles (``headers="zh"``) come from the label catalogue
through ``schemas.paths.label_of``; the columns that are no field have theirs in
``COLUMN_ZH``.
"""

from __future__ import annotations

from schemas.catalogue import INDICATOR_ZH
from schemas.fields import (
    FUND_COLUMNS,
    FUND_ROWS,
    HEADER_TEXT_FIELDS,
    SELF_GOAL_FIELDS,
    SELF_INDICATOR_FIELDS,
    TARGET_FUND_KEYS,
    TARGET_GOAL_FIELDS,
    TARGET_HEADER_EXTRA,
    TOTALS_FIELDS,
)
from schemas.paths import column_of, label_of

# Header columns written as stored; the other text fields of both forms go through ``_s``.
IDENTITY = ("project_name", "department", "implementing_unit")
TEXT = (
    *(name for name in HEADER_TEXT_FIELDS if name not in IDENTITY),
    *TARGET_HEADER_EXTRA,
    *SELF_GOAL_FIELDS,
    *TARGET_GOAL_FIELDS,
    *TOTALS_FIELDS,
)
# The funds paths of both forms: self-evaluation rows × columns, declaration keys.
FUND_PATHS = (
    *(f"funds.{r}.{c}" for r in FUND_ROWS for c in FUND_COLUMNS),
    *(f"funds.{k}" for k in TARGET_FUND_KEYS),
)
# Column name → field path, for every column of ``records`` that is a field.
FIELD_COLUMNS: dict[str, str] = {column_of(p): p for p in ("year", *IDENTITY, *TEXT, *FUND_PATHS)}

# (column, parquet type): "int" or "str". Every table's rows start with these.
IDS: list[tuple[str, str]] = [
    ("schema_version", "str"),
    ("record_id", "int"),
    ("document_id", "int"),
    ("ordinal", "int"),
]
RECORD_COLUMNS: list[tuple[str, str]] = [
    *IDS,
    ("source", "str"),
    ("sha256", "str"),
    ("document_status", "str"),
    ("form_type", "str"),
    ("year", "int"),
    *[(column_of(p), "str") for p in (*IDENTITY, *TEXT, *FUND_PATHS)],
    ("pages", "str"),
    ("n_indicators", "int"),
    ("n_errors", "int"),
    ("n_warnings", "int"),
    ("finding_codes", "str"),
    ("review_status", "str"),
    ("version", "int"),
]
INDICATOR_COLUMNS: list[tuple[str, str]] = [
    *IDS,
    ("indicator", "int"),
    ("form_type", "str"),
    ("project_name", "str"),
    ("department", "str"),
    *[(k, "str") for k in SELF_INDICATOR_FIELDS],
]
FINDING_FIELDS = (
    "code",
    "severity",
    "field",
    "message",
    "message_zh",
    "printed",
    "expected",
    "cells",
    "rule_set",
)
FINDING_COLUMNS: list[tuple[str, str]] = [
    *IDS,
    ("project_name", "str"),
    ("department", "str"),
    *[(k, "str") for k in FINDING_FIELDS],
]
TABLES = {
    "records": RECORD_COLUMNS,
    "indicators": INDICATOR_COLUMNS,
    "findings": FINDING_COLUMNS,
}

# Chinese titles of the columns that are no field (of the exports and the review screen's
# tables).
COLUMN_ZH = {
    "id": "编号",
    "record_id": "记录编号",
    "document_id": "文档编号",
    "ordinal": "表序",
    "indicator": "指标序号",
    "schema_version": "导出版本",
    "source": "来源文件",
    "sha256": "文件指纹",
    "document_status": "文档状态",
    "form_type": "表格类型",
    "review_status": "审核状态",
    "version": "版本",
    "status": "状态",
    "errors": "错误",
    "warnings": "警告",
    "n_errors": "错误数",
    "n_warnings": "警告数",
    "n_indicators": "指标数",
    "finding_codes": "问题代码",
    "codes": "问题代码",
    "project": label_of("project_name"),
    "grade": label_of("grade"),
    "total": "总分",
    "pdf": "文件",
    "table": "表",
    "pages": "页码",
    "newer": "新提取结果",
    "code": "代码",
    "severity": "级别",
    "field": "字段",
    "message": "说明（英文）",
    "message_zh": "说明",
    "printed": "印刷值",
    "expected": "复算值",
    "cells": "单元格",
    "rule_set": "规则集",
    "label": "字段名称",
    "old_value": "原值",
    "new_value": "新值",
    "reason_code": "原因",
    "reviewer": "审核人",
    "corrections": "更正数",
    "at": "时间",
    "file": "文件",
    "records": "记录数",
    "seconds": "用时（秒）",
}


def column_label(column: str) -> str:
    """The Chinese title of a column: ``funds_total_executed`` → 年度资金总额·全年执行数,
    ``name`` (of the indicators table) → 三级指标, ``n_errors`` → 错误数."""
    if column in COLUMN_ZH:
        return COLUMN_ZH[column]
    if column in INDICATOR_ZH:
        return INDICATOR_ZH[column]
    return label_of(FIELD_COLUMNS.get(column, column))


def header_names(columns: list[tuple[str, str]], headers: str) -> list[str]:
    """Column titles: the field keys (``keys``) or their Chinese names (``zh``)."""
    if headers == "zh":
        return [column_label(c) for c, _ in columns]
    return [c for c, _ in columns]
