"""The StrEnums of stored strings: finding codes, value sources, label matches, routes.

Every finding code the checks set is a ``FindingCode`` member and has its messages; each
member's value is the string stored in the database and written to JSON, so stored data
and golden files stay valid."""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

from extractor.checks.messages import EN, SEVERITY, ZH
from schemas.findings import Finding, FindingCode, Severity
from schemas.results import RecordResult, Route
from schemas.values import LabelMatch, Provenance, ValueSource

ROOT = Path(__file__).resolve().parents[1]
CHECKS = sorted((ROOT / "extractor" / "checks").glob("*.py"))


def _code_of(node: ast.expr) -> str | None:
    """``FindingCode.X`` → "X"; a string literal → itself (the checks should use neither)."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "FindingCode"
    ):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _used_keys() -> tuple[set[tuple[str, str | None]], set[str], list[str]]:
    """Message keys passed to ``Collector.add`` as (code, variant); codes set on a
    ``Finding(code=…)`` directly; and every string literal passed as a code (none)."""
    added: set[tuple[str, str | None]] = set()
    direct: set[str] = set()
    literals: list[str] = []
    for path in CHECKS:
        module = importlib.import_module(f"extractor.checks.{path.stem}")  # its messages too
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "add" and node.args:
                first = node.args[0]
                variant: str | None = None
                if isinstance(first, ast.Tuple):
                    first, var = first.elts
                    if isinstance(var, ast.Constant):
                        variant = var.value
                    else:  # a module constant (amounts.VARIANT)
                        assert isinstance(var, ast.Name)
                        variant = getattr(module, var.id)
                elif isinstance(first, ast.IfExp):
                    for branch in (first.body, first.orelse):
                        if (code := _code_of(branch)) is not None:
                            added.add((code, None))
                    continue
                code = _code_of(first)
                if code is not None:
                    added.add((code, variant))
                    if isinstance(first, ast.Constant):
                        literals.append(f"{path.name}:{node.lineno} {code}")
            for kw in node.keywords:
                if kw.arg == "code" and (code := _code_of(kw.value)) is not None:
                    direct.add(code)
                    if isinstance(kw.value, ast.Constant):
                        literals.append(f"{path.name}:{node.lineno} {code}")
    return added, direct, literals


def test_every_code_the_checks_set_is_a_member_with_messages() -> None:
    added, direct, literals = _used_keys()
    assert not literals, f"codes written as strings, not FindingCode members: {literals}"
    assert len(added) > 30  # the walk found the checks' calls (a broken walk finds none)
    members = {c.name for c in FindingCode}
    assert {code for code, _ in added} | direct <= members
    for code, variant in added:
        key = f"{FindingCode[code]}:{variant}" if variant else FindingCode[code].value
        assert key in EN and key in ZH, f"no message for {key}"


def test_message_tables_are_keyed_by_codes() -> None:
    assert EN.keys() == ZH.keys()
    for key in [*EN, *SEVERITY]:
        assert key.split(":")[0] in set(FindingCode), key


def test_values_are_the_stored_strings() -> None:
    for enum in (FindingCode, ValueSource, LabelMatch, Route):
        for member in enum:
            assert member == member.value and str(member) == member.value
            assert json.dumps({"v": member}) == json.dumps({"v": member.value})
    assert FindingCode.R1 == "R1" and FindingCode.UNGROUNDED == "UNGROUNDED"
    assert ValueSource.LLM == "llm" and ValueSource.REVIEWER == "reviewer"
    assert LabelMatch.SYNONYM == "synonym" and Route.hybrid == "hybrid"


def test_models_read_and_write_the_same_strings() -> None:
    f = Finding(code="R9", severity=Severity.ERROR, message="m", message_zh="m")
    assert f.code is FindingCode.R9
    assert f.model_dump(mode="json")["code"] == "R9"
    p = Provenance.model_validate({"source": "reviewer", "label_match": "fuzzy"})
    assert p.source is ValueSource.REVIEWER and p.label_match is LabelMatch.FUZZY
    assert json.loads(p.model_dump_json())["source"] == "reviewer"
    assert Provenance().source is ValueSource.LAYOUT
    rr = RecordResult.model_validate({"record": {"form_type": "self_evaluation"}, "route": "llm"})
    assert rr.route is Route.llm and json.loads(rr.model_dump_json())["route"] == "llm"
