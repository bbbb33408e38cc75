"""Pydantic models shared by every layer. Pure data: no I/O, no SDKs."""

from schemas.findings import Finding, FindingCode, Severity
from schemas.grid import Cell, DocumentGrid, PageGrid, Table, TextLine
from schemas.records import (
    FundRow,
    Record,
    SelfEvalFunds,
    SelfEvalIndicator,
    SelfEvaluation,
    TargetDeclaration,
    TargetDeclFunds,
    TargetIndicator,
)
from schemas.results import DocumentResult, DocumentStatus, RecordResult, Route
from schemas.values import LabelMatch, MatchStatus, Provenance, Value, ValueSource
from schemas.version import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Cell",
    "DocumentGrid",
    "DocumentResult",
    "DocumentStatus",
    "Finding",
    "FindingCode",
    "FundRow",
    "LabelMatch",
    "MatchStatus",
    "PageGrid",
    "Provenance",
    "Record",
    "RecordResult",
    "Route",
    "SelfEvalFunds",
    "SelfEvalIndicator",
    "SelfEvaluation",
    "Severity",
    "Table",
    "TargetDeclFunds",
    "TargetDeclaration",
    "TargetIndicator",
    "TextLine",
    "Value",
    "ValueSource",
]
