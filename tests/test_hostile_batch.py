"""Hostile archives, in the default run: files that vanish mid-run or cannot be read,
symlink loops and FIFOs, a folder the walk cannot list, a second run on the same batch,
zip members, a killed worker, a file name that is not UTF-8. Every source gets a final
state and one log line, and a rerun picks up what was fixed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from jixiao.batch import BatchConfig, run_batch
from jixiao.batch.lease import BatchLease, process_start
from jixiao.batch.runners import InlineRunner, Outcome, ProcessRunner
from jixiao.batch.work import DocTask, process_task
from jixiao.settings import Settings
from jixiao.store import Document, Job, open_store
from jixiao.store.lease import Holder, acquire_lease, lease_holder
from jixiao.store.tables import BatchLease as LeaseRow
from schemas.document_errors import DocumentError, ErrorCode
from schemas.errors import BatchBusyError
from schemas.results import DocumentResult
from tests import hostile_gen as gen
from tests.store_backends import store_url  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
SELF_EVAL = (REPO / "samples" / "sample-self-eval.pdf").read_bytes()
TARGET = (REPO / "samples" / "sample-target-decl.pdf").read_bytes()


def copy(data: bytes, n: int) -> bytes:
    return data + f"\n%hostile copy {n}\n".encode()


def jobs(url: str) -> dict[str, Job]:
    with open_store(url) as st, st.session() as s:
        return {Path(j.source).name: j for j in s.scalars(select(Job))}


def log_lines(out: Path) -> list[list[str]]:
    text = (out / "batch.log").read_text(encoding="utf-8")
    return [ln.split("\t") for ln in text.splitlines() if "\t# " not in ln]


class Vanishing(InlineRunner):
    """Deletes (or empties) a source just before its document is extracted."""

    def __init__(self, settings: Settings, victim: Path) -> None:
        super().__init__(settings, "layout")
        self.victim = victim

    def run(self, tasks: Iterator[DocTask]) -> Iterator[Outcome]:
        for task in tasks:
            if task.source == str(self.victim):
                self.victim.unlink()
            yield task, process_task(task, self.settings, self.mode, self.llm_url)


def test_a_vanished_file_is_retried_when_back_and_never_a_duplicate_of_a_failure(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    victim = archive / "b-vanishes.pdf"
    victim.write_bytes(copy(SELF_EVAL, 1))
    (archive / "a-ok.pdf").write_bytes(copy(TARGET, 1))
    url, out, settings = f"sqlite:///{tmp_path / 'j.db'}", tmp_path / "out", Settings()
    cfg = BatchConfig(archive, out, url, export=False)
    report = run_batch(cfg, settings, runner=Vanishing(settings, victim))
    assert report.counts["failed"] == 1 and report.counts["done"] == 1
    j = jobs(url)["b-vanishes.pdf"]
    assert j.document_id is None and "vanished" in (j.error or "")
    with open_store(url) as st, st.session() as s:  # no failed document under its hash
        assert s.scalars(select(Document.status)).all() == ["ok"]

    # Another batch with the same content while it is gone: extracted, not a duplicate.
    other = tmp_path / "other"
    other.mkdir()
    (other / "same.pdf").write_bytes(copy(SELF_EVAL, 1))
    rep2 = run_batch(BatchConfig(other, tmp_path / "o2", url, export=False), settings)
    assert rep2.processed == 1 and rep2.duplicates == 0

    # Restored: the rerun of the first batch tries it again (a duplicate of the other now).
    victim.write_bytes(copy(SELF_EVAL, 1))
    rep3 = run_batch(cfg, settings)
    assert rep3.requeued == 1 and rep3.counts["failed"] == 0
    assert jobs(url)["b-vanishes.pdf"].state in ("done", "duplicate")


def test_the_next_source_of_the_same_content_replaces_one_that_vanished(tmp_path: Path) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    victim = archive / "1-first.pdf"
    victim.write_bytes(copy(SELF_EVAL, 2))
    (archive / "2-second.pdf").write_bytes(copy(SELF_EVAL, 2))
    url, settings = f"sqlite:///{tmp_path / 'j.db'}", Settings()
    report = run_batch(
        BatchConfig(archive, tmp_path / "out", url, export=False),
        settings,
        runner=Vanishing(settings, victim),
    )
    j = jobs(url)
    assert j["1-first.pdf"].state == "failed" and j["1-first.pdf"].document_id is None
    assert j["2-second.pdf"].state == "done"
    assert report.duplicates == 0


def test_an_unreadable_file_is_retried_once_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    locked = archive / "locked.pdf"
    locked.write_bytes(copy(SELF_EVAL, 3))
    url, out = f"sqlite:///{tmp_path / 'j.db'}", tmp_path / "out"
    from jixiao.batch import archive as arch

    real = arch.file_sha256

    def denied(p: Path) -> str:  # root reads anything: permissions are simulated
        if p.name == "locked.pdf":
            raise PermissionError(13, "Permission denied")
        return real(p)

    monkeypatch.setattr(arch, "file_sha256", denied)
    cfg = BatchConfig(archive, out, url, export=False)
    report = run_batch(cfg, Settings())
    assert report.counts["failed"] == 1 and jobs(url)["locked.pdf"].sha256 is None
    assert "Permission denied" in (jobs(url)["locked.pdf"].error or "")
    monkeypatch.setattr(arch, "file_sha256", real)
    rerun = run_batch(cfg, Settings())
    assert rerun.requeued == 1 and rerun.counts == {**rerun.counts, "done": 1, "failed": 0}


def test_a_failed_document_stays_failed_until_its_file_changes(tmp_path: Path) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    broken = archive / "1-broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n garbage")
    (archive / "2-twin.pdf").write_bytes(b"%PDF-1.7\n garbage")
    url, out = f"sqlite:///{tmp_path / 'j.db'}", tmp_path / "out"
    cfg = BatchConfig(archive, out, url, export=False)
    first = run_batch(cfg, Settings())
    j = jobs(url)
    assert first.duplicates == 0  # the twin is failed too, never a duplicate of a failure
    assert j["2-twin.pdf"].state == "failed" and "same content" in (j["2-twin.pdf"].error or "")
    again = run_batch(cfg, Settings())
    assert again.requeued == 0 and again.processed == 0  # the same bytes would fail again
    broken.write_bytes(copy(SELF_EVAL, 4))  # fixed
    fixed = run_batch(cfg, Settings())
    assert fixed.requeued == 1 and jobs(url)["1-broken.pdf"].state == "done"


def test_links_loops_fifos_and_unlistable_folders_are_lines_not_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "a"
    gen.symlink_loops(archive / "links")
    (archive / "ok.pdf").write_bytes(copy(SELF_EVAL, 5))
    (archive / "secret").mkdir()
    odd = gen.undecodable_name(archive, copy(TARGET, 5))
    real_walk = os.walk

    def walk(
        top: str, topdown: bool = True, onerror: object = None, followlinks: bool = False
    ) -> Iterator[object]:  # os.walk, with a folder that cannot be listed (root reads all)
        for d, dirs, files in real_walk(top, topdown=topdown, followlinks=followlinks):
            if str(d).endswith("secret") and callable(onerror):
                onerror(PermissionError(13, "Permission denied", str(d)))
                continue
            yield d, dirs, files

    monkeypatch.setattr("jixiao.batch.archive.os.walk", walk)
    out = tmp_path / "out"
    report = run_batch(BatchConfig(archive, out, f"sqlite:///{tmp_path / 'j.db'}"), Settings())
    states = {Path(ln[6]).name: (ln[1], ln[7]) for ln in log_lines(out)}
    assert states["a.pdf"][0] == states["self.pdf"][0] == "ignored"
    assert "loop" in states["a.pdf"][1] and "loop" in states["self.pdf"][1]
    assert "FIFO" in states["fifo.pdf"][1]
    assert states["secret"] == ("unreadable", "cannot be listed: Permission denied")
    assert states["ok.pdf"][0] == "done"
    assert report.unreadable == 1
    if odd is not None:
        assert states["\\xff\\xfe-form.pdf"][0] == "done"


def test_a_second_run_on_the_same_batch_refuses_and_a_dead_ones_lease_is_taken(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    (archive / "x.pdf").write_bytes(copy(SELF_EVAL, 6))
    url, out = f"sqlite:///{tmp_path / 'j.db'}", tmp_path / "out"
    batch = str(archive.resolve())
    cfg = BatchConfig(archive, out, url, export=False)
    with open_store(url) as st, BatchLease(st, batch, Settings()):
        with pytest.raises(BatchBusyError, match=f"pid {os.getpid()}"):
            run_batch(cfg, Settings())
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "jixiao.cli",
                "batch",
                str(archive),
                "--out",
                str(out),
                "--db",
                url,
                "--quiet",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2 and "already being run" in proc.stderr
        assert "Traceback" not in proc.stderr
    # A lease left by a killed run (its process is gone) is taken over at once.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    with open_store(url) as st, st.session() as s:
        ghost = Holder("ghost", socket.gethostname(), dead.pid, "1")
        assert acquire_lease(s, batch, ghost, lambda _h: True) is None
    report = run_batch(cfg, Settings())
    assert report.processed == 1
    assert f"took over the lease of a run that is gone (pid {dead.pid}" in (
        out / "batch.log"
    ).read_text(encoding="utf-8")
    with open_store(url) as st, st.session() as s:
        assert lease_holder(s, batch) is None  # released at the end


def test_a_lease_from_another_host_is_taken_only_when_its_heartbeat_is_stale(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from jixiao.batch.lease import holder_is_dead
    from jixiao.store.tables import utcnow

    fresh = Holder("o", "elsewhere", 1, "", utcnow(), utcnow())
    old = Holder("o", "elsewhere", 1, "", utcnow(), utcnow() - timedelta(seconds=400))
    assert not holder_is_dead(fresh, 300, host="here")
    assert holder_is_dead(old, 300, host="here")
    me = Holder("me", "here", os.getpid(), process_start(os.getpid()))
    assert not holder_is_dead(me, 300, host="here")
    assert holder_is_dead(Holder("me", "here", os.getpid(), "0"), 300, host="here")  # reused
    with open_store(f"sqlite:///{tmp_path / 'j.db'}") as st, st.session() as s:
        assert acquire_lease(s, "b", fresh, lambda h: holder_is_dead(h, 300, "here")) is None
        taken = acquire_lease(s, "b", me, lambda h: holder_is_dead(h, 300, "here"))
        assert taken is not None and taken.owner == "o"  # live holder elsewhere: refused
        s.execute(LeaseRow.__table__.update().values(heartbeat_at=old.heartbeat_at))
        assert acquire_lease(s, "b", me, lambda h: holder_is_dead(h, 300, "here")) is None


class Recording(InlineRunner):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, "layout")
        self.seen: list[tuple[str | None, bool, bool]] = []

    def run(self, tasks: Iterator[DocTask]) -> Iterator[Outcome]:
        for task, outcome in super().run(tasks):
            exists = bool(task.path) and Path(task.path or "").is_file()
            self.seen.append((task.path, task.data is None, exists))
            yield task, outcome


def test_zip_members_reach_workers_as_spooled_files(tmp_path: Path) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep.pdf", copy(TARGET, 7))
    with zipfile.ZipFile(archive / "bundle.zip", "w") as z:
        z.writestr("m.pdf", copy(SELF_EVAL, 7))
        z.write(inner, "inner.zip")
    runner = Recording(Settings())
    url = f"sqlite:///{tmp_path / 'j.db'}"
    report = run_batch(BatchConfig(archive, tmp_path / "out", url, export=False), runner=runner)
    assert report.counts["done"] == 2
    assert len(runner.seen) == 2
    for path, no_bytes, existed in runner.seen:
        assert no_bytes and existed and path is not None
        assert not Path(path).exists()  # removed once its result was back
    errors = [j.error for j in jobs(url).values()]
    assert all(e is None for e in errors)


def crash_on_marked(
    task: DocTask, settings: Settings, mode: str = "layout", llm_url: str | None = None
) -> DocumentResult:
    if "crash" in task.source:
        os._exit(3)
    return process_task(task, settings, mode, llm_url)


def test_a_killed_worker_is_logged(tmp_path: Path) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    (archive / "ok.pdf").write_bytes(copy(SELF_EVAL, 8))
    (archive / "crash.pdf").write_bytes(copy(TARGET, 8))
    settings = Settings(batch_max_attempts=1)
    runner = ProcessRunner(2, settings, "layout", fn=crash_on_marked)
    out = tmp_path / "out"
    try:
        run_batch(
            BatchConfig(archive, out, f"sqlite:///{tmp_path / 'j.db'}", workers=2, export=False),
            settings,
            runner=runner,
        )
    finally:
        runner.close()
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "# worker died (pid" in log and "exited with code 3" in log
    failed = [ln for ln in log_lines(out) if ln[1] == "failed"]
    assert [Path(ln[6]).name for ln in failed] == ["crash.pdf"]


def test_hostile_text_is_stored_on_every_backend(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    """Surrogate-mapped text, a non-UTF-8 file name, markup and NUL in an error message
    are stored (PostgreSQL refuses NUL and SQLite/UTF-8 lone surrogates)."""
    archive = tmp_path / "a"
    archive.mkdir()
    gen.surrogate_pdf(archive / "surrogate.pdf")
    gen.xss_pdf(archive / "xss.pdf")
    gen.undecodable_name(archive, copy(TARGET, 9))
    report = run_batch(BatchConfig(archive, tmp_path / "out", store_url, export=False))
    assert report.counts["failed"] == 0 and report.processed >= 2
    result = process_task(
        DocTask(0, "x\x00y\udc01.pdf", None, path=str(archive / "xss.pdf")), Settings()
    )
    result.errors.append(DocumentError(code=ErrorCode.ERROR, message="bad\x00byte \udc01"))
    from jixiao.store import save_result

    with open_store(store_url) as st, st.session() as s:
        save_result(s, result, sha256="0" * 64)
        doc = s.scalars(select(Document).where(Document.sha256 == "0" * 64)).one()
        assert "\x00" not in doc.path and "\ufffd" in doc.errors[-1]["message"]


def test_a_second_run_told_to_wait_starts_when_the_first_is_done(tmp_path: Path) -> None:
    import threading

    url = f"sqlite:///{tmp_path / 'j.db'}"
    with open_store(url) as st:
        first = BatchLease(st, "b", Settings())
        first.__enter__()
        done = threading.Event()

        def finish_later() -> None:
            done.wait(0.5)
            first.__exit__(None, None, None)

        t = threading.Thread(target=finish_later)
        t.start()
        with BatchLease(st, "b", Settings(batch_lease_wait_s=60)) as second:
            assert not second.lost
            with st.session() as s:
                holder = lease_holder(s, "b")
                assert holder is not None and holder.owner == second.me.owner
        t.join()
