"""Parsing printed numbers, amounts, percentages and indicator targets.

Pure functions. The printed string is never changed; parsing yields a ``Quantity`` beside it.
Handles thousands separators, full-width digits and signs, ``%``/``(%)``, units in brackets
(``=3.00(次)``), comparison operators (=, ≥, ≤, >, <, and the variants forms print:
``》``, ``⩾``, ``大于``, ``不低于``…), and targets that are qualitative (``达成指标``, ``及时``).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel

# Operator spellings seen on forms, mapped to a canonical symbol. Longest first.
_OPERATORS: list[tuple[str, str]] = [
    ("不低于", "≥"),
    ("不少于", "≥"),
    ("不高于", "≤"),
    ("不超过", "≤"),
    ("不多于", "≤"),
    ("大于等于", "≥"),
    ("小于等于", "≤"),
    ("大于", ">"),
    ("小于", "<"),
    ("高于", ">"),
    ("低于", "<"),
    ("超过", ">"),
    ("≥", "≥"),
    ("⩾", "≥"),
    (">=", "≥"),
    ("≤", "≤"),
    ("⩽", "≤"),
    ("<=", "≤"),
    ("》", "≥"),  # printed on some forms where ≥ was meant
    ("《", "≤"),
    ("=", "="),
    (">", ">"),
    ("<", "<"),
]

_NUM_RE = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?|[-+]?\.\d+")
_UNIT_RE = re.compile(r"^\s*[(（]\s*([^()（）]*?)\s*[)）]\s*$")


class Quantity(BaseModel):
    """A parsed printed value. ``number`` is None for qualitative text."""

    number: Decimal | None = None
    operator: str | None = None  # canonical: =, ≥, ≤, >, <
    unit: str | None = None  # e.g. 万元, 元, 次, %, 人次
    percent: bool = False
    qualitative: bool = False
    dash: bool = False  # the form prints "-" (not applicable)


def normalise_text(s: str) -> str:
    """NFKC (full-width digits, letters and brackets to ASCII) and all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def parse_decimal(text: str | None) -> Decimal | None:
    """A plain number, thousands separators and a trailing % allowed; None otherwise."""
    if text is None:
        return None
    s = normalise_text(text).replace("%", "").replace("％", "")
    if not s:
        return None
    s = s.replace(",", "")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def decimals_printed(text: str | None) -> int | None:
    """How many decimals a printed number shows (``"9.94"`` → 2, ``"10"`` → 0)."""
    if text is None:
        return None
    m = _NUM_RE.search(normalise_text(text))
    if not m:
        return None
    s = m.group(0)
    return len(s.split(".", 1)[1]) if "." in s else 0


def _strip_operator(s: str) -> tuple[str | None, str]:
    for spelling, canon in _OPERATORS:
        if s.startswith(spelling):
            return canon, s[len(spelling) :]
    return None, s


def parse_quantity(text: str | None) -> Quantity | None:
    """Parse an amount, rate or indicator value. None when the text is empty."""
    if text is None:
        return None
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        return None
    compact = re.sub(r"\s+", "", raw)
    if compact in {"-", "—", "－", "/", "--"}:
        return Quantity(dash=True)
    op, rest = _strip_operator(compact)
    m = _NUM_RE.match(rest)
    if not m:
        return Quantity(operator=op, qualitative=True)
    number_s = m.group(0)
    tail = rest[m.end() :]
    try:
        number = Decimal(number_s.replace(",", ""))
    except InvalidOperation:
        return Quantity(operator=op, qualitative=True)
    percent = False
    unit: str | None = None
    if tail.startswith("%"):
        percent, tail = True, tail[1:]
    um = _UNIT_RE.match(tail)
    if um:
        unit = um.group(1) or None
        if unit == "%":
            percent = True
        tail = ""
    elif tail and len(tail) <= 4 and not re.search(r"\d", tail):
        unit, tail = tail, ""
    if tail:
        # Trailing words ("100%百分百", "2023全年"): keep the number, mark as mixed text.
        return Quantity(number=number, operator=op, unit=unit, percent=percent, qualitative=True)
    return Quantity(number=number, operator=op, unit=unit, percent=percent)


def unit_of_header(text: str | None) -> str | None:
    """The money unit in a funds header such as ``项目资金（万元）``: 万元, 元 or None."""
    if not text:
        return None
    s = normalise_text(text)
    if "万元" in s:
        return "万元"
    if re.search(r"[(（]元[)）]|单位:?元", s):
        return "元"
    return None
