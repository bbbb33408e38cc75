"""Replay of real model answers (recorded with ``python -m tests.record_answers``).

The middle test tier: no network, but the answers are what the embedded model really said.
The pipeline must ask exactly the recorded questions, read exactly the recorded records from
the answers, and let no ungrounded value through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from extractor.checks.grounding import audit_grounding
from extractor.llm.asker import Asker
from extractor.pipeline import extract_document
from jixiao.output import golden_document
from tests.conftest import GOLDEN, golden_required
from tests.fake_llm import FakeModel

RECORDED = sorted((Path(__file__).parent / "recorded").glob("*.json"))


def _key(body: dict[str, Any]) -> str:
    return json.dumps(
        {k: body.get(k) for k in ("messages", "tools")}, ensure_ascii=False, sort_keys=True
    )


@pytest.mark.golden
@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recorded_answers_replay_to_the_same_records(path: Path) -> None:
    golden_required()
    rec = json.loads(path.read_text(encoding="utf-8"))
    pending: dict[str, list[dict[str, Any]]] = {}
    for ex in rec["exchanges"]:
        pending.setdefault(_key(ex["request"]), []).append(ex)

    def reply(body: dict[str, Any]) -> httpx2.Response:
        queue = pending.get(_key(body))
        assert queue, (
            "the pipeline asked a question that was not recorded (prompt or schema changed?): "
            f"re-record with python -m tests.record_answers … --mode {rec['mode']}"
        )
        ex = queue.pop(0)
        return httpx2.Response(ex["status"], json=ex["response"])

    fake = FakeModel(reply)
    cells: dict[str, str] = {}
    result = extract_document(
        GOLDEN / rec["pdf"],
        mode=rec["mode"],
        asker=Asker(fake.client(), rec["model"]),
        cells_out=cells,
    )
    assert len(fake.requests) == len(rec["exchanges"])
    assert golden_document(result)["records"] == rec["records"]
    assert audit_grounding([r.record for r in result.records], cells) == []
    assert result.llm is not None and result.llm.calls == len(rec["exchanges"])


def test_there_are_recordings() -> None:
    """The replay tier is not empty (a test over no files would pass by doing nothing)."""
    assert RECORDED, "no recorded answers under tests/recorded/"
