"""Batch runs: archive walking (safely), the ledger across a real ``kill -9``, process
pool and Dask runs equal to a single-process run, crashes of a worker, the log.

Archives are built in tmp dirs from the bundled samples (copies made distinct by a trailing
PDF comment, so their sha256 differ) and, for the Dask test, the golden digital PDFs.
"""

from __future__ import annotations

import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import func, select

from jixiao.batch import BatchConfig, run_batch, walk_archive
from jixiao.batch.archive import found_from_source, read_found, read_source
from jixiao.batch.run import BatchObserver, DocLine
from jixiao.batch.runners import DaskRunner, InlineRunner, ProcessRunner
from jixiao.batch.work import DocTask, process_task
from jixiao.settings import Settings
from jixiao.store import Document, Job, RecordRow, job_counts, list_jobs, open_store
from schemas.errors import ConfigError
from schemas.results import DocumentResult
from tests.conftest import DIGITAL, golden_required
from tests.store_backends import store_url  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
SELF_EVAL = (REPO / "samples" / "sample-self-eval.pdf").read_bytes()  # 6 pages, 5 records
TARGET = (REPO / "samples" / "sample-target-decl.pdf").read_bytes()  # 6 pages, 5 records


def distinct(data: bytes, n: int) -> bytes:
    """The same PDF with a trailing comment: another sha256, the same content."""
    return data + f"\n%jixiao test copy {n}\n".encode()


def make_archive(root: Path, copies: int = 3) -> dict[str, int]:
    """Folders, a zip, exact duplicates, a refused member, a non-PDF, a broken PDF."""
    (root / "2023" / "a").mkdir(parents=True)
    (root / "2023" / "b").mkdir(parents=True)
    for i in range(copies):
        (root / "2023" / "a" / f"self-{i}.pdf").write_bytes(distinct(SELF_EVAL, i))
        (root / "2023" / "b" / f"decl-{i}.pdf").write_bytes(distinct(TARGET, i))
    (root / "2023" / "b" / "decl-0-again.pdf").write_bytes(distinct(TARGET, 0))  # duplicate
    (root / "notes.txt").write_text("not a form")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    with zipfile.ZipFile(root / "bundle.zip", "w") as z:
        z.writestr("x/zipped.pdf", distinct(SELF_EVAL, 100))
        z.writestr("x/zipped-dup.pdf", distinct(SELF_EVAL, 0))  # same as self-0.pdf
        z.writestr("../escape.pdf", SELF_EVAL)
        z.writestr("readme.docx", b"x")
    return {
        "distinct": 2 * copies + 2,  # + zipped.pdf + broken.pdf
        "duplicates": 2,
        "refused": 1,
        "ignored": 2,
        "records": 5 * (2 * copies + 1),
    }


