"""Assist stage (hybrid mode): ask the model about every label text the catalogue does not
know (and about a table where no form start was found), re-read the document with the
answers, and keep each record's new reading only where it adds values and no error
finding; then let the model cite the indicator cells of tables the mapper could not
follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractor.layout.headers import regex_labeler
from extractor.layout.mapper import MapIssue, MapNotes, MapProblem
from extractor.layout.segment import Segment, Segmentation, form_hints, row_stream, segment
from extractor.llm.merge import fill_missing
from extractor.stages.check import Checking, Outcome, error_count, quality, ungrounded
from extractor.stages.map import Images, map_records
from schemas.catalogue import Learned, catalogue_version, in_effect, learned_labels
from schemas.document_errors import DocumentError, ErrorCode
from schemas.grid import DocumentGrid
from schemas.records import Record, SelfEvaluation, iter_values
from schemas.results import RecordResult
from schemas.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from extractor.llm.asker import Asker

ASSIST_ROUNDS = 3  # a table with no record found, then its records, then what is left
CELL_FILL_MIN_ROWS = 4  # a record of fewer rows has no indicator table to read

Reading = tuple[Segmentation, list[Outcome], set[int]]  # records, readings, indices helped


@dataclass
class Assist:
    """One document's hybrid reading: ``run`` returns its segmentation, each record's
    reading and the indices of the records the model helped; a question without an
    answer adds an error to ``errors``."""

    grid: DocumentGrid
    asker: Asker
    checking: Checking
    errors: list[DocumentError]
    images: Images

    def run(self, seg: Segmentation, outcomes: list[Outcome]) -> Reading:
        learned, reread = self.learn(seg, outcomes)
        with learned_labels(learned):
            if learned:
                seg, outcomes, helped = merge_readings(
                    self.grid, (seg, outcomes), reread, self.checking
                )
            else:
                helped = set()
            helped |= self.fill_by_cells(seg, outcomes, key_parts(self.grid, []))
        return seg, outcomes, helped

    def learn(
        self, seg: Segmentation, outcomes: list[Outcome]
    ) -> tuple[list[Learned], tuple[Segmentation, list[Outcome]]]:
        """The labels learned over up to ``ASSIST_ROUNDS`` rounds of questions, each round
        asking about what the document, re-read with the labels learned so far, still
        does not know; and the document's last reading (with every label learned)."""
        from extractor.llm.assist import ask_unknown, label_questions
        from extractor.llm.route import forms_of

        learned: list[Learned] = []
        asked: set[str] = set()
        forms = forms_of(seg.segments) if seg.segments else (form_hints(self.grid) or None)
        cur_seg, cur_out = seg, outcomes
        for round_ in range(ASSIST_ROUNDS):
            orphans = _orphan_tables(cur_seg)
            segs = [*orphans, *cur_seg.segments]
            used = [set[str]() for _ in orphans] + [_used_ids(o) for o in cur_out]
            with learned_labels(learned):
                qs = label_questions(segs, used, forms, asked, first=round_ == 0)
            if not qs:
                if round_ == 0:
                    continue  # no first text unknown: the other texts may be
                break
            pages = sorted({p for s in segs for p in s.pages})
            parts = key_parts(self.grid, pages)  # the catalogue before this document taught it
            with learned_labels(learned):
                new = ask_unknown(self.asker, qs, parts, self.images(pages), self.errors)
            if not new:
                continue
            learned += new
            with learned_labels(learned):
                cur_seg = segment(self.grid)
                cur_out = map_records(cur_seg.segments, regex_labeler, self.checking, [])
        return learned, (cur_seg, cur_out)

    def fill_by_cells(
        self, seg: Segmentation, outcomes: list[Outcome], parts: dict[str, Any]
    ) -> set[int]:
        """Records with table rows but no indicator row read (the mapper could not follow
        the table): the model cites the indicator cells (``extractor.llm.cellfill``); the
        rows are kept where they add no error finding. The indices of the records helped."""
        from extractor.llm.cellfill import ask_indicators
        from extractor.llm.failures import LLMError

        helped = set()
        for i, (s, o) in enumerate(zip(seg.segments, outcomes, strict=True)):
            if o is None or o[0].record.indicators or len(s.rows) <= CELL_FILL_MIN_ROWS:
                continue
            rec = o[0].record
            self_eval = isinstance(rec, SelfEvaluation)
            try:
                rows = ask_indicators(self.asker, s, self_eval, {**parts, "pages": s.pages})
            except LLMError as e:
                # One table the model could not cite is enough: the document's other
                # records (one template) are not asked again.
                self.errors.append(DocumentError(code=ErrorCode.MODEL, message=str(e)))
                break
            if not rows:
                continue
            cand = rec.model_copy(deep=True)
            cand.indicators = rows
            merged = hybrid(o, (RecordResult(record=cand, findings=[]), o[1]), self.checking)
            if merged is not None:
                outcomes[i] = merged
                helped.add(i)
        return helped


