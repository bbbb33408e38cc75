"""The indicator taxonomy of the national performance-indicator framework, said once.

一级指标 → 二级指标, as in the 2020 measures (产出/效益/满意度) and the later framework that
adds 成本指标 as a first level. The layout (``extractor.layout.vocabulary``: completing a
clipped label, filling a blank merged 一级指标 cell), the validators (``extractor.checks``:
a rule set's ``level2_parent``, R11's first levels) and the label assist all read it here.
"""

from __future__ import annotations

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

# A printed 一级指标 → its standard name, by a key word it contains (first match wins).
LEVEL1_KEYS = (
    ("产出", "产出指标"),
    ("完成", "产出指标"),  # 项目完成指标: what the project delivers
    ("效益", "效益指标"),
    ("满意", "满意度指标"),
    ("成本", "成本指标"),
)