def records_by_sha(url: str) -> dict[str, list[dict[str, Any]]]:
    with open_store(url) as st, st.session() as s:
        q = (
            select(Document.sha256, RecordRow.data)
            .join(RecordRow, RecordRow.document_id == Document.id)
            .order_by(Document.sha256, RecordRow.ordinal)
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for sha, data in s.execute(q):
            out.setdefault(sha, []).append(data)
        return out


def documents_by_sha(url: str) -> dict[str, tuple[str, int, list[Any]]]:
    with open_store(url) as st, st.session() as s:
        return {d.sha256: (d.status, d.page_count, d.errors) for d in s.scalars(select(Document))}


class Recorder(BatchObserver):
    def __init__(self) -> None:
        self.lines: list[DocLine] = []
        self.started_with: tuple[int, int, int] | None = None

    def started(self, total: int, completed: int, earlier: int) -> None:
        self.started_with = (total, completed, earlier)

    def document(self, line: DocLine) -> None:
        self.lines.append(line)


# -- archive walking --------------------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes], compress: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_walk_refuses_traversal_bombs_and_oversize(tmp_path: Path) -> None:
    big = b"%PDF-1.7\n" + os.urandom(300_000)
    bomb = b"\0" * (3 << 20)
    inner = _zip_bytes({"deep/inner.pdf": SELF_EVAL})
    innermost = _zip_bytes({"z.zip": _zip_bytes({"too-deep.pdf": SELF_EVAL})})
    (tmp_path / "a.zip").write_bytes(
        _zip_bytes(
            {
                "ok.pdf": SELF_EVAL,
                "../up.pdf": SELF_EVAL,
                "/etc/abs.pdf": SELF_EVAL,
                "C:/win.pdf": SELF_EVAL,
                "sub/../../up2.pdf": SELF_EVAL,
                "big.pdf": big,
                "nested.zip": inner,
                "nested2.zip": innermost,
                "image.png": b"\x89PNG",
            }
        )
    )
    (tmp_path / "bomb.zip").write_bytes(_zip_bytes({"b.pdf": bomb}, zipfile.ZIP_DEFLATED))
    (tmp_path / "not-a.zip").write_bytes(b"PK\x03\x04 broken")
    (tmp_path / "no-suffix").write_bytes(SELF_EVAL)  # sniffed as a PDF
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.pdf"
    outside.write_bytes(SELF_EVAL)
    (tmp_path / "link.pdf").symlink_to(outside)
    settings = Settings(zip_max_member_mb=0.25, zip_max_ratio=50, zip_max_depth=2)
    found = {
        Path(f.source).name if "!" not in f.source else f.source.split("!", 1)[1]: f
        for f in walk_archive(tmp_path, settings)
    }
    kinds = {k: f.kind for k, f in found.items()}
    reasons = {k: f.reason or "" for k, f in found.items()}
    assert kinds["ok.pdf"] == "pdf" and kinds["no-suffix"] == "pdf"
    assert kinds["nested.zip!deep/inner.pdf"] == "pdf"
    for name in ("../up.pdf", "/etc/abs.pdf", "C:/win.pdf", "sub/../../up2.pdf"):
        assert kinds[name] == "refused" and "traversal" in reasons[name], name
    assert kinds["big.pdf"] == "refused" and "JIXIAO_ZIP_MAX_MEMBER_MB" in reasons["big.pdf"]
    assert kinds["b.pdf"] == "refused" and "JIXIAO_ZIP_MAX_RATIO" in reasons["b.pdf"]
    assert kinds["nested2.zip!z.zip"] == "refused" and "DEPTH" in reasons["nested2.zip!z.zip"]
    assert kinds["not-a.zip"] == "refused" and "zip" in reasons["not-a.zip"]
    assert kinds["image.png"] == kinds["photo.jpg"] == "ignored"
    assert kinds["link.pdf"] == "ignored" and "outside" in reasons["link.pdf"]
    # Members are read, never extracted; the bytes and hashes are the member's.
    ok = found["ok.pdf"]
    assert read_found(ok, settings) == SELF_EVAL
    inner_found = found["nested.zip!deep/inner.pdf"]
    assert read_source(inner_found.source, settings) == SELF_EVAL
    assert found_from_source(inner_found.source).members == ("nested.zip", "deep/inner.pdf")
    import hashlib

    assert ok.sha256 == inner_found.sha256 == hashlib.sha256(SELF_EVAL).hexdigest()
    assert not list(tmp_path.glob("**/up*.pdf")) and not (tmp_path.parent / "up.pdf").exists()


def test_walk_total_limit_and_known_sources_are_not_hashed(tmp_path: Path) -> None:
    (tmp_path / "t.zip").write_bytes(
        _zip_bytes({f"f{i}.pdf": distinct(SELF_EVAL, i) for i in range(4)})
    )
    limit_mb = 2.5 * len(SELF_EVAL) / (1024 * 1024)
    found = list(walk_archive(tmp_path, Settings(zip_max_total_mb=limit_mb)))
    assert [f.kind for f in found] == ["pdf", "pdf", "refused", "refused"]
    assert "JIXIAO_ZIP_MAX_TOTAL_MB" in (found[2].reason or "")
    known = {found[0].source}
    again = list(walk_archive(tmp_path, Settings(), known=known.__contains__))
    assert again[0].sha256 is None and again[1].sha256 is not None


# -- run_batch --------------------------------------------------------------------------------


def test_batch_in_process_dedupes_refuses_logs_and_reruns_idempotently(
    tmp_path: Path,
    store_url: str,  # noqa: F811
) -> None:
    archive = tmp_path / "archive"
    expect = make_archive(archive)
    out = tmp_path / "out"
    rec = Recorder()
    report = run_batch(BatchConfig(archive, out, store_url), Settings(), rec)
    assert report.processed == expect["distinct"]
    assert report.duplicates == expect["duplicates"]
    assert report.refused == expect["refused"] and report.ignored == expect["ignored"]
    assert report.counts["done"] == expect["distinct"] - 1  # broken.pdf failed
    assert report.counts["failed"] == 1 + expect["refused"]
    assert report.counts["duplicate"] == expect["duplicates"]
    assert report.counts["pending"] == report.counts["running"] == 0
    assert report.pages == 6 * (expect["distinct"] - 1)
    assert rec.started_with == (
        expect["distinct"] + expect["duplicates"] + expect["refused"],
        expect["refused"],
        0,
    )
    with open_store(store_url) as st, st.session() as s:
        assert s.scalar(select(func.count(Document.id))) == expect["distinct"]
        assert s.scalar(select(func.count(RecordRow.id))) == expect["records"]
        jobs = {Path(j.source).name: j for j in list_jobs(s, report.batch)}
        # Same content twice: one extracted, the other a duplicate pointing at it.
        for a, b in (("decl-0-again.pdf", "decl-0.pdf"), ("zipped-dup.pdf", "self-0.pdf")):
            pair = sorted((jobs[a], jobs[b]), key=lambda j: j.state)
            assert [j.state for j in pair] == ["done", "duplicate"]
            assert pair[0].document_id == pair[1].document_id is not None
        esc = next(j for j in jobs.values() if j.source.endswith("!../escape.pdf"))
        assert esc.state == "failed" and "traversal" in (esc.error or "")
        assert esc.document_id is None
        broken = jobs["broken.pdf"]
        assert broken.state == "failed" and broken.document_id is not None
        assert broken.error and "broken.pdf" in broken.error
        zipped = s.get_one(Document, jobs["zipped.pdf"].document_id)
        assert zipped.path.endswith("bundle.zip!x/zipped.pdf") and zipped.status == "ok"
    log = (out / "batch.log").read_text(encoding="utf-8").splitlines()
    states = [ln.split("\t")[1] for ln in log if "\t# " not in ln]
    n_sources = expect["distinct"] + expect["duplicates"] + expect["refused"]
    assert len(states) == n_sources + expect["ignored"]
    assert states.count("duplicate") == 2 and states.count("refused") == 1
    assert any("\tdone\tok\t6p\t5rec\t" in ln and "self-1.pdf" in ln for ln in log)
    assert {p.name for p in out.iterdir()} >= {"records.jsonl", "results.xlsx", "summary.md"}
    before = records_by_sha(store_url)

    # A rerun has nothing left to do and changes nothing.
    again = run_batch(BatchConfig(archive, out, store_url), Settings())
    assert again.processed == again.duplicates == again.registered == 0
    assert again.counts == report.counts
    assert records_by_sha(store_url) == before

    # A file added later is the only work of the next run.
    (archive / "2023" / "a" / "late.pdf").write_bytes(distinct(SELF_EVAL, 55))
    late = run_batch(BatchConfig(archive, out, store_url), Settings())
    assert (late.registered, late.processed) == (1, 1)


def test_same_content_in_another_batch_is_a_duplicate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "a.pdf").write_bytes(SELF_EVAL)
    (two / "copy-of-a.pdf").write_bytes(SELF_EVAL)
    run_batch(BatchConfig(one, tmp_path / "o1", url, export=False), Settings())
    r2 = run_batch(BatchConfig(two, tmp_path / "o2", url, export=False), Settings())
    assert (r2.processed, r2.duplicates) == (0, 1)
    with open_store(url) as st, st.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 1
        (job,) = list_jobs(s, str(two.resolve()))
        assert job.state == "duplicate" and job.document_id is not None


