"""Printed numbers as the validators read them, and the collector of their findings.

``num``/``amount`` turn a printed value into a ``Num`` (value, decimals shown, text) or None
when it is blank, ``-`` or not a number; ``Collector`` builds each finding (message in
English and Chinese, cells, severity) and applies R3: the rounding and tolerance every
comparison accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from extractor.checks.messages import EN, MONEY_UNITS, ROUNDING, SEVERITY, ZH
from extractor.checks.rules import RoundingMode, RuleSet
from schemas.findings import Finding, FindingCode, Severity
from schemas.numbers import decimals_printed
from schemas.records import quantity
from schemas.values import Value


@dataclass(frozen=True)
class Num:
    """A printed number: its value, how many decimals it shows, and the printed text."""

    value: Decimal
    decimals: int
    text: str


def num(
    v: Value, *, units: Iterable[str | None] = (None, "分"), percent: bool = True
) -> Num | None:
    """The value as a plain number (rate, score, weight); None if blank, '-' or not a number."""
    q = quantity(v)
    if q is None or q.number is None or q.dash or q.qualitative or q.operator is not None:
        return None
    if (q.percent and not percent) or (q.unit not in units and q.unit != "%"):
        return None
    return Num(q.number, decimals_printed(v.text) or 0, v.text or "")


def amount(v: Value) -> Num | None:
    """A money amount (thousands separators allowed; no %, no foreign unit)."""
    return num(v, units=(None, *MONEY_UNITS), percent=False)


def blank(v: Value) -> bool:
    q = quantity(v)
    return q is None or q.dash


def fmt(d: Decimal) -> str:
    """A recomputed value for a message: at most 4 decimals, trailing zeros past 2 dropped."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -4:
        d = d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    s = f"{d:f}"
    if "." not in s:
        return s
    whole, frac = s.split(".")
    frac = frac.rstrip("0").ljust(min(2, len(frac)), "0")
    return f"{whole}.{frac}" if frac else whole


def quantize(d: Decimal, places: int, mode: RoundingMode) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING[mode])


class Collector:
    """Collects the findings for one record under one rule set."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.findings: list[Finding] = []

    def add(
        self,
        code: FindingCode | tuple[FindingCode, str],
        field: str | None,
        values: Sequence[Value] = (),
        printed: str | None = None,
        expected: str | None = None,
        **kw: object,
    ) -> None:
        """One finding of ``code``, or of ``(code, variant)``: its messages are those of the
        key ``CODE:variant`` (else of the code); severity by that key (``SEVERITY``), else by
        code, else warning."""
        code, key = (code[0], f"{code[0]}:{code[1]}") if isinstance(code, tuple) else (code, code)
        cells: list[str] = []
        for v in values:
            for c in v.prov.cell_ids if v.prov is not None else []:
                if c not in cells:
                    cells.append(c)
        args = {"hint": "", "hint_zh": "", **kw, "printed": printed, "expected": expected}
        if isinstance(kw.get("i"), int):  # indicators are numbered from 1 for people
            args["i"] = int(kw["i"]) + 1  # type: ignore[call-overload]
        self.findings.append(
            Finding(
                code=code,
                severity=SEVERITY.get(key, SEVERITY.get(code, Severity.WARNING)),
                message=EN[key].format(field=field, **args),
                message_zh=ZH[key].format(field=field, **args),
                field=field,
                cells=cells,
                printed=printed,
                expected=expected,
                rule_set=self.rules.id,
            )
        )

    def accepts(self, printed: Num, computed: Decimal) -> bool:
        """R3: equal after an accepted rounding to the printed decimals, or within tolerance."""
        d = printed.decimals
        if any(quantize(computed, d, m) == printed.value for m in self.rules.rounding):
            return True
        return abs(printed.value - computed) <= self.rules.tolerance_for(d)

    def truncated_only(self, printed: Num, computed: Decimal) -> bool:
        """R3 where the region is unknown (the rule set accepts truncation and rounding):
        the printed value is the truncation of ``computed`` and rounding gives another.
        Right for Shanghai municipal forms, a slip on most others: the clerk checks."""
        modes = self.rules.rounding
        if RoundingMode.TRUNCATE not in modes or len(modes) < 2 or printed.decimals == 0:
            return False
        d = printed.decimals
        trunc = quantize(computed, d, RoundingMode.TRUNCATE)
        return trunc == printed.value and quantize(computed, d, RoundingMode.HALF_UP) != trunc

    def as_printed(self, computed: Decimal, decimals: int) -> str:
        """The recomputed value as the form would print it (first accepted rounding mode)."""
        return f"{quantize(computed, decimals, self.rules.rounding[0]):f}"


def number_or_warn(v: Value, field: str, label: str, out: Collector) -> Num | None:
    """The number in a score/weight/rate cell; MISSING_VALUE or NON_NUMERIC when there is none."""
    n = num(v)
    if n is None:
        out.add(
            FindingCode.MISSING_VALUE if blank(v) else FindingCode.NON_NUMERIC,
            field,
            [v],
            v.text,
            label=label,
        )
    return n
