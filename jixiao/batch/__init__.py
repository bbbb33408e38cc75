"""Batch runs over whole archives: resumable, parallel, distributed, exported.

``run_batch(BatchConfig(archive, out, db_url, workers=N, mode=…, scheduler=…))`` walks the
archive (``archive.walk_archive``: nested folders and zip files, safely), registers every
source in the store's job ledger, extracts what is left (``runners``: in process, a local
process pool, or a Dask ``distributed`` cluster), writes each document's result in its own
transaction, appends one line per source to ``RESULTS/batch.log`` and writes the exports
(``jixiao.exports``) into RESULTS. ``jixiao batch`` is the command line for it.
"""

from jixiao.batch.archive import Found, read_source, walk_archive
from jixiao.batch.report import BatchObserver, BatchReport, DocLine
from jixiao.batch.run import BatchConfig, run_batch
from jixiao.batch.runners import DaskRunner, InlineRunner, ProcessRunner
from jixiao.batch.work import DocTask, process_task

__all__ = [
    "BatchConfig",
    "BatchObserver",
    "BatchReport",
    "DaskRunner",
    "DocLine",
    "DocTask",
    "Found",
    "InlineRunner",
    "ProcessRunner",
    "process_task",
    "read_source",
    "run_batch",
    "walk_archive",
]