class OlderRelease(InlineRunner):
    """An earlier extractor release: read table 1's project name differently."""

    def run(self, tasks: Any) -> Any:
        for task, result in super().run(tasks):
            if isinstance(result, DocumentResult):
                result.extractor_version = "0.0.1"
                result.records[0].record.project_name.text = "旧读法"
            yield task, result


def test_rerun_with_a_newer_release_keeps_reviewed_records_and_logs_them(
    tmp_path: Path,
    store_url: str,  # noqa: F811
) -> None:
    from jixiao.store import review as rv

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.pdf").write_bytes(SELF_EVAL)
    config = BatchConfig(tmp_path / "in", tmp_path / "o1", store_url, export=False, batch="b1")
    run_batch(config, Settings(), runner=OlderRelease(Settings(), "layout"))
    with open_store(store_url) as st, st.session() as s:
        rid = s.scalars(select(RecordRow.id).where(RecordRow.ordinal == 0)).one()
        rv.approve(s, rid, reviewer="wang", expected_version=1)
    # This release extracts the document again (another extractor version): table 1 differs.
    config = BatchConfig(tmp_path / "in", tmp_path / "o2", store_url, export=False, batch="b2")
    rec = Recorder()
    report = run_batch(config, Settings(), rec)
    assert (report.processed, report.reviewed_kept) == (1, 1)
    assert "kept 1 reviewed record (table 1)" in (rec.lines[0].detail or "")
    log = (tmp_path / "o2" / "batch.log").read_text(encoding="utf-8")
    assert "kept 1 reviewed record (table 1)" in log
    assert "1 reviewed records kept although the new extraction differs" in log
    with open_store(store_url) as st, st.session() as s:
        row = s.get_one(RecordRow, rid)
        assert (row.review_status, row.version, row.project_name) == ("approved", 2, "旧读法")
        assert row.reextracted_differs and row.reextracted_data is not None
        assert row.reextracted_data["project_name"] == "微信公众号经费"
        assert s.scalar(select(func.count(RecordRow.id))) == 5


