"""Where documents are extracted: in this process, in a local process pool, or on a Dask
cluster. Every runner takes an iterator of tasks and yields ``(task, result)`` pairs as
documents finish (``result`` is an exception when the worker itself died); the batch
process does all the writing, so workers never touch the store.

The number of tasks in flight is bounded (2 per worker slot): task bytes and results of a
huge archive are never all in memory at once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from jixiao.batch.work import DocTask, init_worker, process_task
from jixiao.settings import Settings
from schemas.errors import ConfigError
from schemas.options import Mode
from schemas.results import DocumentResult

Outcome = tuple[DocTask, DocumentResult | BaseException]


Note = Callable[[str], None]


def _no_note(_text: str) -> None:
    pass


class Runner(Protocol):
    #: whether tasks must carry their bytes (workers may not see the archive's files)
    ships_bytes: bool
    slots: int
    #: where a runner reports what happened to its workers (the batch log)
    on_note: Note

    def run(self, tasks: Iterator[DocTask]) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


class InlineRunner:
    """One document at a time, in this process (``--workers 1``)."""

    ships_bytes = False
    slots = 1

    def __init__(self, settings: Settings, mode: Mode, llm_url: str | None = None) -> None:
        self.settings, self.mode, self.llm_url = settings, mode, llm_url
        self.on_note: Note = _no_note

    def run(self, tasks: Iterator[DocTask]) -> Iterator[Outcome]:
        for task in tasks:
            yield task, process_task(task, self.settings, self.mode, self.llm_url)

    def close(self) -> None:
        pass


def _context() -> Any:
    """forkserver where the platform has it (fast worker start, no inherited locks or
    open database connections), else spawn. Never fork: the parent holds a store engine."""
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        ctx.set_forkserver_preload(["jixiao.batch.work", "extractor.pipeline"])
    return ctx


def share_cores(settings: Settings, workers: int) -> Settings:
    """Settings for one of ``workers`` processes on this machine (0: one per core): unless
    JIXIAO_OCR_THREADS is set, each OCR engine gets its share of the cores, because engines
    that each spin on every core slow each other down (benchmarks/README.md, OCR)."""
    if settings.ocr_threads or workers == 1:
        return settings
    share = 1 if workers == 0 else max(1, (os.cpu_count() or 1) // workers)
    return settings.model_copy(update={"ocr_threads": share})


class ProcessRunner:
    """``--workers N``: a pool of N processes on this machine. A worker that dies (out of
    memory, a crash in MuPDF) fails only the documents it had; the pool is rebuilt."""

    ships_bytes = False

    def __init__(
        self,
        workers: int,
        settings: Settings,
        mode: Mode,
        llm_url: str | None = None,
        *,
        fn: Callable[..., DocumentResult] = process_task,
    ) -> None:
        self.slots = workers
        self.settings, self.mode, self.llm_url = share_cores(settings, workers), mode, llm_url
        self.fn = fn  # importable by name in the workers (tests pass one that crashes)
        self._pool: ProcessPoolExecutor | None = None
        self.on_note: Note = _no_note

    def _dead_workers(self) -> str:
        """Which worker processes of the broken pool died, and how (exit code or signal)."""
        procs = getattr(self._pool, "_processes", None) or {}
        out = []
        for pid, p in list(procs.items()):
            code = getattr(p, "exitcode", None)
            if code is None or code == 0:
                continue
            if code < 0:
                try:
                    how = f"killed by {signal.Signals(-code).name}"
                except ValueError:
                    how = f"killed by signal {-code}"
            else:
                how = f"exited with code {code}"
            out.append(f"pid {pid} {how}")
        return ", ".join(out) or "a worker process died"

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(
            max_workers=self.slots,
            mp_context=_context(),
            initializer=init_worker,
            initargs=(os.getpid(),),
        )
        return self._pool

    def _submit(self, task: DocTask) -> Future[DocumentResult]:
        pool = self._pool or self._new_pool()
        try:
            return pool.submit(self.fn, task, self.settings, self.mode, self.llm_url)
        except BrokenProcessPool:
            return self._new_pool().submit(self.fn, task, self.settings, self.mode, self.llm_url)

    def run(self, tasks: Iterator[DocTask]) -> Iterator[Outcome]:
        """When a worker dies, every document in flight fails with it and nobody knows
        which one killed it: those are run again one at a time (``suspects``), so only
        the document that kills a worker on its own is reported as the crash."""
        inflight: dict[Future[DocumentResult], DocTask] = {}
        suspects: deque[DocTask] = deque()
        exhausted = False
        while True:
            if suspects:
                if not inflight:
                    task = suspects.popleft()
                    inflight[self._submit(task)] = task
            else:
                while not exhausted and len(inflight) < 2 * self.slots:
                    nxt = next(tasks, None)
                    if nxt is None:
                        exhausted = True
                        break
                    inflight[self._submit(nxt)] = nxt
            if not inflight:
                if suspects:
                    continue
                return
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken: list[DocTask] = []
            for fut in done:
                task = inflight.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken.append(task)
                    continue
                except Exception as e:
                    yield task, e
                    continue
                yield task, result
            if broken:
                lost = broken + list(inflight.values())
                inflight.clear()
                dead = self._dead_workers()
                self._new_pool()
                names = ", ".join(t.source for t in lost)
                if len(lost) == 1:
                    self.on_note(f"worker died ({dead}) extracting {names}")
                    yield lost[0], BrokenProcessPool(f"the worker process died ({dead})")
                else:
                    self.on_note(
                        f"worker died ({dead}) with {len(lost)} documents in flight ({names}): "
                        "running them again one at a time to find which one kills it"
                    )
                    suspects.extend(lost)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskRunner:
    """``--scheduler tcp://host:8786``: one task per document on a Dask ``distributed``
    cluster (or a ``Client`` passed in, e.g. on a ``LocalCluster``). Tasks carry the PDF's
    bytes, so workers need no access to the archive; results come back to this process,
    which writes them."""

    ships_bytes = True

    def __init__(
        self,
        settings: Settings,
        mode: Mode,
        llm_url: str | None = None,
        *,
        address: str | None = None,
        client: Any = None,
        wait_for_workers_s: float = 120.0,
        connect_timeout_s: float = 30.0,
    ) -> None:
        from distributed import Client

        if client is None and not address:
            raise ValueError("DaskRunner needs a scheduler address or a Client")
        self._own = client is None
        try:
            self.client = (
                client if client is not None else Client(address, timeout=f"{connect_timeout_s}s")
            )
        except (OSError, TimeoutError) as e:
            raise ConfigError(
                f"cannot reach the Dask scheduler {address} (--scheduler): {e}"
            ) from e
        try:
            self.client.wait_for_workers(1, timeout=wait_for_workers_s)
        except TimeoutError as e:
            self.close()
            raise ConfigError(
                f"no Dask worker joined the scheduler {address or ''} in {wait_for_workers_s:g} s "
                "(start some: dask worker ADDR --nthreads 1)"
            ) from e
        nthreads = self.client.nthreads()
        self.slots = max(1, sum(nthreads.values()) if nthreads else 1)
        # Each Dask worker thread runs one document: one OCR thread each, unless set.
        self.settings = settings if settings.ocr_threads else share_cores(settings, 0)
        self.mode, self.llm_url = mode, llm_url
        self.on_note: Note = _no_note

    def run(self, tasks: Iterator[DocTask]) -> Iterator[Outcome]:
        from distributed import as_completed

        inflight: dict[str, DocTask] = {}
        pending = as_completed()
        exhausted = False

        def submit() -> None:
            nonlocal exhausted
            while not exhausted and len(inflight) < 2 * self.slots:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                    return
                key = f"jixiao-doc-{task.job_id}-{task.attempt}-{os.urandom(4).hex()}"
                fut = self.client.submit(
                    process_task,
                    task,
                    self.settings,
                    self.mode,
                    self.llm_url,
                    key=key,
                    pure=False,
                    retries=0,
                )
                inflight[key] = task
                pending.add(fut)

        submit()
        while inflight:
            fut = next(pending)
            task = inflight.pop(fut.key)
            try:
                result = fut.result()
            except Exception as e:  # the worker died or the task was lost
                self.on_note(f"Dask task of {task.source} lost ({type(e).__name__}: {e})")
                yield task, e
            else:
                yield task, result
            fut.release()
            submit()

    def close(self) -> None:
        if self._own:
            self.client.close()
