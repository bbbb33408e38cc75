"""The document step of a batch (``DocumentStep``): what the batch process reads and writes
in the store for each source. Content already extracted with the same settings is found
(``reusable``), a job is started (``start``), and each source gets its outcome: a document
with its job state in one transaction, duplicates pointing at a document, failures. Every
source gets its final state, one log line and one progress step; nothing here raises for
one document (a result that cannot be saved makes that document ``failed``, with the
reason). Every query is a function of ``jixiao.store``."""

from __future__ import annotations

from dataclasses import dataclass

from jixiao import __version__
from jixiao.batch.report import BatchLog, BatchObserver, BatchReport, DocLine
from jixiao.store import (
    JobState,
    Store,
    document_path,
    finish_job,
    reusable_documents,
    save_result_report,
    start_job,
)
from schemas.options import Mode
from schemas.results import DocumentResult, DocumentStatus
from schemas.sanitise import safe_text

STATE_OF_STATUS = {
    DocumentStatus.OK: JobState.DONE,
    DocumentStatus.PARTIAL: JobState.DONE,
    DocumentStatus.FAILED: JobState.FAILED,
    DocumentStatus.SKIPPED: JobState.SKIPPED,
}


@dataclass
class Job:
    id: int
    source: str
    sha256: str | None


def one_line(text: str) -> str:
    return safe_text(" ".join(text.split()))


@dataclass
class DocumentStep:
    """The store's side of each document of one batch run, with its report, log and
    progress: ``reusable``, ``start``, then one of ``written``, ``duplicates``, ``failed``."""

    store: Store
    report: BatchReport
    log: BatchLog
    obs: BatchObserver

    def reusable(
        self, shas: list[str], mode: Mode, rule_set: str, catalogue: str
    ) -> dict[str, int]:
        """sha256 → id of a document already in the store that this run would only repeat
        (same mode, rule set, extractor version and catalogue version, taught labels
        included; never a failed document)."""
        with self.store.session() as s:
            return reusable_documents(
                s,
                shas,
                mode=mode,
                rule_set=rule_set,
                extractor_version=__version__,
                catalogue=catalogue,
            )

    def start(self, job: Job) -> int:
        """Mark the job running; its attempt number (this one included)."""
        with self.store.session() as s:
            return start_job(s, job.id).attempts

    def line(self, d: DocLine) -> None:
        self.log.line(d)
        self.obs.document(d)

    def written(self, job: Job, result: DocumentResult, follow: list[Job]) -> None:
        """The document, its job's final state and its duplicates, in one transaction. A
        failed document's other sources are failed too (never ``duplicate`` of it)."""
        state = STATE_OF_STATUS[result.status]
        error = one_line("; ".join(map(str, result.errors))) or None
        failed = state is JobState.FAILED
        try:
            with self.store.session() as s:
                saved = save_result_report(
                    s, result, sha256=result.sha256 or job.sha256, path=job.source
                )
                doc_id = saved.document_id
                finish_job(s, job.id, state, document_id=doc_id, error=error)
                for f in follow:
                    if failed:
                        why = f"same content as {job.source}: {error}"
                        finish_job(s, f.id, JobState.FAILED, document_id=doc_id, error=why)
                    else:
                        finish_job(s, f.id, JobState.DUPLICATE, document_id=doc_id)
        except Exception as e:  # this document fails; the batch goes on
            self.failed(
                job, follow, one_line(f"result could not be saved ({type(e).__name__}: {e})")
            )
            return
        self.report.processed += 1
        self.report.reviewed_kept += saved.n_reviewed_kept
        self.report.pages += result.page_count
        detail = "; ".join(d for d in (error, saved.describe()) if d) or None
        if failed:
            self.report.failed += 1
        self.line(
            DocLine(
                job.source,
                state.value,
                result.status.value,
                result.page_count,
                len(result.records),
                result.seconds,
                detail,
                doc_id,
            )
        )
        for f in follow:
            if failed:
                self.report.failed += 1
                why = f"same content as {job.source}: {error}"
                self.line(DocLine(f.source, "failed", "failed", detail=why, document_id=doc_id))
            else:
                self.dup_line(f, doc_id, job.source)

    def duplicates(self, jobs: list[Job], doc_id: int) -> None:
        with self.store.session() as s:
            first = document_path(s, doc_id) or "?"
            for j in jobs:
                finish_job(s, j.id, JobState.DUPLICATE, document_id=doc_id)
        for j in jobs:
            self.dup_line(j, doc_id, first)

    def dup_line(self, job: Job, doc_id: int, of: str) -> None:
        self.report.duplicates += 1
        self.line(
            DocLine(job.source, "duplicate", detail=f"same content as {of}", document_id=doc_id)
        )

    def failed(self, job: Job, follow: list[Job], error: str) -> None:
        """Failed without a document (the source could not be read, the worker died, the
        result could not be saved): the next run tries it again while its file is there."""
        error = one_line(error)
        with self.store.session() as s:
            finish_job(s, job.id, JobState.FAILED, error=error)
            for f in follow:
                finish_job(s, f.id, JobState.FAILED, error=f"same content as {job.source}: {error}")
        for j in (job, *follow):
            self.report.failed += 1
            self.line(DocLine(j.source, "failed", "failed", detail=error))
