"""The batch's document step (``jixiao.batch.writes.DocumentStep``) alone: a SQLite store in
a temporary folder, a recording observer, no archive, no runner, no extraction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jixiao import __version__
from jixiao.batch.report import BatchLog, BatchObserver, BatchReport, DocLine
from jixiao.batch.writes import DocumentStep, Job
from jixiao.store import (
    JobSpec,
    Store,
    add_jobs,
    document_path,
    list_jobs,
    open_store,
    reusable_documents,
    save_result,
)
from schemas.results import DocumentResult, DocumentStatus, RecordResult
from schemas.values import Provenance, Value

BATCH = "b"
CAT = "cat-test"


class Recorder(BatchObserver):
    def __init__(self) -> None:
        self.lines: list[DocLine] = []

    def document(self, line: DocLine) -> None:
        self.lines.append(line)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'step.db'}")
    yield s
    s.close()


@pytest.fixture
def step(store: Store, tmp_path: Path) -> Iterator[DocumentStep]:
    report = BatchReport(BATCH, tmp_path, tmp_path, tmp_path / "batch.log")
    log = BatchLog(report.log)
    yield DocumentStep(store, report, log, Recorder())
    log.close()


def _jobs(store: Store, *sources: str, sha: str = "a" * 64) -> list[Job]:
    with store.session() as s:
        add_jobs(s, BATCH, [JobSpec(src, sha, 10) for src in sources])
        rows = {j.source: j for j in list_jobs(s, BATCH)}
        return [Job(rows[src].id, src, sha) for src in sources]


def _states(store: Store) -> dict[str, tuple[str, int | None, str | None]]:
    with store.session() as s:
        return {j.source: (j.state, j.document_id, j.error) for j in list_jobs(s, BATCH)}


def _result(status: DocumentStatus = DocumentStatus.OK, sha: str = "a" * 64) -> DocumentResult:
    record = {"form_type": "self_evaluation", "project_name": {"text": "项目甲"}}
    rr = RecordResult.model_validate({"record": record})
    rr.record.project_name = Value(text="项目甲", prov=Provenance(page=1, cell_ids=["p1.t1.r1.c2"]))
    return DocumentResult(
        path="in/a.pdf",
        sha256=sha,
        status=status,
        page_count=2,
        records=[rr] if status is not DocumentStatus.FAILED else [],
        rule_set="national",
        extractor_version=__version__,
        mode="layout",
        catalogue_version=CAT,
    )


def _lines(step: DocumentStep) -> list[DocLine]:
    assert isinstance(step.obs, Recorder)
    return step.obs.lines


def test_start_marks_the_job_running_and_counts_attempts(step: DocumentStep) -> None:
    (job,) = _jobs(step.store, "in/a.pdf")
    assert step.start(job) == 1
    assert _states(step.store)["in/a.pdf"][0] == "running"
    assert step.start(job) == 2


def test_written_stores_the_document_its_job_and_its_duplicates(step: DocumentStep) -> None:
    job, dup = _jobs(step.store, "in/a.pdf", "in/copy.pdf")
    step.start(job)
    step.written(job, _result(), [dup])
    states = _states(step.store)
    doc_id = states["in/a.pdf"][1]
    assert doc_id is not None
    assert states["in/a.pdf"][0] == "done"
    assert states["in/copy.pdf"] == ("duplicate", doc_id, None)
    assert (step.report.processed, step.report.pages, step.report.duplicates) == (1, 2, 1)
    assert [(d.source, d.state) for d in _lines(step)] == [
        ("in/a.pdf", "done"),
        ("in/copy.pdf", "duplicate"),
    ]
    assert _lines(step)[0].records == 1
    with step.store.session() as s:
        assert document_path(s, doc_id) == "in/a.pdf"
        assert document_path(s, doc_id + 1) is None
    assert "in/copy.pdf" in step.report.log.read_text(encoding="utf-8")


def test_a_failed_document_fails_its_duplicates_too(step: DocumentStep) -> None:
    job, other = _jobs(step.store, "in/a.pdf", "in/b.pdf")
    step.written(job, _result(DocumentStatus.FAILED), [other])
    states = _states(step.store)
    assert states["in/a.pdf"][0] == "failed" and states["in/b.pdf"][0] == "failed"
    assert states["in/b.pdf"][1] == states["in/a.pdf"][1] is not None
    assert "same content as in/a.pdf" in (states["in/b.pdf"][2] or "")
    assert step.report.failed == 2 and step.report.duplicates == 0


def test_a_result_that_cannot_be_saved_fails_without_a_document(step: DocumentStep) -> None:
    (job,) = _jobs(step.store, "in/gone.pdf", sha="")
    unsaveable = _result(sha="")
    unsaveable.path = str(step.report.out / "not-there.pdf")  # no sha256, no file to hash
    step.written(Job(job.id, job.source, None), unsaveable, [])
    state, doc_id, error = _states(step.store)["in/gone.pdf"]
    assert (state, doc_id) == ("failed", None)
    assert error is not None and error.startswith("result could not be saved (StoreError")
    assert step.report.processed == 0 and step.report.failed == 1


def test_failed_and_duplicates_without_extraction(step: DocumentStep) -> None:
    job, follower, dup = _jobs(step.store, "in/x.pdf", "in/y.pdf", "in/z.pdf")
    step.failed(job, [follower], "cannot be read: boom\nsecond line")
    states = _states(step.store)
    assert states["in/x.pdf"] == ("failed", None, "cannot be read: boom second line")
    assert states["in/y.pdf"][2] == "same content as in/x.pdf: cannot be read: boom second line"
    with step.store.session() as s:
        doc_id = save_result(s, _result(), path="earlier/a.pdf")
    step.duplicates([dup], doc_id)
    assert _states(step.store)["in/z.pdf"] == ("duplicate", doc_id, None)
    assert _lines(step)[-1].detail == "same content as earlier/a.pdf"


def test_reusable_only_repeats_of_the_same_settings(step: DocumentStep) -> None:
    ok, failed = "a" * 64, "b" * 64
    with step.store.session() as s:
        doc_id = save_result(s, _result(sha=ok))
        save_result(s, _result(DocumentStatus.FAILED, sha=failed))
    shas = [ok, failed, "c" * 64]
    assert step.reusable(shas, "layout", "national", CAT) == {ok: doc_id}
    assert step.reusable(shas, "hybrid", "national", CAT) == {}
    assert step.reusable(shas, "layout", "shanghai", CAT) == {}
    assert step.reusable(shas, "layout", "national", "cat-other") == {}
    with step.store.session() as s:
        older = reusable_documents(
            s, shas, mode="layout", rule_set="national", extractor_version="0", catalogue=CAT
        )
    assert older == {}
