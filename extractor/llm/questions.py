"""The narrow question the model answers, as a strict pydantic response model.

The model never writes a value. It is shown short texts copied from the table cells, each
with a key (``t1``, ``t2`` …), laid out by table row, and says for every key what that text
is: the printed label of one field (``project_name``, ``executed``, ``level1`` …), some other
label (``other_label``: a section heading), or a ``value``. The response schema has exactly
those keys, each an enum of those kinds, so a grammar-constrained server cannot answer with
anything else, and a missing key, an extra key or an unknown kind fails validation and goes
back to the model through instructor's re-ask. Code then reads the values from the cells
under the labels, so every value stays grounded in a cell.

Measured with Qwen2.5-Coder-1.5B on the golden set: one question per text list (classify
each text) works far better than one question per field (pick the label among the texts),
where the model often picked the value next to a label.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from schemas.catalogue import entry, forms_of, printed_labels
from schemas.numbers import normalise_text, parse_decimal

# answer name -> (help for the model, [(mapper category, mapper field), ...])
FieldSpec = tuple[str, list[tuple[str, str]]]


def _zh(category: str, field: str) -> str:
    """A field's Chinese name in the label catalogue (the part after ·, 预期目标)."""
    e = entry(category, field)
    if e is None:
        raise KeyError(f"{category}.{field} is not in the label catalogue")
    return e.zh.split("·")[-1]


L, Z = printed_labels, _zh  # the label texts of the questions come from the catalogue
GROUPS: dict[str, dict[str, FieldSpec]] = {
    "header": {
        "project_name": (f"{L('key', 'project_name')} (project name)", [("key", "project_name")]),
        "department": (
            f"{L('key', 'department', 2)} (supervising department)",
            [("key", "department")],
        ),
        "implementing_unit": (
            f"{Z('key', 'implementing_unit')} (implementing unit)",
            [("key", "implementing_unit")],
        ),
        **{
            f: (Z("key", f), [("key", f)])
            for f in (
                "project_leader",
                "contact_phone",
                "project_nature",
                "project_category",
                "plan_start",
                "plan_end",
            )
        },
        "grade": (f"{Z('key', 'grade')} (grade row label)", [("key", "grade")]),
    },
    "funds": {
        "total_funds": (
            f"{Z('fund_rows', 'total')} / {Z('decl_funds', 'total')} (total funds)",
            [("decl_funds", "total"), ("fund_rows", "total")],
        ),
        "annual_request": (Z("decl_funds", "annual_request"), [("decl_funds", "annual_request")]),
        "fiscal_funds": (f"其中：{Z('decl_funds', 'fiscal')}", [("decl_funds", "fiscal")]),
        "current_year": (
            f"其中：{Z('decl_funds', 'current_year')}",
            [("decl_funds", "current_year"), ("fund_rows", "current_year")],
        ),
        "carryover": (
            Z("decl_funds", "carryover"),
            [("decl_funds", "carryover"), ("fund_rows", "carryover")],
        ),
        "other_funds": (
            Z("decl_funds", "other"),
            [("decl_funds", "other"), ("fund_rows", "other")],
        ),
        **{
            f: (f"{Z('fund_columns', f)} column", [("fund_columns", f)])
            for f in ("initial_budget", "full_year_budget", "executed", "execution_rate")
        },
    },
    "goals": {
        "goal_expected": (
            f"{Z('self_goals', 'goal_expected')} (column header over the expected-goal text)",
            [("self_goals", "goal_expected")],
        ),
        "goal_actual": (
            f"{Z('self_goals', 'goal_actual')} (column header over the achieved text)",
            [("self_goals", "goal_actual")],
        ),
        "goal_overall": (
            f"{Z('decl_goals', 'goal_overall')} (column header)",
            [("decl_goals", "goal_overall")],
        ),
        "goal_annual": (
            f"{Z('decl_goals', 'goal_annual')} (column header)",
            [("decl_goals", "goal_annual")],
        ),
    },
    "indicators": {
        "level1": (f"{Z('indicator_columns', 'level1')} column", [("indicator_columns", "level1")]),
        "level2": (f"{Z('indicator_columns', 'level2')} column", [("indicator_columns", "level2")]),
        "indicator_name": (
            f"{L('indicator_columns', 'name', 2)} column",
            [("indicator_columns", "name")],
        ),
        "target_value": (
            f"{Z('indicator_columns', 'target')} column",
            [("indicator_columns", "target")],
        ),
        "actual_value": (
            f"{Z('indicator_columns', 'actual')} column",
            [("indicator_columns", "actual")],
        ),
        "weight": (
            f"{L('fund_columns', 'weight', 3)} column",
            [("fund_columns", "weight"), ("indicator_columns", "weight")],
        ),
        "score": (
            f"{Z('fund_columns', 'score')} column",
            [("fund_columns", "score"), ("indicator_columns", "score")],
        ),
        "deviation_reason": (
            f"{Z('indicator_columns', 'deviation_reason')} column",
            [("indicator_columns", "deviation_reason")],
        ),
        "total_row": (
            f"{L('total_row', 'total_row', 2)} (total row label)",
            [("total_row", "total_row")],
        ),
    },
}

