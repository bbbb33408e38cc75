"""``jixiao model check``: start (or reach) the endpoint, make one real completion, and say
how long the model took to load and how many tokens per second it writes.

A failure is the same clear error as during extraction (``extractor/llm/failures.py``): the
endpoint, the cause (refused, timeout, the server's exit status or signal and its log's last
lines) and the remedy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import openai

from extractor.llm.failures import LLMError, classify
from jixiao.model_client import served
from jixiao.settings import Settings
from schemas.sanitise import mask_url

PROMPT = "Count from 1 to 30, the numbers separated by spaces, nothing else."
MAX_TOKENS = 64


@dataclass
class CheckReport:
    url: str
    model: str
    load_s: float | None  # None: a configured endpoint (not started here)
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    text: str
    threads: int = 0  # llama.cpp threads of the embedded server (0: not started here)

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


def run_check(
    settings: Settings, *, http_client: Any = None, clock: Any = time.perf_counter
) -> CheckReport:
    """One completion on the configured or embedded endpoint (stopped when done)."""
    t0 = clock()
    with served(settings) as ep:
        load_s = None if settings.llm_base_url else clock() - t0
        oa = openai.OpenAI(
            base_url=ep.url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            http_client=http_client,
        )
        t1 = clock()
        try:
            resp = oa.chat.completions.create(
                model=settings.llm_model,
                messages=[{"role": "user", "content": PROMPT}],
                max_tokens=MAX_TOKENS,
                temperature=0,
            )
        except Exception as e:
            failure = classify(e, ep.url, ep.health)
            if failure is not None:
                raise failure from e
            raise LLMError(f"model check failed: {type(e).__name__}: {e}") from e
        seconds = clock() - t1
    usage = resp.usage
    out = CheckReport(
        url=mask_url(ep.url),
        model=settings.llm_model,
        load_s=load_s,
        seconds=seconds,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        text=(resp.choices[0].message.content or "") if resp.choices else "",
        threads=ep.threads,
    )
    if out.completion_tokens == 0:
        raise LLMError(f"model endpoint {out.url} answered with no tokens: see its log")
    return out


def format_check(r: CheckReport) -> list[str]:
    load = (
        f"loaded in {r.load_s:.1f} s, {r.threads} threads"
        if r.load_s is not None
        else "configured endpoint (not loaded here)"
    )
    return [
        f"endpoint {r.url}, model {r.model}: {load}",
        f"one completion: {r.prompt_tokens} prompt tokens, {r.completion_tokens} tokens out "
        f"in {r.seconds:.2f} s: {r.tokens_per_s:.1f} tokens/s",
        f"answer: {r.text.strip()[:120]}",
    ]
