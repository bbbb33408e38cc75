"""The one label catalogue: every field's printed labels, Chinese name and section.

The labels are declared once, as field metadata on the pydantic models of
``schemas.records`` (``json_schema_extra={"zh": ..., "labels": [...]}``); this module reads
them and is what the mapper (``extractor.layout.headers``), the model's questions, the
validators' messages and the review screen use. A label is a regex over the *label key*:
the printed text normalised by ``label_key`` (NFKC, whitespace, a leading 其中 or
enumerator such as ``(一)``/``1、``, bracketed notes such as ``(A)``, ``(万元)``, ``(20分)``,
``(盖章)``, codes ``[015001]``, a trailing 小计 and colons removed). The first label of a
field is its standard printed label, the others are synonyms real forms print; a label
that misses every pattern by a little (a typo, one character dropped) is matched by
similarity (``fuzzy``), and the mapper records which of the three matched.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from pydantic import BaseModel

from schemas.fields import (
    HEADER_TEXT_FIELDS,
    SELF_EVALUATION,
    SELF_GOAL_FIELDS,
    TARGET_DECLARATION,
    TARGET_GOAL_FIELDS,
    TARGET_HEADER_EXTRA,
)
from schemas.records import (
    FundRow,
    SelfEvalFunds,
    SelfEvalIndicator,
    SelfEvaluation,
    TargetDeclaration,
    TargetDeclFunds,
    TargetIndicator,
)
from schemas.values import LabelMatch

FUZZY_THRESHOLD = 0.75  # SequenceMatcher ratio a near-miss needs (one character of four)
FUZZY_MIN_LEN = 4  # shorter labels must match a pattern (two characters differ too easily)

SECTIONS_ZH = {
    "header": "基本信息",
    "funds": "资金",
    "goals": "目标",
    "indicators": "绩效指标",
    "totals": "总分与等级",
}


@dataclass(frozen=True)
class Entry:
    category: str  # the mapper's question: key, decl_funds, fund_columns, ...
    field: str  # the schema field the label names
    zh: str  # the field's Chinese name
    section: str  # header | funds | goals | indicators | totals
    patterns: tuple[str, ...]  # regexes over label_key(text); [0] is the standard label

    @property
    def synonyms(self) -> tuple[str, ...]:
        """The patterns that are one plain word (``^词$``), for similarity matching."""
        out = []
        for p in self.patterns:
            m = re.fullmatch(r"\^([\u4e00-\u9fff]+)\$", p)
            if m:
                out.append(m.group(1))
        return tuple(out)

    @property
    def words(self) -> tuple[str, ...]:
        """The labels that are one word (``^词$`` or ``^词``), in order: for prompts."""
        out = []
        for p in self.patterns:
            m = re.fullmatch(r"\^([\u4e00-\u9fff]+)\$?", p)
            if m:
                out.append(m.group(1))
        return tuple(out)


def _meta(model: type[BaseModel], name: str) -> tuple[str, tuple[str, ...]]:
    extra = model.model_fields[name].json_schema_extra
    if not isinstance(extra, dict):
        return name, ()
    zh = str(extra.get("zh", name))
    labels = extra.get("labels") or []
    return zh, tuple(str(x) for x in labels) if isinstance(labels, list) else ()


def _entries(
    category: str, model: type[BaseModel], section: str, names: tuple[str, ...] | None = None
) -> list[Entry]:
    out = []
    for name in names or tuple(model.model_fields):
        zh, labels = _meta(model, name)
        if labels:
            out.append(Entry(category, name, zh, section, labels))
    return out


# Header fields printed as key-value labels (金额单位 is read from the funds header instead).
KEY_FIELDS = tuple(f for f in HEADER_TEXT_FIELDS if f != "money_unit")
DECL_KEY_FIELDS = TARGET_HEADER_EXTRA
# 实际完成值 is tried before 指标值 (a label may contain the other).
_IND_ORDER = ("level1", "level2", "name", "actual", "target", "weight", "score", "deviation_reason")


# A target split over cells (指标性质 | 指标值 | 度量单位): the parts around 指标值, joined
# into ``target`` by the mapper; no schema field of their own.
_TARGET_PARTS = [
    Entry(
        "indicator_columns", "target_op", "指标性质", "indicators", (r"^指标性质$", r"^运算符号?$")
    ),
    Entry(
        "indicator_columns",
        "target_unit",
        "度量单位",
        "indicators",
        (r"^(度量|计量)单位$", r"^单位$"),
    ),
]


def _build() -> dict[str, list[Entry]]:
    grade = _entries("key", SelfEvaluation, "totals", ("grade",))
    return {
        "key": _entries("key", SelfEvaluation, "header", KEY_FIELDS)
        + _entries("key", TargetDeclaration, "header", DECL_KEY_FIELDS)
        + grade,
        "decl_funds": _entries("decl_funds", TargetDeclFunds, "funds"),
        "fund_columns": _entries("fund_columns", FundRow, "funds"),
        "fund_rows": _fund_rows(),
        "self_goals": _entries("self_goals", SelfEvaluation, "goals", SELF_GOAL_FIELDS),
        "decl_goals": _entries("decl_goals", TargetDeclaration, "goals", TARGET_GOAL_FIELDS),
        "indicator_columns": _entries("indicator_columns", SelfEvalIndicator, "indicators", _IND_ORDER)
        + _TARGET_PARTS,
        "total_row": [
            Entry("total_row", "total_row", "总分", "totals", _meta(SelfEvaluation, "total_score")[1])
        ],
    }  # fmt: skip


def _fund_rows() -> list[Entry]:
    # 当年财政拨款 before 资金总额 (年度资金总额 never says 拨款); total last.
    es = _entries("fund_rows", SelfEvalFunds, "funds")
    order = ("current_year", "carryover", "other", "total")
    return sorted(es, key=lambda e: order.index(e.field))


CATALOGUE: dict[str, list[Entry]] = _build()

# Labels real forms print that name no field (block titles, check lists, fund lines with
# no key, columns the schema does not keep). Known, so never reported as unknown.
NO_KEY = [
    r"^(项目)?资金(情况|使用情况|申请)?$",
    r"^资金(来源|构成)$",
    r"^项目资金$",
    r"^金额$",
    r"^(绩效指标|绩效目标完成情况|年度绩效目标\d*|绩效项目指标表|预算执行情况)$",
    r"^(总体目标|项目绩效目标|年度总体目标)$",
    r"^(项目属性|项目分类|单位名称|填报日期|填报单位|备注|说明)$",
    r"^(上级|自有|本级|中央|省级|市级|县级)(资金|财政)",
    r"^(一般公共预算|政府性基金|国有资本经营预算|事业收入|经营性?收入|当年其他资金)$",
    r"^财政专户管理资金$",
    r"^单位资金$",
    r"^偏差大或目标未完成原因分析$",
    r"^改进措施及结果应用方案$",
]

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>")
_LEAD = re.compile(r"^(其中[:：]?|\(?[一二三四五六七八九十]+[)、.]|\d+[、.)]|[①-⑩])+")
_TAIL_UNIT = re.compile(r"([/／]?(万元|元)|\d+(\.\d+)?分)$")
_QUALIFIER = re.compile(r"[(（]\s*(长期|中长期|中期|年度|当年)\s*[)）]")


def label_key(text: str) -> str:
    """The normalised label text that catalogue patterns match (see the module docstring)."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    prev = None
    while prev != s:
        prev = s
        s = _BRACKETS.sub("", s)
        s = _LEAD.sub("", s)
        s = s.strip(":：;；,，.。、")
        s = re.sub(r"小计$", "", s) if len(s) > 2 else s
        s = _TAIL_UNIT.sub("", s) if len(s) > 2 else s
    return s


