"""The fixed indicator taxonomy of the national performance-indicator framework.

一级指标 → 二级指标, as in the 2020 measures (产出/效益/满意度) and the later framework that
adds 成本指标 as a first level. Used to complete a label clipped at a page break and to fill a
blank merged 一级指标 cell from its 二级指标; never to rewrite a label that is printed whole.
"""

from __future__ import annotations

import re
import unicodedata

LEVEL2_PARENT: dict[str, str] = {
    "数量指标": "产出指标",
    "质量指标": "产出指标",
    "时效指标": "产出指标",
    "成本指标": "产出指标",
    "经济效益指标": "效益指标",
    "社会效益指标": "效益指标",
    "生态效益指标": "效益指标",
    "可持续影响指标": "效益指标",
    "服务对象满意度指标": "满意度指标",
    "经济成本指标": "成本指标",
    "社会成本指标": "成本指标",
    "生态环境成本指标": "成本指标",
}
LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标")


def canon(s: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def parent_of(level2: str | None) -> str | None:
    """The 一级指标 a 二级指标 label belongs to (tolerating a missing trailing 指标)."""
    c = canon(level2)
    if not c:
        return None
    if c in LEVEL2_PARENT:
        return LEVEL2_PARENT[c]
    hits = {p for k, p in LEVEL2_PARENT.items() if k.startswith(c) or c.startswith(k[:-2])}
    return hits.pop() if len(hits) == 1 else None


def complete_clipped(label: str, level: int) -> str | None:
    """The one vocabulary label that a clipped label is a strict prefix of, else None."""
    c = canon(label)
    if not c:
        return None
    vocab = LEVEL1 if level == 1 else tuple(LEVEL2_PARENT)
    if c in vocab:
        return None
    # A clip keeps most of the label: two characters of nine are not evidence enough.
    hits = [v for v in vocab if v.startswith(c) and len(c) * 2 >= len(v)]
    return hits[0] if len(hits) == 1 else None
