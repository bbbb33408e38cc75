"""The edge where clients of the language model are built from settings (extraction code only
receives them); the embedded server itself is ``jixiao.llama_server``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import instructor
import openai

from extractor.llm.asker import Asker
from extractor.llm.cache import AnswerCache
from extractor.llm.failures import Health
from jixiao.settings import Settings


def build_client(
    settings: Settings, *, http_client: Any = None, base_url: str | None = None
) -> instructor.Instructor:
    """instructor over ``openai.OpenAI``. Transport retries are ours (tenacity), so the
    OpenAI client's own retries are off. ``Mode.TOOLS``: the llama.cpp server turns the tool
    schema into a grammar (JSON_SCHEMA mode is rejected by it, JSON mode is unconstrained;
    see shared/notes/STACK.md)."""
    url = base_url or settings.llm_base_url or f"http://127.0.0.1:{settings.llm_port}/v1"
    oa = openai.OpenAI(
        base_url=url,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        http_client=http_client,
    )
    return instructor.from_openai(oa, mode=instructor.Mode.TOOLS)


@dataclass
class Endpoint:
    """Where the model answers, and (embedded server) how to tell that it died."""

    url: str
    health: Health | None = None
    threads: int = 0  # the embedded server's llama.cpp threads (0: a configured endpoint)


def build_asker(
    settings: Settings,
    client: instructor.Instructor,
    *,
    use_cache: bool = True,
    endpoint: Endpoint | None = None,
) -> Asker:
    return Asker(
        client,
        settings.llm_model,
        cache=AnswerCache(settings.cache_dir / "llm.sqlite") if use_cache else None,
        max_reasks=settings.llm_max_reasks,
        max_attempts=settings.llm_max_attempts,
        backoff_max_s=settings.llm_backoff_max_s,
        url=endpoint.url if endpoint else None,
        health=endpoint.health if endpoint else None,
    )


@contextlib.contextmanager
def served(settings: Settings) -> Iterator[Endpoint]:
    """The configured endpoint, or the embedded server started for the duration and stopped
    for sure when the block ends (SIGTERM, then SIGKILL after a grace period)."""
    if settings.llm_base_url:
        yield Endpoint(settings.llm_base_url)
        return
    from jixiao.llama_server import start_server

    log = settings.cache_dir / "llama-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(
        settings.model_path, settings.llm_port, settings.llm_n_ctx, settings.llm_threads, log=log
    )
    try:
        yield Endpoint(f"http://127.0.0.1:{settings.llm_port}/v1", server.death, server.threads)
    finally:
        server.stop()


@contextlib.contextmanager
def endpoint(settings: Settings) -> Iterator[str]:
    """The configured endpoint's URL, or the embedded server's, started for the duration."""
    with served(settings) as ep:
        yield ep.url
