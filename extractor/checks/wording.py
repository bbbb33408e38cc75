"""What the indicator texts say: a doubled date unit (``12月月底前``, a typing slip that
also breaks date parsing) and a satisfaction block holding an indicator that names what
another block measures (sustainability, output rates, cost: the row was filed under the
wrong heading).

Both are warnings: the printed text is kept, the clerk is shown where to look.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.checks.printed import Collector
from schemas.findings import FindingCode
from schemas.numbers import normalise_text
from schemas.records import SelfEvalIndicator, TargetIndicator

DOUBLED_UNIT = re.compile(r"\d\s*(年|月|日|号|时)\s*\1")
SATISFACTION_BLOCK = re.compile(r"满意")
# What a satisfaction indicator measures: satisfaction, approval, complaints, ratings.
SATISFACTION_WORDS = re.compile(r"满意|好评|认可|认同|评价|投诉|信访|口碑|获得感|幸福感|称赞")
# What the other blocks measure (output quantity/quality/timeliness/cost, benefits,
# sustainability): an indicator saying so under a satisfaction heading is misfiled.
OTHER_BLOCK_WORDS = re.compile(
    r"长效|机制|可持续|持续|生态|经济效益|社会效益|合格率|完成率|及时率|准确率|覆盖率|到位率|"
    r"执行率|达标率|成本|数量"
)


def wording(indicators: Sequence[SelfEvalIndicator | TargetIndicator], out: Collector) -> None:
    for i, ind in enumerate(indicators):
        for field in ("target", "actual"):
            v = getattr(ind, field, None)
            text = normalise_text(v.text or "") if v is not None else ""
            m = DOUBLED_UNIT.search(text)
            if m and v is not None:
                kw = {"i": i, "name": ind.name.text, "unit": m.group(1)}
                out.add(
                    FindingCode.DOUBLED_UNIT, f"indicators.{i}.{field}", [v], v.text, None, **kw
                )
        block = normalise_text(f"{ind.level1.text or ''}{ind.level2.text or ''}")
        what = normalise_text(f"{ind.name.text or ''}{ind.target.text or ''}")
        misfiled = OTHER_BLOCK_WORDS.search(what) and not SATISFACTION_WORDS.search(what)
        if SATISFACTION_BLOCK.search(block) and misfiled:
            vals, kw = [ind.level1, ind.name], {"i": i, "name": ind.name.text}
            out.add(
                FindingCode.OFF_TAXONOMY, f"indicators.{i}.name", vals, ind.level1.text, None, **kw
            )