FIELDS: dict[str, FieldSpec] = {
    name: spec for group in GROUPS.values() for name, spec in group.items()
}
# Answer fields printed on one form only (the catalogue says which forms print each label);
# every other field may appear on both. A question about a self-evaluation never offers 项目性质
# or 计划开始日期: a small model fills every field it is offered, so offering fields the form
# cannot have invites wrong labels.
ONLY_ON: dict[str, str] = {
    name: next(iter(forms))
    for name, (_, specs) in FIELDS.items()
    if len(forms := frozenset().union(*(forms_of(c, f) for c, f in specs))) == 1
}


def fields_for(forms: set[str] | None = None) -> dict[str, FieldSpec]:
    """The fields that can be printed on any of ``forms`` (all when None)."""
    return {
        name: spec
        for name, spec in FIELDS.items()
        if forms is None or ONLY_ON.get(name) is None or ONLY_ON[name] in forms
    }


OTHER_LABEL = "other_label"
VALUE = "value"

_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_candidate(text: str) -> bool:
    """A short non-numeric text with Chinese in it: something that could be a label."""
    t = normalise_text(text)
    return 1 < len(t) <= 20 and bool(_CJK.search(t)) and parse_decimal(t) is None


class TextKinds(BaseModel):
    """Base of every answer: key ``tN`` -> what the N-th text is (all keys required)."""

    model_config = ConfigDict(extra="forbid")


def kinds_model(n_texts: int, forms: set[str] | None = None) -> type[TextKinds]:
    """The response model for ``n_texts`` texts; with ``forms``, only the fields those forms
    print are offered (a small model fills what it is offered)."""
    names = [*fields_for(forms), OTHER_LABEL, VALUE]
    kind: Any = Enum("Kind", {n: n for n in names}, type=str)  # type: ignore[misc]
    fields: dict[str, Any] = {f"t{i}": (kind, ...) for i in range(1, n_texts + 1)}
    model: type[TextKinds] = create_model("TextKinds", __base__=TextKinds, **fields)
    return model


def field_help(forms: set[str] | None = None) -> str:
    lines = [f"- {name}: {help_}" for name, (help_, _) in fields_for(forms).items()]
    lines.append(
        f"- {OTHER_LABEL}: a heading or label of none of these fields (绩效指标, 项目资金 …)"
    )
    lines.append(
        f"- {VALUE}: a value (a name, department, person, phone, amount, sentence, target)"
    )
    return "\n".join(lines)


def keyed_rows(rows: list[list[tuple[str, bool]]]) -> str:
    """One line per table row, e.g. ``- 项目名称 | t1 信息化运维项目``: texts asked about get
    keys numbered in order; the others are shown as context, without a key."""
    out, k = [], 0
    for row in rows:
        cells = []
        for text, ask in row:
            if ask:
                k += 1
                cells.append(f"t{k} {text}")
            else:
                cells.append(text)
        out.append("- " + " | ".join(cells))
    return "\n".join(out)


def labels_from_kinds(answer: TextKinds, texts: list[str]) -> dict[str, dict[str, str]]:
    """canonical text -> {mapper category: mapper field} from one answer."""
    out: dict[str, dict[str, str]] = {}
    for i, text in enumerate(texts, start=1):
        kind = getattr(answer, f"t{i}")
        name = kind.value if isinstance(kind, Enum) else str(kind)
        if name in FIELDS:
            for category, field in FIELDS[name][1]:
                out.setdefault(normalise_text(text), {})[category] = field
    return out


class ModelLabeler:
    """A labeler from the model's answers, optionally falling back to the regex patterns."""

    def __init__(self, labels: dict[str, dict[str, str]], fallback: Any = None) -> None:
        self.labels = labels
        self.fallback = fallback

    def __call__(self, text: str, category: str) -> str | None:
        hit = self.labels.get(normalise_text(text), {}).get(category)
        if hit is not None:
            return hit
        return self.fallback(text, category) if self.fallback is not None else None
