"""The FORMAT.md field lists of ``schemas.fields`` agree with the record models."""

from __future__ import annotations

from schemas.fields import (
    FORM_KEYS,
    HEADER_FIELDS,
    NON_FORMAT_FIELDS,
    SELF_EVALUATION,
    TARGET_DECLARATION,
)
from schemas.golden import to_golden
from schemas.records import SelfEvaluation, TargetDeclaration


def test_form_keys_are_the_model_fields() -> None:
    for form, model in ((SELF_EVALUATION, SelfEvaluation), (TARGET_DECLARATION, TargetDeclaration)):
        keys = FORM_KEYS[form]
        assert len(set(keys)) == len(keys)
        assert set(keys) == set(model.model_fields) - set(NON_FORMAT_FIELDS)
        assert keys[: len(HEADER_FIELDS)] == HEADER_FIELDS


def test_to_golden_emits_the_form_keys_in_order() -> None:
    for form, record in (
        (SELF_EVALUATION, SelfEvaluation()),
        (TARGET_DECLARATION, TargetDeclaration()),
    ):
        out = to_golden(record, with_provenance=False)
        assert list(out) == [*FORM_KEYS[form], "pages"]
