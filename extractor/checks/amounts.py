"""NON_NUMERIC (error): a money amount that is not a number.

An amount cell of the funds table (年初预算数 / 全年预算数 / 全年执行数 of a self-evaluation,
every funds figure of a target declaration) holding text that does not parse as a number
cannot be checked by any rule: the record must not pass as ``ok``. Reported:

- in the total row (年度资金总额; 项目资金总额 and 年度资金申请总额 of a declaration), any
  such text: every rule needs these figures;
- in a sub-row, text that tries to be an amount (it has digits, Chinese numerals or a money
  unit: ``八万元整abc``, ``约十万``); a remark with none of these (``见附件``) is left alone.

Never reported: blank cells, dashes and marks made only of punctuation (``——``, ``/``:
not applicable), words meaning none (``无``: nothing spent; MISSING_VALUE covers required
blanks), and a number with a foreign unit or a percentage (R9's finding).

Registered with the validators by ``validate_record`` (one call); the message templates
and the severity are added to ``extractor.checks.messages`` here, under the key
``NON_NUMERIC:amount`` (code ``NON_NUMERIC``).
"""

from __future__ import annotations

from extractor.checks.messages import AMOUNT_COLS, COL_ZH, EN, ROW_ZH, SEVERITY, TD_ZH, ZH
from extractor.checks.printed import Collector
from schemas.fields import FUND_ROWS
from schemas.findings import FindingCode, Severity
from schemas.numbers import normalise_text
from schemas.records import SelfEvaluation, TargetDeclaration, quantity
from schemas.values import Value

VARIANT = "amount"  # NON_NUMERIC:amount
KEY = f"{FindingCode.NON_NUMERIC}:{VARIANT}"
EN[KEY] = "{field}: {label} {printed!r} is not an amount; the funds checks that need it are skipped"
ZH[KEY] = "{label}“{printed}”不是金额数字，相关资金校验跳过"
SEVERITY[KEY] = Severity.ERROR

# Words that say "none" in an amount cell: not an amount, but not a wrong one either.
NONE_WORDS = frozenset({"无", "暂无", "没有", "不适用", "空", "NA", "N/A", "NONE", "NIL"})


# What an amount written out (or mangled) shows: digits, Chinese numerals, a money unit.
AMOUNTISH = frozenset("0123456789零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟元")
# The figures every funds rule needs: any text there that is not a number is reported.
KEY_FIELDS = frozenset({"funds.total", "funds.annual_request"})


def not_an_amount(v: Value, *, key_figure: bool) -> bool:
    """Whether the cell holds text that is not a number and should have been one."""
    q = quantity(v)
    if q is None or q.dash or q.number is not None:
        return False
    text = normalise_text(v.text or "")
    if text.upper() in NONE_WORDS or not any(ch.isalnum() for ch in text):
        return False
    return key_figure or any(ch in AMOUNTISH for ch in text)


def _cells(rec: SelfEvaluation | TargetDeclaration) -> list[tuple[Value, str, str, bool]]:
    if isinstance(rec, SelfEvaluation):
        out = []
        for name in FUND_ROWS:
            row = getattr(rec.funds, name)
            for col in AMOUNT_COLS:
                label = ROW_ZH[name] + COL_ZH[col]
                out.append((getattr(row, col), f"funds.{name}.{col}", label, name == "total"))
        return out
    return [
        (getattr(rec.funds, n), f"funds.{n}", label, f"funds.{n}" in KEY_FIELDS)
        for n, label in TD_ZH.items()
    ]


def non_numeric_amounts(rec: SelfEvaluation | TargetDeclaration, out: Collector) -> None:
    """One NON_NUMERIC error per amount cell whose text is not a number (see above)."""
    for v, field, label, key_figure in _cells(rec):
        if not_an_amount(v, key_figure=key_figure):
            out.add((FindingCode.NON_NUMERIC, VARIANT), field, [v], v.text, label=label)
