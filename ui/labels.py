"""Every Chinese word the review screen shows for a key, behind one function: ``zh(key)``.

Field paths (``funds.total.executed`` → 年度资金总额·全年执行数), review statuses, field
states, severities, reason codes, actions, form types, queue and export column names. Field
labels come from ``ui.fields.label_of`` (which reads the validators' row and column names);
a shared label catalogue can replace the lookups here without touching the pages.
"""

from __future__ import annotations

from ui.fields import _INDICATOR_ZH, label_of
from ui.fields import STATUS_ZH as FIELD_STATE_ZH

REVIEW_STATUS = {"new": "新", "needs_review": "待审核", "approved": "已通过", "rejected": "已退回"}
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}
REASON = {
    "extraction_error": "提取错误",
    "form_error": "表格本身有误",
    "ocr_error": "识别错误",
    "other": "其他",
}
ACTION = {"correction": "更正", "edit": "更正", "approve": "通过", "reject": "退回"}
FORM_TYPE = {"self_evaluation": "绩效自评表", "target_declaration": "绩效目标申报表"}
DOC_STATUS = {
    "ok": "正常",
    "partial": "部分读取",
    "failed": "失败",
    "skipped": "跳过",
    "duplicate": "重复",
}
COLUMNS = {
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
    "project": "项目名称",
    "grade": "评分等级",
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
    "at": "时间",
    "file": "文件",
    "records": "记录数",
    "seconds": "用时（秒）",
}


def zh(key: str, kind: str = "field") -> str:
    """The Chinese word for ``key`` of a ``kind``: field, column, status, state, severity,
    reason, action, form, doc_status. An unknown key comes back as it is (codes, numbers)."""
    tables = {
        "status": REVIEW_STATUS,
        "state": FIELD_STATE_ZH,
        "severity": SEVERITY,
        "reason": REASON,
        "action": ACTION,
        "form": FORM_TYPE,
        "doc_status": DOC_STATUS,
    }
    if kind in tables:
        return tables[kind].get(key, key)
    if kind == "column":
        if key in COLUMNS:
            return COLUMNS[key]
        if key in _INDICATOR_ZH:
            return _INDICATOR_ZH[key]
        if key.startswith("funds_"):
            return column_of_funds(key)
        return label_of(key)
    return label_of(key)


def column_of_funds(key: str) -> str:
    """``funds_total_executed`` (an export column) → 年度资金总额·全年执行数."""
    from extractor.checks.messages import COL_ZH, ROW_ZH, TD_ZH

    rest = key[len("funds_") :]
    for row, row_zh in ROW_ZH.items():
        for col, col_zh in COL_ZH.items():
            if rest == f"{row}_{col}":
                return f"{row_zh}·{col_zh}"
    return TD_ZH.get(rest, key)