def key_parts(grid: DocumentGrid, pages: list[int]) -> dict[str, Any]:
    """What a model answer's cache key holds besides the question: the document, its pages,
    the schema and the catalogue in effect (learned labels included)."""
    return {
        "pdf_sha256": grid.sha256,
        "pages": pages,
        "schema_version": SCHEMA_VERSION,
        "catalogue_version": catalogue_version(in_effect()),
    }


def resolved(problem: MapProblem, record: Record) -> bool:
    """Whether the filled ``record`` no longer has the mapper's ``problem``."""
    if problem.issue is MapIssue.NO_PROJECT_NAME:
        return bool(record.project_name.text)
    if problem.issue is MapIssue.NO_INDICATORS:
        return bool(record.indicators)
    return False


def hybrid(
    old: tuple[RecordResult, MapNotes], cand: tuple[RecordResult, MapNotes], checking: Checking
) -> tuple[RecordResult, MapNotes] | None:
    """The layout reading with its empty fields filled from the model's reading, kept only
    when it adds values and no error finding (None otherwise)."""
    record, filled = fill_missing(old[0].record, cand[0].record)
    if not filled:
        return None
    notes = MapNotes(problems=[p for p in old[1].problems if not resolved(p, record)])
    merged = (checking.check(record, notes), notes)
    if error_count(merged[0]) > error_count(old[0]) or quality(*merged) <= quality(*old):
        return None
    return merged


def _used_ids(o: Outcome) -> set[str]:
    if o is None:
        return set()
    return {cid for _, v in iter_values(o[0].record) if v.prov for cid in v.prov.cell_ids}


def _orphan_tables(seg: Segmentation) -> list[Segment]:
    """Each table of rows that no record start was found in, as a segment to ask about
    (its labels, once learned, may show where the forms start)."""
    tables: dict[str, Segment] = {}
    for r in seg.orphan_rows:
        tables.setdefault(r.table_id, Segment()).rows.append(r)
    return list(tables.values())


def _seg_key(s: Segment) -> tuple[str, int]:
    return (s.rows[0].table_id, s.rows[0].index) if s.rows else ("", 0)


def merge_readings(
    grid: DocumentGrid,
    layout: tuple[Segmentation, list[Outcome]],
    assisted: tuple[Segmentation, list[Outcome]],
    checking: Checking,
) -> Reading:
    """Pair the layout and assisted readings by where each record starts: a record both
    found keeps the layout reading with its gaps filled (``hybrid``); a record only the
    assisted reading found is added when no value of it is ungrounded; a record only layout
    found stays. In document order."""
    order = {(r.table_id, r.index): k for k, r in enumerate(row_stream(grid))}
    before = {_seg_key(s): (s, o) for s, o in zip(layout[0].segments, layout[1], strict=True)}
    items: list[tuple[int, Segment, Outcome, bool]] = []
    for s, cand in zip(assisted[0].segments, assisted[1], strict=True):
        key = _seg_key(s)
        if key in before:
            s_old, o_old = before.pop(key)
            merged = hybrid(o_old, cand, checking) if o_old and cand else None
            items.append((order.get(key, 0), s_old, merged or o_old, merged is not None))
        elif cand is not None and not ungrounded(cand[0]):
            items.append((order.get(key, 0), s, cand, True))
    items += [(order.get(k, 0), s, o, False) for k, (s, o) in before.items()]
    items.sort(key=lambda x: x[0])
    taken = {(r.table_id, r.index) for _, s, _, _ in items for r in s.rows}
    orphans = [r for r in assisted[0].orphan_rows if (r.table_id, r.index) not in taken]
    seg = Segmentation(segments=[s for _, s, _, _ in items], orphan_rows=orphans)
    helped = {k for k, it in enumerate(items) if it[3]}
    return seg, [o for _, _, o, _ in items], helped
