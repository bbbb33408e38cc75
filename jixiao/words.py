"""The Chinese words for the codes the application writes, said once: review statuses,
severities, reason codes, review actions, form types and document statuses. The review
screen (``ui.labels.zh``), the terminal summary (``jixiao.summary_table``) and the exports
read them here; field labels come from the label catalogue (``schemas.paths.label_of``).
"""

from __future__ import annotations

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

WORDS: dict[str, dict[str, str]] = {
    "status": REVIEW_STATUS,
    "severity": SEVERITY,
    "reason": REASON,
    "action": ACTION,
    "form": FORM_TYPE,
    "doc_status": DOC_STATUS,
}


def word(key: str, kind: str) -> str:
    """The Chinese word for ``key`` of a ``kind`` (a key of ``WORDS``); an unknown key comes
    back as it is."""
    return WORDS[kind].get(key, key)