def test_llm_mode_without_an_endpoint_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="JIXIAO_LLM_BASE_URL"):
        run_batch(BatchConfig(tmp_path, tmp_path / "o", mode="hybrid"), Settings())


# -- worker crashes ---------------------------------------------------------------------------


def crash_on_marked(
    task: DocTask, settings: Settings, mode: str = "layout", llm_url: str | None = None
) -> DocumentResult:
    """Worker function for the crash test: the process dies on sources named *crash*."""
    if "crash" in task.source:
        os._exit(3)
    return process_task(task, settings, mode, llm_url)


def test_a_dying_worker_fails_only_its_document_and_is_retried(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for i in range(3):
        (archive / f"ok-{i}.pdf").write_bytes(distinct(SELF_EVAL, i))
    (archive / "crash.pdf").write_bytes(distinct(TARGET, 9))
    url = f"sqlite:///{tmp_path / 'j.db'}"
    settings = Settings(batch_max_attempts=2)
    runner = ProcessRunner(2, settings, "layout", fn=crash_on_marked)
    try:
        report = run_batch(
            BatchConfig(archive, tmp_path / "out", url, workers=2, export=False),
            settings,
            runner=runner,
        )
    finally:
        runner.close()
    assert report.counts["done"] == 3 and report.counts["failed"] == 1
    with open_store(url) as st, st.session() as s:
        job = s.scalars(select(Job).where(Job.source.like("%crash.pdf"))).one()
        assert job.attempts == 2 and job.document_id is None
        assert "worker died" in (job.error or "")
    # The next run (no crash now) tries it again and finishes it.
    report2 = run_batch(BatchConfig(archive, tmp_path / "out", url, export=False), settings)
    assert report2.requeued == 1 and report2.processed == 1
    assert report2.counts["done"] == 4 and report2.counts["failed"] == 0


# -- the acceptance test: kill -9 mid-run, rerun ----------------------------------------------


def _finished(db: Path) -> tuple[int, int]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0, 0
    try:
        done = con.execute(
            "select count(*) from jobs where state in ('done','failed','skipped','duplicate')"
        ).fetchone()[0]
        total = con.execute("select count(*) from jobs").fetchone()[0]
        return int(done), int(total)
    except sqlite3.OperationalError:  # tables not created yet
        return 0, 0
    finally:
        con.close()


def _batch_cmd(archive: Path, out: Path, url: str, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jixiao.cli",
        "batch",
        str(archive),
        "--out",
        str(out),
        "--db",
        url,
        "--workers",
        str(workers),
        "--quiet",
    ]


def test_sigkill_mid_run_then_rerun_completes_exactly_once(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    expect = make_archive(archive, copies=4)
    db = tmp_path / "killed.db"
    url = f"sqlite:///{db}"
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        _batch_cmd(archive, out, url, workers=2),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    workers: list[psutil.Process] = []
    while True:
        done, total = _finished(db)
        if done >= expect["refused"] + 3:
            break
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.02)
    workers = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)  # a real kill -9 of the batch process
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # Its pool workers notice and exit: nothing keeps extracting for nobody.
    _gone, alive = psutil.wait_procs(workers, timeout=15)
    assert alive == []

    done_at_kill, total = _finished(db)
    n_sources = expect["distinct"] + expect["duplicates"] + expect["refused"]
    assert total == n_sources
    assert done_at_kill < n_sources, "killed too late: everything was already done"
    with sqlite3.connect(db) as con:
        states = dict(con.execute("select state, count(*) from jobs group by state").fetchall())
        extracted_before = con.execute("select count(*) from documents").fetchone()[0]
    assert states.get("pending", 0) + states.get("running", 0) > 0

    rerun = subprocess.run(
        _batch_cmd(archive, out, url, workers=2),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 1, rerun.stderr  # broken.pdf is a failed document
    assert "Traceback" not in rerun.stderr
    extracted_now = int(re.search(r"(\d+) extracted", rerun.stderr).group(1))  # type: ignore[union-attr]
    # Nothing done twice: what the killed run wrote is not extracted again.
    assert extracted_before + extracted_now == expect["distinct"]

    with open_store(url) as st, st.session() as s:
        counts = job_counts(s, str(archive.resolve()))
        assert counts["pending"] == counts["running"] == 0
        assert counts["duplicate"] == expect["duplicates"]
        assert s.scalar(select(func.count(Document.id))) == expect["distinct"]
        assert s.scalar(select(func.count(RecordRow.id))) == expect["records"]
        per_doc = s.execute(
            select(
                RecordRow.document_id, func.count(), func.count(func.distinct(RecordRow.ordinal))
            ).group_by(RecordRow.document_id)
        ).all()
        assert all(n == 5 and k == 5 for _d, n, k in per_doc)  # exactly one record set each
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "resuming:" in log

    # The records equal those of a clean run of the same archive.
    clean = f"sqlite:///{tmp_path / 'clean.db'}"
    run_batch(BatchConfig(archive, tmp_path / "clean-out", clean, export=False), Settings())
    assert records_by_sha(url) == records_by_sha(clean)
    assert documents_by_sha(url) == documents_by_sha(clean)


# -- Dask -------------------------------------------------------------------------------------


@pytest.mark.golden
def test_dask_local_cluster_matches_a_single_process_run(tmp_path: Path) -> None:
    golden_required()
    from distributed import LocalCluster

    archive = tmp_path / "golden"
    archive.mkdir()
    for p in DIGITAL:
        (archive / p.name).write_bytes(p.read_bytes())
    single = f"sqlite:///{tmp_path / 'single.db'}"
    dask = f"sqlite:///{tmp_path / 'dask.db'}"
    run_batch(BatchConfig(archive, tmp_path / "o1", single, export=False), Settings())
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = run_batch(
            BatchConfig(
                archive, tmp_path / "o2", dask, scheduler=cluster.scheduler_address, export=False
            ),
            Settings(),
        )
    assert report.counts["done"] == len(DIGITAL) and report.processed == len(DIGITAL)
    assert records_by_sha(dask) == records_by_sha(single)
    assert documents_by_sha(dask) == documents_by_sha(single)
    assert sum(len(v) for v in records_by_sha(dask).values()) == report_records(single)


def test_unreachable_scheduler_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--scheduler"):
        DaskRunner(Settings(), "layout", address="tcp://127.0.0.1:1", connect_timeout_s=1)


def report_records(url: str) -> int:
    with open_store(url) as st, st.session() as s:
        return int(s.scalar(select(func.count(RecordRow.id))) or 0)


def test_inline_runner_yields_results_with_the_source_as_path(tmp_path: Path) -> None:
    runner = InlineRunner(Settings(), "layout")
    task = DocTask(1, "/archive/x.zip!m.pdf", None, data=SELF_EVAL)
    ((t, result),) = list(runner.run(iter([task])))
    assert t is task and isinstance(result, DocumentResult)
    assert result.path == "/archive/x.zip!m.pdf" and len(result.records) == 5
    bad = DocTask(2, "/archive/x.zip!bad.pdf", None, data=b"nope")
    ((_, failed),) = list(runner.run(iter([bad])))
    assert isinstance(failed, DocumentResult) and failed.status == "failed"
    assert failed.errors and all("/archive/x.zip!bad.pdf" in e.message for e in failed.errors)
    assert not any("jixiao-" in e.message for e in failed.errors)  # no temp file names


def test_parallel_workers_share_the_cores_for_ocr() -> None:
    from jixiao.batch.runners import share_cores
    from jixiao.settings import Settings

    assert share_cores(Settings(ocr_threads=0), 1).ocr_threads == 0  # one process: all cores
    two = share_cores(Settings(ocr_threads=0), 2).ocr_threads
    assert two == max(1, (os.cpu_count() or 1) // 2)
    assert share_cores(Settings(ocr_threads=0), 0).ocr_threads == 1  # Dask: per thread
    assert share_cores(Settings(ocr_threads=3), 2).ocr_threads == 3  # set by the operator