def qualifier(text: str) -> str | None:
    """The period a column label is qualified with: ``年度`` or ``长期`` (中期 …), else None."""
    m = _QUALIFIER.search(unicodedata.normalize("NFKC", text or ""))
    if not m:
        return None
    return "年度" if m.group(1) in ("年度", "当年") else "长期"


@lru_cache(maxsize=32)
def _compiled(category: str) -> list[tuple[Entry, list[re.Pattern[str]]]]:
    return [(e, [re.compile(p) for p in e.patterns]) for e in CATALOGUE[category]]


_NO_KEY = [re.compile(p) for p in NO_KEY]


def lookup(text: str, category: str, *, fuzzy: bool = True) -> tuple[str, LabelMatch] | None:
    """(field, how) for a printed label in ``category``; how is ``label`` (the standard
    label), ``synonym``, ``fuzzy``, or the source of a learned label (``taught``: accepted
    from clerks' corrections; ``model``: the model's answer for this document), which is
    only consulted where the catalogue itself has no match. None when the text names no
    field there."""
    hit = _lookup(text, category, fuzzy=fuzzy)
    if hit is not None:
        return hit
    learned = _LEARNED.get()
    if not learned:
        return None
    return learned.get((label_key(text), category))


# Learned labels in effect: (label key, category) -> (field, source). Set per document by
# ``learned_labels``, read by ``lookup`` (so segmentation, the mapper and the unknown-label
# findings all see them). A context variable: safe across threads and batch workers.
_LEARNED: ContextVar[dict[tuple[str, str], tuple[str, LabelMatch]] | None] = ContextVar(
    "jixiao_learned_labels", default=None
)


@dataclass(frozen=True)
class Learned:
    """A label learned outside the catalogue: printed text, its category and field, source."""

    text: str
    category: str
    field: str
    source: LabelMatch  # TAUGHT or MODEL


@contextmanager
def learned_labels(labels: Iterable[Learned]) -> Iterator[None]:
    """Within the block, ``lookup`` also knows ``labels`` (added to the ones in effect)."""
    merged = dict(_LEARNED.get() or {})
    for lb in labels:
        key = label_key(lb.text)
        if key:
            merged.setdefault((key, lb.category), (lb.field, lb.source))
    token = _LEARNED.set(merged)
    try:
        yield
    finally:
        _LEARNED.reset(token)


