"""A fake OpenAI-compatible transport for tests: no network, scripted answers.

The OpenAI client is given an ``httpx2.Client`` whose transport calls ``reply(request_json)``;
``reply`` returns a dict of tool-call arguments (or an ``httpx2.Response`` for errors, or
raises a transport exception). Every request is recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx2

from jixiao.model_client import build_client
from jixiao.settings import Settings

Reply = Callable[[dict[str, Any]], Any]


def completion(
    tool: str, arguments: dict[str, Any], prompt_tokens: int = 100, completion_tokens: int = 20
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": tool,
                                "arguments": json.dumps(arguments, ensure_ascii=False),
                            },
                        }
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class FakeModel:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        out = self.reply(body)
        if isinstance(out, httpx2.Response):
            return out
        tool = body["tools"][0]["function"]["name"]
        return httpx2.Response(200, json=completion(tool, out))

    def client(self, settings: Settings | None = None):  # type: ignore[no-untyped-def]
        http = httpx2.Client(transport=httpx2.MockTransport(self.handler))
        return build_client(
            settings or Settings(), http_client=http, base_url="http://fake.invalid/v1"
        )


def keys_of(body: dict[str, Any]) -> dict[str, str]:
    """The keyed texts shown to the model: key (``t1`` …) -> text."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    if isinstance(user, list):  # content parts (a vision request): the text part
        user = "\n".join(p["text"] for p in user if p["type"] == "text")
    out: dict[str, str] = {}
    label = re.search(r"^Label: (.+)$", user, re.M)  # a label_options question: one text
    if label:
        return {"t1": label.group(1)}
    for row in re.findall(r"^- (.+)$", user, re.M):
        for cell in row.split(" | "):
            m = re.match(r"(t\d+) (.+)$", cell)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def texts_of(body: dict[str, Any]) -> list[str]:
    """The texts shown to the model, in order."""
    return list(keys_of(body).values())


def options_of(body: dict[str, Any]) -> list[str]:
    """The answers a label_options question offers (its response enum), in order."""
    params = body["tools"][0]["function"]["parameters"]
    defs = params.get("$defs", {})
    ref = params["properties"]["t1"].get("$ref", "")
    enum = defs[ref.rsplit("/", 1)[-1]]["enum"] if ref else params["properties"]["t1"]["enum"]
    return list(enum)
