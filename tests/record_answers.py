"""Record real model answers for the replay tests (the middle tier between fakes and live).

Run by hand against a live endpoint (the embedded server, or any OpenAI-compatible one):

    jixiao model serve &   # or set JIXIAO_LLM_BASE_URL
    python -m tests.record_answers ../shared/golden/tz-gsl-2023-self-eval.pdf --mode llm

For each PDF it writes ``tests/recorded/NAME.MODE.json``: every request the pipeline sent
(messages and tools) with the raw response, plus the golden-format records the pipeline made
from them. ``tests/test_recorded.py`` replays the responses through a fake transport and checks
that the pipeline still asks the same questions and still reads the same records. A prompt or
schema change makes the questions differ: re-record then, and review the diff.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import httpx2

from extractor.llm.asker import Asker
from extractor.llm.cache import AnswerCache
from extractor.pipeline import extract_document
from jixiao.model_client import build_client
from jixiao.output import golden_document
from jixiao.settings import load_settings

HERE = Path(__file__).parent / "recorded"


class Recorder(httpx2.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx2.HTTPTransport()
        self.exchanges: list[dict[str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        response.read()
        body = json.loads(request.content)
        self.exchanges.append(
            {
                "request": {k: body[k] for k in ("messages", "tools") if k in body},
                "status": response.status_code,
                "response": json.loads(response.content),
            }
        )
        return response


def record(pdf: Path, mode: str, fill_cache: bool = False) -> Path:
    """Record one PDF. ``fill_cache`` also stores the answers in the answer cache (never
    read from it first: every question goes to the model and is recorded)."""
    settings = load_settings()
    url = settings.llm_base_url or f"http://127.0.0.1:{settings.llm_port}/v1"
    rec = Recorder()
    client = build_client(settings, http_client=httpx2.Client(transport=rec), base_url=url)
    asker = Asker(client, settings.llm_model, max_reasks=settings.llm_max_reasks)
    if fill_cache:
        asker.cache = _WriteOnly(AnswerCache(settings.cache_dir / "llm.sqlite"))  # type: ignore[assignment]
    result = extract_document(pdf, settings.extract_options(), mode=mode, asker=asker)  # type: ignore[arg-type]
    out = HERE / f"{pdf.name.removesuffix('.pdf')}.{mode}.json"
    out.write_text(
        json.dumps(
            {
                "pdf": pdf.name,
                "mode": mode,
                "model": settings.llm_model,
                "ledger": result.llm.model_dump() if result.llm else None,
                "exchanges": rec.exchanges,
                "records": golden_document(result)["records"],
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return out


class _WriteOnly:
    def __init__(self, cache: AnswerCache) -> None:
        self.cache = cache

    def get(self, key: str) -> None:
        return None

    def put(self, *args: Any) -> None:
        self.cache.put(*args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--mode", default="llm", choices=["llm", "hybrid"])
    ap.add_argument("--fill-cache", action="store_true", help="also store answers in the cache")
    args = ap.parse_args()
    for pdf in args.pdfs:
        print(record(pdf, args.mode, args.fill_cache))


if __name__ == "__main__":
    main()
