"""Every Chinese word the review screen shows for a key, behind one function: ``zh(key)``.

Field paths (``funds.total.executed`` → 年度资金总额·全年执行数: ``schemas.paths.label_of``,
from the label catalogue), review statuses, severities, reason codes, actions, form types and
document statuses (``jixiao.words``), queue and export column names
(``jixiao.export_columns.column_label``), and the screen's own field states.
"""

from __future__ import annotations

from jixiao.export_columns import column_label
from jixiao.words import WORDS, word
from schemas.paths import label_of
from ui.fields import STATUS_ZH as FIELD_STATE_ZH


def zh(key: str, kind: str = "field") -> str:
    """The Chinese word for ``key`` of a ``kind``: field, column, status, state, severity,
    reason, action, form, doc_status. An unknown key comes back as it is (codes, numbers)."""
    if kind == "state":
        return FIELD_STATE_ZH.get(key, key)
    if kind in WORDS:
        return word(key, kind)
    if kind == "column":
        return column_label(key)
    return label_of(key)
