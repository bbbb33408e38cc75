"""The store: documents, records and the batch ledger in SQLite or PostgreSQL.

Open it with ``open_store(url)`` / ``Store(url)`` (default ``Settings.db_url``,
``sqlite:///.jixiao/jixiao.db``; ``postgresql+psycopg://user:pw@host/db`` works too). The
Alembic migrations shipped in ``jixiao/store/migrations`` are applied when it opens, so a
new SQLite file just works. One transaction::

    store = open_store("sqlite:///results/jixiao.db")
    with store.session() as s:          # commits at the end, rolls back on an exception
        doc_id = save_result(s, result)  # idempotent: upsert by sha256, record set replaced
        # (reviewed records excepted: save_result_report(s, result).reviewed_kept)
        rows = list_records(s, department="上海市工商业联合会", with_findings=True)

Tables (revision ``0001_core``; ORM classes in ``jixiao.store.tables``):

- ``documents`` (``Document``): one row per PDF content, unique ``sha256``; status, errors,
  page_count, mode, rule_set, extractor/schema/prompt versions, llm_ledger, seconds,
  department (first record's), ``result`` (the full ``DocumentResult`` as JSON, without
  the recomputable ``parsed`` quantities; a deferred column: it is loaded when accessed, so
  read it, or call ``document_result(doc)``, inside the session).
- ``records`` (``RecordRow``): one row per project table, unique (document_id, ordinal);
  filter columns (form_type, year, project_name, department, implementing_unit, grade,
  total_score, n_errors, n_warnings, finding_codes), ``review_status`` (new, needs_review,
  approved, rejected: a new record with an error or warning finding starts as
  needs_review), ``data`` (the golden-shape record of ``jixiao/output.py`` with findings
  and provenance), ``version`` (SQLAlchemy ``version_id_col``: a stale write raises
  ``sqlalchemy.orm.exc.StaleDataError``); ``reextracted_differs``, ``reextracted_data``,
  ``reextracted_at`` (revision ``0003_reextract``): a reviewed record a newer extraction
  differs from (see below).
- ``jobs`` (``Job``): the batch ledger, unique (batch, source); ``source`` is a file path
  or ``archive.zip!member``; states pending/running/done/failed/skipped/duplicate.

Documents and records: ``save_result`` (returns the document id), ``save_result_report``
(the same write, returns a ``SaveReport``), ``reviewed_record_ids`` (``jixiao.store.save``);
and the reads (``jixiao.store.repo``): ``get_document``, ``find_document``, ``document_result``, ``list_documents``,
``get_record``, ``list_records``/``count_records`` (filters: document_id, department,
form_type, year, grade, review_status, finding_code, with_findings, search, batch,
reextracted_differs), ``departments``, ``delete_document``; for a batch, ``reusable_documents``
(content already extracted with the same settings) and ``document_path``.

A re-extraction never deletes or replaces a reviewed record (approved or rejected, or with
any correction or review event in the tables of ``jixiao.store.review``): its row, data,
status and version stay. Where the new extraction differs at its ordinal (or has no record
there) the row is flagged ``reextracted_differs``, the new extraction's record is put in
``reextracted_data`` (the whole new result is in ``documents.result``), and
``SaveReport.reviewed_kept`` lists it. The clerk's next approve or reject clears the flag.

Ledger (``jixiao.store.jobs``): ``add_jobs``, ``job_states``, ``reset_stale``,
``requeue_failed``, ``pending_jobs``, ``start_job``, ``finish_job``, ``job_counts``,
``list_jobs``, ``list_batches``, ``batch_document_ids``; ``failed_jobs``, ``should_retry``,
``requeue_jobs`` (a failed source tried again when its file is back or changed).

Batch lease (``jixiao.store.lease``, table ``batch_leases``, revision ``0004_lease``): one
run per batch and store (``acquire_lease``, ``renew_lease``, ``release_lease``).

New tables and columns come with a new migration in ``migrations/versions`` (the next one
is ``0005_…``, ``down_revision = "0004_lease"``).
"""

from jixiao.store.engine import (
    Store,
    StoreError,
    current_revisions,
    head_revisions,
    make_engine,
    open_store,
    upgrade,
)
from jixiao.store.jobs import (
    FailedJob,
    JobSpec,
    add_jobs,
    batch_document_ids,
    failed_jobs,
    finish_job,
    job_counts,
    job_states,
    list_batches,
    list_jobs,
    pending_jobs,
    requeue_failed,
    requeue_jobs,
    reset_stale,
    should_retry,
    start_job,
)
from jixiao.store.repo import (
    count_records,
    delete_document,
    departments,
    document_path,
    document_result,
    find_document,
    get_document,
    get_record,
    initial_review_status,
    list_documents,
    list_records,
    record_columns,
    reusable_documents,
)
from jixiao.store.save import SaveReport, reviewed_record_ids, save_result, save_result_report
from jixiao.store.tables import (
    Base,
    BatchLease,
    Document,
    Job,
    JobState,
    RecordRow,
    ReviewStatus,
)

__all__ = [
    "Base",
    "BatchLease",
    "Document",
    "FailedJob",
    "Job",
    "JobSpec",
    "JobState",
    "RecordRow",
    "ReviewStatus",
    "SaveReport",
    "Store",
    "StoreError",
    "add_jobs",
    "batch_document_ids",
    "count_records",
    "current_revisions",
    "delete_document",
    "departments",
    "document_path",
    "document_result",
    "failed_jobs",
    "find_document",
    "finish_job",
    "get_document",
    "get_record",
    "head_revisions",
    "initial_review_status",
    "job_counts",
    "job_states",
    "list_batches",
    "list_documents",
    "list_jobs",
    "list_records",
    "make_engine",
    "open_store",
    "pending_jobs",
    "record_columns",
    "requeue_failed",
    "requeue_jobs",
    "reset_stale",
    "reusable_documents",
    "reviewed_record_ids",
    "save_result",
    "save_result_report",
    "should_retry",
    "start_job",
    "upgrade",
]