def in_effect() -> list[Learned]:
    """The learned labels ``lookup`` knows here (of every source)."""
    return [Learned(k, cat, f, src) for (k, cat), (f, src) in (_LEARNED.get() or {}).items()]


def catalogue_version(extra: Iterable[Learned] = ()) -> str:
    """A short digest of the catalogue's patterns and of ``extra`` (taught labels): part of
    every cache key and stored result, so a changed catalogue is never mistaken for the old."""
    parts = [
        f"{e.category}.{e.field}:{'|'.join(e.patterns)}" for es in CATALOGUE.values() for e in es
    ]
    parts += NO_KEY
    parts += sorted(f"{lb.category}.{lb.field}={label_key(lb.text)}" for lb in extra)
    return "cat-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


@lru_cache(maxsize=65536)
def _lookup(text: str, category: str, *, fuzzy: bool = True) -> tuple[str, LabelMatch] | None:
    """The catalogue's own answer. Cached: a form asks about the same few hundred texts
    thousands of times (the catalogue is fixed for the life of a process)."""
    key = label_key(text)
    if not key:
        return None
    for e, pats in _compiled(category):
        for i, rx in enumerate(pats):
            if rx.search(key):
                return e.field, LabelMatch.LABEL if i == 0 else LabelMatch.SYNONYM
    if not fuzzy or len(key) < FUZZY_MIN_LEN or re.search(r"\d", key):
        return None
    if any(rx.search(key) for rx in _NO_KEY):
        return None  # a known label with no key (项目属性) is no near-miss of another
    best: tuple[float, str] | None = None
    for e, _ in _compiled(category):
        for syn in e.synonyms:
            if abs(len(syn) - len(key)) > 1:
                continue
            r = SequenceMatcher(None, key, syn).ratio()
            if r >= FUZZY_THRESHOLD and (best is None or r > best[0]):
                best = (r, e.field)
    return (best[1], LabelMatch.FUZZY) if best else None


def is_known(text: str) -> bool:
    """Whether the text is a label of any category or a known label with no key."""
    key = label_key(text)
    if not key:
        return True
    if any(rx.search(key) for rx in _NO_KEY):
        return True
    return any(lookup(text, cat) is not None for cat in CATALOGUE)


def entry(category: str, field: str) -> Entry | None:
    return next((e for e in CATALOGUE[category] if e.field == field), None)


def printed_labels(category: str, field: str, n: int = 1) -> str:
    """The first ``n`` one-word labels of a field, ``主管部门 / 主管单位`` (its Chinese name
    when it has none): how prompts and messages name a label."""
    e = entry(category, field)
    if e is None:
        raise KeyError(f"{category}.{field} is not in the label catalogue")
    return " / ".join(e.words[:n]) or e.zh


# Category → the model that holds its fields on each form type that prints them.
_HOLDERS: dict[str, dict[str, type[BaseModel]]] = {
    "key": {SELF_EVALUATION: SelfEvaluation, TARGET_DECLARATION: TargetDeclaration},
    "decl_funds": {TARGET_DECLARATION: TargetDeclFunds},
    "fund_columns": {SELF_EVALUATION: FundRow},
    "fund_rows": {SELF_EVALUATION: SelfEvalFunds},
    "self_goals": {SELF_EVALUATION: SelfEvaluation},
    "decl_goals": {TARGET_DECLARATION: TargetDeclaration},
    "indicator_columns": {SELF_EVALUATION: SelfEvalIndicator, TARGET_DECLARATION: TargetIndicator},
    "total_row": {SELF_EVALUATION: SelfEvaluation},
}  # fmt: skip
# Labels with no schema field of their own, and the field they stand for.
_STANDS_FOR = {"total_row": "total_score", "target_op": "target", "target_unit": "target"}


def forms_of(category: str, field: str) -> frozenset[str]:
    """The form types (``form_type``) that print the label of ``category.field``."""
    name = _STANDS_FOR.get(field, field)
    return frozenset(f for f, m in _HOLDERS[category].items() if name in m.model_fields)


def zh(model: type[BaseModel], field: str) -> str:
    """The Chinese name of a schema field (the field name when it has none)."""
    return _meta(model, field)[0]


FUND_ROW_ZH = {f: zh(SelfEvalFunds, f) for f in SelfEvalFunds.model_fields}
FUND_COLUMN_ZH = {f: zh(FundRow, f) for f in FundRow.model_fields}
DECL_FUND_ZH = {f: zh(TargetDeclFunds, f) for f in TargetDeclFunds.model_fields}
INDICATOR_ZH = {f: zh(SelfEvalIndicator, f) for f in SelfEvalIndicator.model_fields}
RECORD_ZH = {
    **{f: zh(SelfEvaluation, f) for f in SelfEvaluation.model_fields},
    **{f: zh(TargetDeclaration, f) for f in TargetDeclaration.model_fields},
}
