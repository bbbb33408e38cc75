"""An extracted value: the printed string plus where it was read and how it matched."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, computed_field

from schemas.grid import BBox
from schemas.numbers import Quantity, parse_quantity


class MatchStatus(StrEnum):
    EXACT = "exact"  # the value equals its cell's text
    NORMALISED = "normalised"  # equal after full-width / whitespace normalisation
    # Equal to the OCR text of a scanned cell once OCR confusions are folded (0/O, 1/l/I,
    # separators, full-width digits); Provenance.ocr_read keeps the OCR text.
    OCR_NORMALISED = "ocr_normalised"
    CONTAINED = "contained"  # read out of a longer cell or line (year in a title, unit in a header)
    VOCABULARY = "vocabulary"  # a clipped label completed from the fixed indicator vocabulary
    INFERRED = "inferred"  # a blank merged label inferred from its sub-label (taxonomy)
    UNGROUNDED = "ungrounded"  # not found in the cited cell: rejected


class ValueSource(StrEnum):
    """Who read a value (``Provenance.source``)."""

    LAYOUT = "layout"  # the deterministic mapper
    LLM = "llm"  # the model (hybrid merge, indicator cell fill)
    REVIEWER = "reviewer"  # a clerk's correction (the review screen)


class LabelMatch(StrEnum):
    """How a printed label matched the catalogue (``catalogue.lookup``); the source of a
    learned label (``catalogue.Learned.source``). ``Provenance.label_match`` keeps it where
    the label was not the standard one (never ``label``)."""

    LABEL = "label"  # the standard label of the field
    SYNONYM = "synonym"  # another label of the field
    FUZZY = "fuzzy"  # by similarity
    TAUGHT = "taught"  # accepted from clerks' corrections (``jixiao labels --teach``)
    MODEL = "model"  # the model's answer for this document
    INFERRED = "inferred"  # settled by similarity among close fields (label assist)


class Provenance(BaseModel):
    page: int | None = None
    cell_ids: list[str] = Field(default_factory=list)
    bbox: BBox | None = None
    match: MatchStatus = MatchStatus.EXACT
    # Who read the value: the deterministic mapper, the model, or a clerk.
    source: ValueSource = ValueSource.LAYOUT
    # OCR: the lowest confidence of the cited cells (None for a text layer).
    confidence: float | None = None
    # OCR: the cells' text as read, when the value differs from it (ocr_normalised).
    ocr_read: str | None = None
    # How the label the value was read under matched the catalogue where it was not the
    # standard label: synonym, fuzzy, or a learned label's source (taught, model).
    label_match: LabelMatch | None = None


class Value(BaseModel):
    """A printed value. ``text`` is what the form prints (None when the cell is empty)."""

    text: str | None = None
    prov: Provenance | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def parsed(self) -> Quantity | None:
        """The printed text parsed: Decimal number, operator, unit, percent, qualitative."""
        return parse_quantity(self.text)

    @property
    def present(self) -> bool:
        return self.text is not None and self.text != ""
