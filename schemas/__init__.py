"""Pydantic models shared by every layer. Pure data: no I/O, no SDKs."""

from schemas.findings import Finding, Severity
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
from schemas.results import DocumentResult, DocumentStatus, RecordResult
from schemas.values import MatchStatus, Provenance, Value
from schemas.version import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Cell",
    "DocumentGrid",
    "DocumentResult",
    "DocumentStatus",
    "Finding",
    "FundRow",
    "MatchStatus",
    "PageGrid",
    "Provenance",
    "Record",
    "RecordResult",
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
]
