"""Honest failure of the model (issue 11), with a fake transport and fake server processes.

Three ways the model cannot answer: the server dies mid-batch (a real child process killed
by SIGILL, with a log), the connection is refused, the request times out. Each gives one
clear error (cause, masked endpoint URL, remedy), lists the unanswered questions with their
reason in the document's ledger, makes ``jixiao extract --mode llm`` exit non-zero with the
results still printed, and makes ``jixiao eval --compare --check`` fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from evals import load_golden
from evals.compare import check_modes
from extractor.llm.asker import Asker, EndpointError
from extractor.pipeline import extract_document
from jixiao import cli
from jixiao.evalrun import run_mode
from jixiao.llama_server import Server, exit_text, log_tail, spawn, stop_server
from jixiao.model_client import build_client
from jixiao.output import golden_document
from jixiao.settings import Settings
from schemas.document_errors import ErrorCode
from tests.fake_llm import FakeModel, keys_of
from tests.llm_helpers import STANDARD, ask_kinds

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-self-eval.pdf"
URL = "http://jx:s3cret@127.0.0.1:9/v1"  # never connected to: the transport is fake
LOG_LINE = "ggml_cpu: invalid opcode in libggml-cpu.so"

# A stand-in for the embedded server: writes to its log, then waits to be killed.
CHILD = f"import signal; print('llama server loading', flush=True); print({LOG_LINE!r}, flush=True); signal.pause()"


def _answer(body: dict[str, Any]) -> dict[str, str]:
    return {key: STANDARD.get(text, "value") for key, text in keys_of(body).items()}


class Scenario:
    """A fake endpoint that answers ``ok`` questions, then fails the ``kind`` way."""

    def __init__(self, kind: str, tmp: Path, ok: int = 0) -> None:
        self.kind = kind
        self.ok = ok
        self.requests = 0
        self.server: Server | None = None
        if kind == "dies":
            log = tmp / "llama-server.log"
            self.server = spawn([sys.executable, "-c", CHILD], log)
            while LOG_LINE not in log.read_text():  # the child has written its log
                assert self.server.proc.poll() is None, log.read_text()

    def reply(self, body: dict[str, Any]) -> Any:
        self.requests += 1
        if self.requests <= self.ok:
            return _answer(body)
        if self.kind == "dies" and self.server is not None:
            if self.server.proc.poll() is None:
                self.server.proc.send_signal(signal.SIGILL)
                self.server.proc.wait()
            raise httpx2.RemoteProtocolError("Server disconnected without sending a response.")
        if self.kind == "refused":
            raise httpx2.ConnectError("[Errno 111] Connection refused")
        raise httpx2.ReadTimeout("timed out")

    def asker(self) -> Asker:
        fake = FakeModel(self.reply)
        http = httpx2.Client(transport=httpx2.MockTransport(fake.handler))
        client = build_client(Settings(), http_client=http, base_url=URL)
        health = self.server.death if self.server is not None else None
        return Asker(client, "m", url=URL, health=health, max_attempts=2, backoff_max_s=0.01)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop(grace_s=5)


EXPECTED = {
    "dies": ("server_died", ["killed by signal 4 (SIGILL)", LOG_LINE, "Building llama.cpp"]),
    "refused": ("refused", ["refused the connection", "Connection refused", "JIXIAO_LLM_BASE_URL"]),
    "timeout": ("timeout", ["did not answer in time", "JIXIAO_LLM_TIMEOUT_S", "model check"]),
}
KINDS = sorted(EXPECTED)


@pytest.fixture
def scenario(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scenario]:
    s = Scenario(request.param, tmp_path)
    yield s
    s.close()


def _clear(message: str, kind: str) -> None:
    for text in EXPECTED[kind][1]:
        assert text in message, (text, message)
    assert "127.0.0.1:9/v1" in message and "s3cret" not in message and "***" in message


@pytest.mark.parametrize("scenario", KINDS, indirect=True)
def test_one_clear_error_and_the_unanswered_questions_with_their_reason(
    scenario: Scenario,
) -> None:
    result = extract_document(SAMPLE, mode="llm", asker=scenario.asker())
    assert result.llm is not None and result.llm.questions >= 1
    assert result.llm.failed_questions == len(result.llm.unanswered) == result.llm.questions
    reason = EXPECTED[scenario.kind][0]
    assert result.llm.unanswered[0].reason == reason
    assert {q.reason for q in result.llm.unanswered[1:]} <= {"not_asked"}
    model_errors = [e for e in result.errors if e.code is ErrorCode.MODEL]
    assert len(model_errors) == 1  # one error, not one per question
    assert model_errors[0].message.startswith("model endpoint")
    _clear(model_errors[0].message, scenario.kind)
    assert result.status.value == "partial"


def _fake_model(make: Callable[[], Asker]) -> Any:
    @contextlib.contextmanager
    def model(settings: Settings, mode: cli.Mode) -> Iterator[Callable[[], Asker | None]]:
        yield (lambda: None) if mode is cli.Mode.layout else make

    return model


@pytest.mark.parametrize("scenario", KINDS, indirect=True)
def test_extract_in_a_model_mode_exits_non_zero_and_still_prints_the_results(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario.ok = 1  # the first question is answered: the failure comes mid-batch
    monkeypatch.setattr(cli, "_model", _fake_model(scenario.asker))
    out = tmp_path / "out.json"
    res = CliRunner().invoke(
        cli.app, ["extract", str(SAMPLE), str(SAMPLE), "--mode", "llm", "-q", "-o", str(out)]
    )
    assert res.exit_code == cli.EXIT_MODEL, res.output
    docs = json.loads(out.read_text(encoding="utf-8"))
    assert len(docs) == 2 and all(d["records"] for d in docs)  # results printed all the same
    # Each document says which questions went unanswered, and why.
    reasons = [q["reason"] for d in docs for q in d.get("unanswered", [])]
    assert reasons[0] == EXPECTED[scenario.kind][0] and set(reasons[1:]) <= {
        EXPECTED[scenario.kind][0],
        "not_asked",
    }
    assert all(
        q["question"].startswith("text_kinds") for d in docs for q in d.get("unanswered", [])
    )
    assert "questions unanswered in" in res.output
    _clear(res.output, scenario.kind)


def test_extract_exits_zero_when_the_model_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_model", _fake_model(lambda: Asker(FakeModel(_answer).client(), "m")))
    res = CliRunner().invoke(
        cli.app, ["extract", str(SAMPLE), "--mode", "llm", "-q", "-o", str(tmp_path / "o.json")]
    )
    assert res.exit_code == 0, res.output


def _golden_dir(tmp_path: Path) -> Path:
    """The sample form as a golden case whose answers are layout's reading."""
    d = tmp_path / "golden"
    d.mkdir()
    shutil.copy(SAMPLE, d / "sample.pdf")
    doc = golden_document(extract_document(SAMPLE))
    (d / "sample.golden.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return d


@pytest.mark.parametrize("scenario", KINDS, indirect=True)
def test_compare_check_fails_when_a_model_mode_answered_fewer_questions(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIXIAO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "_model", _fake_model(scenario.asker))
    golden = _golden_dir(tmp_path)
    res = CliRunner().invoke(cli.app, ["eval", str(golden), "--compare", "--check", "-q"])
    assert res.exit_code == 1, res.output
    assert "the model answered 0 of" in res.output
    assert "all bars met" not in res.output


def test_compare_check_passes_when_the_model_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same check passes with a live (fake) model, so it can pass and fail."""
    monkeypatch.setenv("JIXIAO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "_model", _fake_model(lambda: Asker(FakeModel(_answer).client(), "m")))
    golden = _golden_dir(tmp_path)
    res = CliRunner().invoke(cli.app, ["eval", str(golden), "--compare", "--check", "-q"])
    assert res.exit_code == 0, res.output
    assert "all bars met" in res.output


@pytest.mark.parametrize("scenario", ["refused"], indirect=True)
def test_run_mode_counts_questions_and_reasons(scenario: Scenario, tmp_path: Path) -> None:
    cases = load_golden(_golden_dir(tmp_path))
    run = run_mode(cases, Settings(cache_dir=tmp_path / "c"), "llm", scenario.asker)
    assert run.questions >= 1 and run.failed_questions == run.questions
    assert run.unanswered.get("refused") == 1
    failures = check_modes([run])
    assert failures and failures[0].startswith(f"llm: the model answered 0 of {run.questions}")


def test_a_dead_server_is_not_retried(tmp_path: Path) -> None:
    """Once the embedded server is known dead, no further call is made (no backoff wait)."""
    s = Scenario("dies", tmp_path)
    try:
        asker = s.asker()
        asker.max_attempts = 5
        with pytest.raises(EndpointError) as e:
            ask_kinds(asker)
        assert e.value.reason == "server_died" and s.requests == 1
        with pytest.raises(EndpointError):  # the next question makes no call at all
            ask_kinds(asker)
        assert s.requests == 1 and asker.ledger.failed_questions == 2
    finally:
        s.close()


def test_stop_server_kills_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True)\nwhile True: time.sleep(0.05)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    assert stop_server(proc, grace_s=0.2) == -signal.SIGKILL  # SIGTERM ignored: killed


def test_stop_server_lets_a_polite_child_end_on_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert stop_server(proc, grace_s=30) == -signal.SIGTERM


def test_exit_text_and_log_tail(tmp_path: Path) -> None:
    assert exit_text(-4) == "killed by signal 4 (SIGILL)" and exit_text(1) == "exit status 1"
    log = tmp_path / "x.log"
    log.write_text("old run\n" + "".join(f"line {i}\n" for i in range(30)))
    tail = log_tail(log, offset=len("old run\n"), lines=3)
    assert tail.splitlines() == ["    | line 27", "    | line 28", "    | line 29"]
    assert "old run" not in log_tail(log, offset=len("old run\n"), lines=100)
    assert log_tail(tmp_path / "none.log") == "(no log)"


# --- jixiao model check: one completion, load time and tokens/s; its error path ---------


def _chat(body: dict[str, Any]) -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "length",
                    "message": {"role": "assistant", "content": "1 2 3 4 5"},
                }
            ],
            "usage": {"prompt_tokens": 31, "completion_tokens": 40, "total_tokens": 71},
        },
    )


def _http(reply: Callable[[httpx2.Request], httpx2.Response]) -> httpx2.Client:
    return httpx2.Client(transport=httpx2.MockTransport(reply))


def _sleeper(tmp_path: Path) -> Server:
    return spawn([sys.executable, "-c", "import time; time.sleep(600)"], tmp_path / "s.log")


def test_model_check_reports_load_time_and_tokens_per_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jixiao.llama_server
    from jixiao.model_check import format_check, run_check

    started: list[Server] = []

    def fake_start(*args: Any, **kw: Any) -> Server:
        started.append(_sleeper(tmp_path))
        return started[-1]

    monkeypatch.setattr(jixiao.llama_server, "start_server", fake_start)
    ticks = iter([100.0, 112.5, 113.0, 117.0])  # start, loaded, asked, answered
    report = run_check(
        Settings(cache_dir=tmp_path, llm_base_url=None),
        http_client=_http(lambda r: _chat(json.loads(r.content))),
        clock=lambda: next(ticks),
    )
    assert (report.load_s, report.seconds, report.completion_tokens) == (12.5, 4.0, 40)
    lines = format_check(report)
    assert "loaded in 12.5 s" in lines[0] and "127.0.0.1" in lines[0]
    assert "31 prompt tokens, 40 tokens out in 4.00 s: 10.0 tokens/s" in lines[1]
    assert started and started[0].proc.poll() is not None  # the server was stopped


def test_model_check_on_a_refused_endpoint_is_the_clear_error(tmp_path: Path) -> None:
    from jixiao.model_check import run_check

    def refuse(r: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused")

    with pytest.raises(EndpointError) as e:
        run_check(Settings(cache_dir=tmp_path, llm_base_url=URL), http_client=_http(refuse))
    _clear(str(e.value), "refused")


def test_model_check_when_the_server_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The embedded server dies while loading (SIGILL): exit 2, its signal and log said."""
    import jixiao.llama_server

    def fake_start(*args: Any, **kw: Any) -> Server:
        code = f"import os, signal; print({LOG_LINE!r}, flush=True); os.kill(os.getpid(), 4)"
        server = spawn([sys.executable, "-c", code], tmp_path / "llama-server.log")
        server.proc.wait()
        jixiao.llama_server.wait_ready("http://127.0.0.1:1/v1", 60, server)
        raise AssertionError("unreachable")  # pragma: no cover

    monkeypatch.setattr(jixiao.llama_server, "start_server", fake_start)
    monkeypatch.delenv("JIXIAO_LLM_BASE_URL", raising=False)
    monkeypatch.setenv("JIXIAO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["jixiao", "model", "check"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "could not start" in err and "killed by signal 4 (SIGILL)" in err
    assert LOG_LINE in err and "Building llama.cpp" in err


def test_the_server_dies_with_jixiao_even_on_sigkill() -> None:
    """PR_SET_PDEATHSIG: a jixiao killed by SIGKILL (no finally runs) takes the server along."""
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    parent = (
        "import sys, time; from jixiao.llama_server import spawn; "
        "s = spawn([sys.executable, '-c', 'import time; time.sleep(600)'], None); "
        "print(s.proc.pid, flush=True); time.sleep(600)"
    )
    p = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, cwd=REPO)
    assert p.stdout is not None
    child = int(p.stdout.readline())
    p.kill()
    p.wait()
    stat = Path(f"/proc/{child}/stat")
    for _ in range(3000):  # the kernel kills it; wait until it is gone or a zombie
        if not stat.exists() or stat.read_text().split(") ")[1].startswith(("Z", "X")):
            break
        time.sleep(0.01)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the server outlived jixiao")
