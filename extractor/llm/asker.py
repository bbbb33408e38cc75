"""Asking the model: instructor re-asks on validation errors, tenacity retries transport errors.

The instructor client is passed in (built at the edge, ``jixiao/model_client.py``; tests give the
OpenAI client a fake transport). Every answer is cached by content hash, and every call is
counted in the document's ledger: completions, re-asks, transport retries, tokens, seconds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import instructor
import openai
from instructor.core.hooks import Hooks
from pydantic import BaseModel
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from extractor.llm.cache import AnswerCache, cache_key
from extractor.llm.failures import EndpointError, Health, LLMError, classify
from schemas.results import LLMLedger, UnansweredQuestion

TRANSPORT_ERRORS = (
    openai.APIConnectionError,  # includes APITimeoutError
    openai.RateLimitError,
    openai.InternalServerError,
)

__all__ = ["Asker", "EndpointError", "LLMError"]

# instructor logs every failed attempt at ERROR; the ledger counts attempts, and a failure is
# said once, with its cause and remedy (``extractor/llm/failures.py``).
logging.getLogger("instructor.v2.retry").setLevel(logging.CRITICAL)


def describe(prompt_version: str, texts: list[str]) -> str:
    """A question in one line: its prompt, how many texts, the first of them."""
    head = ", ".join(t[:20] for t in texts[:3]) + (" …" if len(texts) > 3 else "")
    return f"{prompt_version}: {len(texts)} texts ({head})"


def short_reason(exc: BaseException, limit: int = 300) -> str:
    """An exception in a line: instructor's retry exception says every attempt with its
    whole completion; its last validation error is what the user needs."""
    text = str(exc)
    last = text.rsplit("<last_exception>", 1)[-1].split("</last_exception>")[0]
    line = " ".join(last.split())
    return f"{type(exc).__name__}: {line[:limit]}" + ("…" if len(line) > limit else "")


def _is_transport(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, TRANSPORT_ERRORS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Asker:
    def __init__(
        self,
        client: instructor.Instructor,
        model: str,
        *,
        cache: AnswerCache | None = None,
        ledger: LLMLedger | None = None,
        max_reasks: int = 2,
        max_attempts: int = 4,
        backoff_max_s: float = 20.0,
        max_tokens: int = 512,
        url: str | None = None,
        health: Health | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.cache = cache
        self.ledger = ledger or LLMLedger(model=model)
        self.max_reasks = max_reasks
        self.max_attempts = max_attempts
        self.backoff_max_s = backoff_max_s
        self.max_tokens = max_tokens
        self.url = (
            url
            if url is not None
            else str(getattr(getattr(client, "client", None), "base_url", "") or "")
        )
        self.health = health
        # Per-call hooks (given to each ``create``), never registered on the shared client: a
        # batch builds an Asker per document on one cached client, and client-wide handlers
        # would pile up (every response counted once per Asker ever built, none freed).
        self.hooks = Hooks()
        self.hooks.on("completion:response", self._on_response)
        self.hooks.on("parse:error", self._on_parse_error)

    def _on_response(self, response: Any) -> None:
        self.ledger.calls += 1
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.ledger.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.ledger.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def _on_parse_error(self, error: Exception) -> None:
        self.ledger.reasks += 1

    def _on_retry(self, state: RetryCallState) -> None:
        self.ledger.transport_retries += 1

    def ask(
        self,
        response_model: type[BaseModel],
        messages: list[dict[str, Any]],
        *,
        context: dict[str, Any],
        key_parts: dict[str, Any],
        prompt_version: str,
        max_tokens: int | None = None,
    ) -> BaseModel:
        """One question. Raises ``LLMError`` when no valid answer could be had."""
        self.ledger.questions += 1
        self.ledger.prompt_version = prompt_version
        key = cache_key(
            key_parts["pdf_sha256"],
            key_parts["pages"],
            prompt_version,
            self.model,
            key_parts["schema_version"],
            {
                "messages": messages,
                "response": response_model.__name__,
                "catalogue": key_parts.get("catalogue_version"),
            },
        )
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.ledger.cache_hits += 1
                return response_model.model_validate(hit, context=context)
        t0 = time.perf_counter()
        question = describe(prompt_version, list(context.get("texts", [])))
        try:
            died = self.health() if self.health is not None else None
            if died:  # the embedded server is gone: no call, the cause said at once
                raise EndpointError("server_died", self.url, died)
            answer = self._call(response_model, messages, context, max_tokens or self.max_tokens)
        except Exception as e:
            failure = e if isinstance(e, EndpointError) else classify(e, self.url, self.health)
            if failure is not None:
                self.unanswered(question, failure.reason, failure.detail)
                raise failure from e
            why = short_reason(e)
            self.unanswered(question, "invalid_answer", why)
            raise LLMError(f"model {self.model} gave no valid answer: {why}") from e
        finally:
            self.ledger.seconds += time.perf_counter() - t0
        if self.cache is not None:
            self.cache.put(key, answer.model_dump(mode="json"), self.model, prompt_version)
        return answer

    def unanswered(self, question: str, reason: str, detail: str, *, asked: bool = True) -> None:
        """Count a question without an answer in the ledger, with its reason."""
        if not asked:
            self.ledger.questions += 1
        self.ledger.failed_questions += 1
        self.ledger.unanswered.append(
            UnansweredQuestion(question=question, reason=reason, detail=detail[:2000])
        )

    def _retryable(self, exc: BaseException) -> bool:
        """A transport error is retried, unless the embedded server is known to be dead."""
        return _is_transport(exc) and not (self.health is not None and self.health())

    def _call(
        self,
        response_model: type[BaseModel],
        messages: list[dict[str, Any]],
        context: dict[str, Any],
        max_tokens: int,
    ) -> BaseModel:
        retrying = Retrying(
            retry=retry_if_exception(self._retryable),
            wait=wait_random_exponential(multiplier=0.5, max=self.backoff_max_s),
            stop=stop_after_attempt(self.max_attempts),
            before_sleep=self._on_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                result: BaseModel = self.client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_model=response_model,
                    max_retries=self.max_reasks,
                    context=context,
                    temperature=0,
                    max_tokens=max_tokens,
                    hooks=self.hooks,
                )
                return result
        raise AssertionError("unreachable")  # pragma: no cover
