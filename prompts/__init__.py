"""Prompt files, versioned by file name, rendered by pure functions.

A prompt file ``NAME.vN.md`` has a front matter (``name``, ``version``) and two sections,
``## system`` and ``## user``, with ``{placeholders}`` filled by ``str.format``. The version
string is part of every cache key and every stored record that used the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    user: str

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with the placeholders filled (pure: same inputs, same messages)."""
        return [
            {"role": "system", "content": self.system.format(**values).strip()},
            {"role": "user", "content": self.user.format(**values).strip()},
        ]


def parse(text: str) -> Prompt:
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    if not m:
        raise ValueError("prompt file needs a front matter between --- lines")
    meta = dict(
        (k.strip(), v.strip())
        for k, v in (ln.split(":", 1) for ln in m.group(1).splitlines() if ":" in ln)
    )
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", m.group(2), re.S | re.M))
    if "system" not in sections or "user" not in sections:
        raise ValueError("prompt file needs '## system' and '## user' sections")
    return Prompt(meta["name"], meta["version"], sections["system"], sections["user"])


@cache
def load(name: str, version: int = 1) -> Prompt:
    text = (
        resources.files(__package__).joinpath(f"{name}.v{version}.md").read_text(encoding="utf-8")
    )
    return parse(text)
