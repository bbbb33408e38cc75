"""The store: migrations, the idempotent write of a result, reads with filters, the ledger.

Runs on SQLite always and on PostgreSQL too when ``JIXIAO_TEST_PG_URL`` is set (see
``tests/store_backends.py``). Results come from extracting the bundled samples (the same
forms as two golden PDFs), so no test needs the golden folder.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm.exc import StaleDataError

from extractor.pipeline import extract_document
from jixiao.output import golden_document
from jixiao.store import (
    Base,
    Document,
    Job,
    JobSpec,
    JobState,
    RecordRow,
    ReviewStatus,
    Store,
    StoreError,
    add_jobs,
    batch_document_ids,
    count_records,
    current_revisions,
    delete_document,
    departments,
    document_result,
    find_document,
    finish_job,
    get_document,
    get_record,
    head_revisions,
    job_counts,
    job_states,
    list_documents,
    list_jobs,
    list_records,
    open_store,
    pending_jobs,
    requeue_failed,
    reset_stale,
    save_result,
    save_result_report,
    start_job,
)
from jixiao.store import review as rv
from jixiao.store.engine import downgrade, upgrade
from schemas.document_errors import DocumentError
from schemas.findings import Finding, Severity
from schemas.options import Mode
from schemas.results import DocumentResult, DocumentStatus
from tests.store_backends import store_url  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
SELF_EVAL = REPO / "samples" / "sample-self-eval.pdf"  # 5 self-evaluation records
TARGET = REPO / "samples" / "sample-target-decl.pdf"  # 5 target declarations


@pytest.fixture(scope="module")
def self_eval() -> DocumentResult:
    r = extract_document(SELF_EVAL)
    assert r.status is DocumentStatus.OK and len(r.records) == 5
    return r


@pytest.fixture(scope="module")
def target() -> DocumentResult:
    r = extract_document(TARGET)
    assert r.status is DocumentStatus.OK and len(r.records) == 5
    return r


@pytest.fixture
def store(store_url: str) -> Store:  # noqa: F811
    s = open_store(store_url)
    yield s  # type: ignore[misc]
    s.close()


def _record_rows(store: Store, doc_id: int) -> list[tuple[int, int, int]]:
    with store.session() as s:
        rows = list_records(s, document_id=doc_id)
        return [(r.id, r.ordinal, r.version) for r in rows]


# -- migrations -------------------------------------------------------------------------------


def test_fresh_database_is_migrated_to_head(store: Store) -> None:
    assert set(current_revisions(store.engine)) == set(head_revisions())
    assert "0001_core" in _ancestry()
    names = set(inspect(store.engine).get_table_names())
    assert {"documents", "records", "jobs", "alembic_version"} <= names


def _ancestry() -> set[str]:
    from alembic.script import ScriptDirectory

    from jixiao.store.engine import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return {r.revision for r in script.walk_revisions()}


def test_migrated_schema_matches_the_orm_tables(store: Store) -> None:
    """The migration and the ORM classes (jixiao.store.tables) describe the same tables (no
    autogenerate diff)."""
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    mine = {"documents", "records", "jobs"}

    def table_of(d: object) -> str | None:
        item = d[0] if isinstance(d, list) else d
        for x in item[1:] if isinstance(item, tuple) else ():
            name = getattr(x, "name", None) or getattr(getattr(x, "table", None), "name", None)
            if isinstance(x, str) and x in mine:
                return x
            if name in mine:
                return name
        return None

    relevant = [d for d in diffs if table_of(d) in mine]
    assert relevant == []


def test_reopening_and_downgrade_upgrade_round_trip(
    store: Store, self_eval: DocumentResult
) -> None:
    with store.session() as s:
        save_result(s, self_eval)
    again = Store(store.url)  # migrations already applied: nothing to do, data kept
    with again.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 1
    again.close()
    downgrade(store.engine, "base")
    assert "documents" not in inspect(store.engine).get_table_names()
    upgrade(store.engine)
    assert {"documents", "records", "jobs"} <= set(inspect(store.engine).get_table_names())


def test_bad_urls_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="JIXIAO_DB_URL"):
        open_store("not a url at all")
    with pytest.raises(StoreError, match="JIXIAO_DB_URL"):
        open_store("nosuchdialect://x/y")
    # Nothing listens on port 1 of the loopback address.
    with pytest.raises(StoreError, match="JIXIAO_DB_URL"):
        open_store("postgresql+psycopg://u:secret@127.0.0.1:1/db?connect_timeout=2")


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'j.db'}"
    with open_store(url) as st, st.session() as s:
        assert list_documents(s) == []
    assert (tmp_path / "a" / "b" / "j.db").is_file()


# -- save_result ------------------------------------------------------------------------------


def test_save_result_writes_document_and_records(store: Store, self_eval: DocumentResult) -> None:
    with store.session() as s:
        doc_id = save_result(s, self_eval)
    with store.session() as s:
        doc = get_document(s, doc_id)
        assert doc is not None
        assert doc.sha256 == self_eval.sha256
        assert doc.status == "ok" and doc.page_count == 6
        assert doc.department == "通州区工商联"
        assert doc.extractor_version == self_eval.extractor_version
        assert doc.schema_version == "1" and doc.mode == "layout"
        assert doc.rule_set == self_eval.rule_set
        assert doc.prompt_version is None and doc.llm_ledger is None
        assert document_result(doc) == self_eval  # the full result, provenance included
        rows = list_records(s, document_id=doc_id)
        golden = golden_document(self_eval)["records"]
        assert [r.ordinal for r in rows] == list(range(5))
        for row, g in zip(rows, golden, strict=True):
            assert row.data == g
            assert row.form_type == "self_evaluation"
            assert row.year == g["year"]
            assert row.project_name == g["project_name"]
            assert row.department == g["department"]
            assert row.total_score == g["total_score"]
            assert row.grade == g["grade"]
            errors = [f for f in g["findings"] if f["severity"] == "error"]
            warnings = [f for f in g["findings"] if f["severity"] == "warning"]
            assert (row.n_errors, row.n_warnings) == (len(errors), len(warnings))
            assert set(row.finding_codes) == {f["code"] for f in g["findings"]}
            # error/warning findings: needs review; the provenance is kept in data
            expected = ReviewStatus.NEEDS_REVIEW if errors or warnings else ReviewStatus.NEW
            assert row.review_status == expected
            assert row.data["provenance"]
            assert row.version == 1


def test_clean_records_start_as_new(store: Store, target: DocumentResult) -> None:
    with store.session() as s:
        doc_id = save_result(s, target)
        rows = list_records(s, document_id=doc_id)
        assert {r.review_status for r in rows if r.n_errors + r.n_warnings == 0} == {"new"}
        assert all(r.form_type == "target_declaration" for r in rows)


def test_writing_twice_keeps_exactly_one_record_set(
    store: Store, self_eval: DocumentResult
) -> None:
    with store.session() as s:
        first = save_result(s, self_eval)
    before = _record_rows(store, first)
    for _ in range(3):
        with store.session() as s:
            assert save_result(s, self_eval.model_copy(update={"seconds": 9.9})) == first
    after = _record_rows(store, first)
    assert after == before  # same ids, same versions: nothing rewritten
    with store.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 1
        assert s.scalar(select(func.count(RecordRow.id))) == 5
        assert get_document(s, first).seconds == 9.9  # type: ignore[union-attr]


def test_changed_extraction_replaces_changed_records_only(
    store: Store, self_eval: DocumentResult
) -> None:
    with store.session() as s:
        doc_id = save_result(s, self_eval)
    before = {o: i for i, o, _ in _record_rows(store, doc_id)}
    # A re-extraction that finds one more finding on record 1 and loses record 4.
    changed = self_eval.model_copy(deep=True)
    changed.records[1].findings.append(
        Finding(code="R2", severity=Severity.ERROR, message="m", message_zh="m")
    )
    changed.records = changed.records[:4]
    with store.session() as s:
        # A reviewer approved record 0 meanwhile: unchanged records keep that.
        get_record(s, before[0]).review_status = "approved"  # type: ignore[union-attr]
    with store.session() as s:
        assert save_result(s, changed) == doc_id
    with store.session() as s:
        rows = list_records(s, document_id=doc_id)
        assert [r.ordinal for r in rows] == [0, 1, 2, 3]
        assert rows[0].id == before[0] and rows[0].review_status == "approved"
        assert rows[2].id == before[2] and rows[3].id == before[3]
        assert rows[1].id != before[1]  # replaced: new row, review starts again
        assert "R2" in rows[1].finding_codes and rows[1].review_status == "needs_review"
        assert get_record(s, before[4]) is None
        assert s.scalar(select(func.count(RecordRow.id))) == 4


def _newer(result: DocumentResult, *, changed: tuple[int, ...], n: int = 5) -> DocumentResult:
    """The same PDF (same sha256) as a newer release in another mode extracts it: the
    records at ``changed`` read another project name and get one more finding; ``n``
    records in all."""
    new = result.model_copy(deep=True, update={"extractor_version": "9.9.9", "mode": Mode.hybrid})
    for o in changed:
        new.records[o].record.project_name.text = f"新读法{o}"
        new.records[o].findings.append(
            Finding(code="R2", severity=Severity.ERROR, message="m", message_zh="m")
        )
    new.records = new.records[:n]
    return new


def test_reextraction_never_overwrites_reviewed_records(
    store: Store, self_eval: DocumentResult
) -> None:
    with store.session() as s:
        doc_id = save_result(s, self_eval)
        ids = [r.id for r in list_records(s, document_id=doc_id)]
        # A clerk corrects record 0 and approves it, corrects record 3 (not decided yet) and
        # approves record 2 as it was extracted. Records 1 and 4 are not reviewed.
        done = rv.edit_record(
            s, ids[0], {"grade": "优"}, reviewer="wang", reason="form_error", expected_version=1
        )
        assert len(done) == 1
        rv.approve(s, ids[0], reviewer="wang", expected_version=2)
        rv.edit_record(
            s, ids[3], {"total_score": "90"}, reviewer="li", reason="ocr_error", expected_version=1
        )
        rv.approve(s, ids[2], reviewer="li", expected_version=1)
    with store.session() as s:
        before = {r.id: (r.data, r.review_status, r.version) for r in list_records(s)}
    assert before[ids[0]][0]["grade"] == "优" and before[ids[0]][1:] == ("approved", 3)
    assert before[ids[3]][1:] == ("needs_review", 2)

    newer = _newer(self_eval, changed=(0, 1, 3))
    with store.session() as s:
        report = save_result_report(s, newer)
    assert report.document_id == doc_id and not report.created
    assert report.reviewed_kept == [0, 3] and report.n_reviewed_kept == 2
    assert report.written == [1] and report.unchanged == [2, 4] and report.deleted == []
    assert "kept 2 reviewed records (table 1, 4)" in (report.describe() or "")
    golden = golden_document(newer)["records"]
    with store.session() as s:
        rows = {r.ordinal: r for r in list_records(s, document_id=doc_id)}
        assert sorted(rows) == [0, 1, 2, 3, 4]
        for o in (0, 3):  # kept as the clerk left them: id, data, status, version; flagged
            row = rows[o]
            assert row.id == ids[o] and (row.data, row.review_status, row.version) == before[row.id]
            assert row.reextracted_differs and row.reextracted_at is not None
            assert row.reextracted_data == golden[o]  # the new extraction, for the clerk
            assert row.reextracted_data["project_name"] == f"新读法{o}"
        assert rows[0].data["grade"] == "优" and rows[0].project_name == "微信公众号经费"
        assert [c.field for c in rv.corrections_of(s, ids[0])] == ["grade"]  # still linked
        # Unreviewed and changed: replaced by the new extraction, review starts again.
        assert rows[1].id != ids[1] and rows[1].data == golden[1]
        assert rows[1].review_status == "needs_review" and not rows[1].reextracted_differs
        # Unchanged: untouched (approved 2 stays approved, unflagged).
        assert (rows[2].id, rows[2].review_status, rows[2].version) == (ids[2], "approved", 2)
        assert rows[4].id == ids[4] and not rows[2].reextracted_differs
        assert [r.id for r in list_records(s, reextracted_differs=True)] == [ids[0], ids[3]]
        assert count_records(s, document_id=doc_id, reextracted_differs=False) == 3
        doc = get_document(s, doc_id)
        assert doc is not None and doc.extractor_version == "9.9.9" and doc.mode == "hybrid"
        assert document_result(doc) == newer  # the full new result is stored

    # Writing the same new extraction again: nothing new to report, nothing rewritten.
    with store.session() as s:
        again = save_result_report(s, newer)
    assert again.reviewed_kept == [] and again.written == []
    with store.session() as s:
        rows = {r.ordinal: r for r in list_records(s, document_id=doc_id)}
        assert rows[0].reextracted_differs and rows[0].version == 3
    # The clerk who had record 0 open at version 3 can still decide (the flag did not bump
    # the version); deciding again clears the flag.
    with store.session() as s:
        rv.approve(s, ids[0], reviewer="wang", expected_version=3, note="checked newer read")
    with store.session() as s:
        row = get_record(s, ids[0])
        assert row is not None and not row.reextracted_differs
        assert row.reextracted_data is None and row.data["grade"] == "优"


def test_reextraction_with_fewer_records_keeps_reviewed_ones(
    store: Store, self_eval: DocumentResult
) -> None:
    with store.session() as s:
        doc_id = save_result(s, self_eval)
        ids = [r.id for r in list_records(s, document_id=doc_id)]
        rv.reject(s, ids[4], reviewer="wang", expected_version=1, note="not this project")
    with store.session() as s:
        report = save_result_report(s, _newer(self_eval, changed=(), n=3))
    assert report.deleted == [3] and report.reviewed_kept == [4] and report.written == []
    with store.session() as s:
        rows = list_records(s, document_id=doc_id)
        assert [(r.ordinal, r.id) for r in rows] == [
            (0, ids[0]),
            (1, ids[1]),
            (2, ids[2]),
            (4, ids[4]),
        ]
        kept = rows[-1]
        assert kept.review_status == "rejected" and kept.version == 2
        assert kept.reextracted_differs and kept.reextracted_data is None  # no such table now
        assert get_record(s, ids[3]) is None  # unreviewed: deleted as before
    with store.session() as s:  # the same again: nothing more deleted or reported
        again = save_result_report(s, _newer(self_eval, changed=(), n=3))
    assert again.deleted == [] and again.reviewed_kept == []
    # An extraction that finds all five again: table 4 is written anew, and the rejected
    # record agrees with it again, so its flag is cleared (still rejected, same version).
    with store.session() as s:
        last = save_result_report(s, self_eval)
    assert last.written == [3] and last.reviewed_kept == []
    with store.session() as s:
        kept = get_record(s, ids[4])
        assert kept is not None and not kept.reextracted_differs
        assert (kept.review_status, kept.version) == ("rejected", 2)
        assert count_records(s, document_id=doc_id) == 5


def test_failed_result_is_stored_under_the_given_sha(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    r = extract_document(bad)
    assert r.status is DocumentStatus.FAILED and r.sha256 is None
    with store.session() as s:
        doc_id = save_result(s, r)  # hashed from the file
        doc = get_document(s, doc_id)
        assert doc is not None and doc.status == "failed"
        assert [DocumentError.model_validate(e) for e in doc.errors] == r.errors
        assert doc.errors[0]["code"] == "input"  # stored as {code, page, message}
        assert list_records(s, document_id=doc_id) == []
    gone = r.model_copy(update={"path": str(tmp_path / "missing.pdf")})
    with pytest.raises(StoreError, match="sha256"), store.session() as s:
        save_result(s, gone)
    with store.session() as s:
        assert save_result(s, gone, sha256="ab" * 32, path="x.zip!m.pdf") != doc_id
        assert find_document(s, "ab" * 32).path == "x.zip!m.pdf"  # type: ignore[union-attr]


def test_optimistic_locking_rejects_a_stale_write(store: Store, self_eval: DocumentResult) -> None:
    with store.session() as s:
        doc_id = save_result(s, self_eval)
        rid = list_records(s, document_id=doc_id)[0].id
    # Two reviewers open the same record (each read is its own transaction), then both save.
    a, b = store.new_session(), store.new_session()
    try:
        ra = a.get_one(RecordRow, rid)
        a.commit()
        rb = b.get_one(RecordRow, rid)
        b.commit()
        assert ra.version == rb.version == 1
        ra.review_status = "approved"
        a.commit()
        rb.review_status = "rejected"
        with pytest.raises(StaleDataError):
            b.commit()
    finally:
        a.close()
        b.close()
    with store.session() as s:
        row = get_record(s, rid)
        assert row is not None and row.review_status == "approved" and row.version == 2


def test_concurrent_writers_of_the_same_document(store: Store, self_eval: DocumentResult) -> None:
    """Threads writing the same result at once: one document, one record set, no error."""
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(3):
                with store.session() as s:
                    save_result(s, self_eval)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 1
        assert s.scalar(select(func.count(RecordRow.id))) == 5


def test_delete_document_cascades(store: Store, self_eval: DocumentResult) -> None:
    with store.session() as s:
        doc_id = save_result(s, self_eval)
        assert delete_document(s, doc_id)
        assert not delete_document(s, doc_id)
    with store.session() as s:
        assert s.scalar(select(func.count(RecordRow.id))) == 0


# -- reads ------------------------------------------------------------------------------------


def test_list_records_filters(
    store: Store, self_eval: DocumentResult, target: DocumentResult
) -> None:
    with store.session() as s:
        d1 = save_result(s, self_eval)
        d2 = save_result(s, target)
        add_jobs(s, "b1", [JobSpec("a.pdf", self_eval.sha256, 1)])
        job = list_jobs(s, "b1")[0]
        finish_job(s, job.id, "done", document_id=d1)
    with store.session() as s:
        assert len(list_records(s)) == 10
        assert count_records(s) == 10
        assert len(list_records(s, document_id=d2)) == 5
        assert {r.document_id for r in list_records(s, department="通州区工商联")} == {d1}
        assert count_records(s, form_type="target_declaration") == 5
        assert count_records(s, year=2023) == 10
        r9 = list_records(s, finding_code="R9")
        assert r9 and all("R9" in r.finding_codes for r in r9)
        assert count_records(s, finding_code="R9") == len(r9)
        assert count_records(s, finding_code="R") == 0  # whole codes only
        flagged = list_records(s, with_findings=True)
        clean = list_records(s, with_findings=False)
        assert len(flagged) + len(clean) == 10
        assert all(r.n_errors + r.n_warnings for r in flagged)
        assert count_records(s, review_status="needs_review") == len(flagged)
        assert count_records(s, review_status=["new", "needs_review"]) == 10
        assert count_records(s, batch="b1") == 5
        name = list_records(s, document_id=d2)[2].project_name
        assert name and any(r.project_name == name for r in list_records(s, search=name[2:6]))
        page = list_records(s, limit=3, offset=3)
        assert [r.ordinal for r in page] == [3, 4, 0]
        names = {r.department for r in list_records(s)}
        assert departments(s) == sorted(n for n in names if n) and len(names) >= 2
        assert [d.id for d in list_documents(s, batch="b1")] == [d1]
        assert [d.id for d in list_documents(s, status="ok")] == [d1, d2]


# -- ledger -----------------------------------------------------------------------------------


def test_job_ledger_life_cycle(store: Store, self_eval: DocumentResult) -> None:
    specs = [
        JobSpec("a.pdf", "1" * 64, 10),
        JobSpec("b.pdf", "2" * 64, 20),
        JobSpec("z.zip!../evil.pdf", None, None, state="failed", error="path traversal"),
    ]
    with store.session() as s:
        assert add_jobs(s, "batch", specs) == 3
        assert add_jobs(s, "batch", specs) == 0  # idempotent
        assert add_jobs(s, "other", specs[:1]) == 1  # unique per (batch, source)
    with store.session() as s:
        counts = job_counts(s, "batch")
        assert counts["pending"] == 2 and counts["failed"] == 1 and counts["done"] == 0
        a, b = pending_jobs(s, "batch")
        start_job(s, a.id)
        start_job(s, b.id)
        doc_id = save_result(s, self_eval)
        finish_job(s, a.id, JobState.DONE, document_id=doc_id)
    # b was left running by a run that died: a rerun puts it back.
    with store.session() as s:
        assert job_states(s, "batch") == {
            "a.pdf": "done",
            "b.pdf": "running",
            "z.zip!../evil.pdf": "failed",
        }
        assert reset_stale(s, "batch") == 1
        assert [j.source for j in pending_jobs(s, "batch")] == ["b.pdf"]
        start_job(s, b.id)
        finish_job(s, b.id, "failed", error="worker died")
    with store.session() as s:
        job = s.get_one(Job, b.id)
        assert job.attempts == 2 and job.error == "worker died" and job.finished_at
        # only sources that were read (have a sha256) are retried, up to max attempts
        assert requeue_failed(s, "batch", max_attempts=2) == 0
        assert requeue_failed(s, "batch", max_attempts=3) == 1
        assert batch_document_ids(s, "batch") == [doc_id]
        with pytest.raises(ValueError):
            finish_job(s, b.id, "running")
