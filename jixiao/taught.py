"""The taught catalogue: labels clerks taught through their corrections, in a versioned file.

``jixiao labels --accept`` adds a label (``JIXIAO_CATALOGUE_FILE``, default
``.jixiao/taught-labels.json``); every extraction reads the file (``taught_labels``) and
passes its labels to ``extract_document(taught=...)``, where ``lookup`` knows them as
labels of source ``taught``. The file::

    {"version": 3,
     "labels": [{"text": "归口管理部门", "category": "key", "field": "department",
                 "accepted_by": "wang", "accepted_at": "2026-11-30T18:00:00+00:00",
                 "corrections": 2}]}

``version`` goes up by one with every accepted label. A missing file is no taught label;
a file that cannot be read or does not have that shape is one ``TaughtFileError``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

from jixiao.settings import Settings
from schemas.catalogue import CATALOGUE, Learned, catalogue_version, entry, label_key, lookup
from schemas.errors import JixiaoError
from schemas.values import LabelMatch

if TYPE_CHECKING:
    from jixiao.proposals import Proposal

SOURCE = LabelMatch.TAUGHT


class TaughtFileError(JixiaoError):
    """The taught catalogue file cannot be read (the message names it and what to do)."""


class TeachError(JixiaoError):
    """A label that cannot be taught (unknown field, a label the catalogue maps elsewhere)."""


class TaughtLabel(BaseModel):
    text: str
    category: str
    field: str
    accepted_by: str = ""
    accepted_at: str = ""
    corrections: int = 0  # corrections that proposed it when it was accepted

    def learned(self) -> Learned:
        return Learned(self.text, self.category, self.field, SOURCE)


class TaughtFile(BaseModel):
    version: int = Field(0, ge=0)
    labels: list[TaughtLabel] = Field(default_factory=list)

    def learned(self) -> tuple[Learned, ...]:
        return tuple(lb.learned() for lb in self.labels)


def load_taught(path: Path) -> TaughtFile:
    """The taught catalogue in ``path``; an empty one (version 0) when there is no file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return TaughtFile()
    except (OSError, UnicodeDecodeError) as e:
        raise TaughtFileError(f"taught catalogue {path} cannot be read: {e}") from e
    try:
        taught = TaughtFile.model_validate(json.loads(raw))
    except ValidationError as e:
        err = e.errors()[0]
        raise _broken(path, f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}") from e
    except ValueError as e:
        raise _broken(path, f"not JSON: {e}") from e
    for lb in taught.labels:
        try:
            check_target(lb.category, lb.field)
        except TeachError as e:
            raise _broken(path, str(e)) from e
    return taught


def _broken(path: Path, why: str) -> TaughtFileError:
    return TaughtFileError(
        f"taught catalogue {path} is broken ({why}): repair or remove it "
        "(JIXIAO_CATALOGUE_FILE), then accept the labels again"
    )


def taught_labels(settings: Settings) -> tuple[Learned, ...]:
    """The labels of the taught catalogue file of ``settings``, for ``extract_document``."""
    return load_taught(settings.catalogue_file).learned()


def check_target(category: str, field_name: str) -> None:
    """Raise ``TeachError`` unless ``category.field`` is a field of the label catalogue."""
    if category not in CATALOGUE:
        raise TeachError(
            f"no label category {category!r}: use one of {', '.join(sorted(CATALOGUE))}"
        )
    if entry(category, field_name) is None:
        fields = ", ".join(e.field for e in CATALOGUE[category])
        raise TeachError(f"no field {field_name!r} in category {category}: use one of {fields}")


def parse_target(spec: str) -> tuple[str, str, str]:
    """``TEXT=category.field`` → (text, category, field)."""
    text, sep, target = spec.rpartition("=")
    category, dot, field_name = target.strip().partition(".")
    if not sep or not dot or not text.strip():
        raise TeachError(f"{spec!r}: write TEXT=category.field (e.g. 归口管理部门=key.department)")
    return text.strip(), category, field_name


@dataclass
class Accepted:
    label: TaughtLabel
    version: int
    added: bool  # False: it was taught already (nothing written)
    notes: list[str] = field(default_factory=list)


def _already(text: str, category: str, field_name: str, taught: TaughtFile) -> str | None:
    """Why the label needs no teaching (known already for this field), or None; raises
    when the catalogue or the taught labels map it to another field (the catalogue would
    win over the new meaning, or two meanings would compete)."""
    key = label_key(text)
    if not key:
        raise TeachError(f"{text!r} has no label text once notes and numbering are removed")
    hit = lookup(text, category)  # the catalogue's own answer (no taught labels in effect)
    if hit is not None and hit[0] != field_name:
        raise TeachError(
            f"the catalogue already reads {text!r} as {category}.{hit[0]} ({hit[1]}): "
            f"it cannot also mean {category}.{field_name}"
        )
    if hit is not None:
        return f"the catalogue already reads {text!r} as {category}.{field_name} ({hit[1]})"
    for lb in taught.labels:
        if lb.category == category and label_key(lb.text) == key:
            if lb.field != field_name:
                raise TeachError(
                    f"{text!r} is taught already as {category}.{lb.field}: it cannot also "
                    f"mean {category}.{field_name} (remove it from the file to change it)"
                )
            return f"{text!r} is taught already as {category}.{field_name}"
    return None


def accept_label(
    path: Path, text: str, category: str, field_name: str, *, by: str, corrections: int = 0
) -> Accepted:
    """Add a taught label to the file (its version goes up by one) after checking that the
    field exists and that the catalogue does not map the label to another field."""
    check_target(category, field_name)
    taught = load_taught(path)
    label = TaughtLabel(
        text=text,
        category=category,
        field=field_name,
        accepted_by=by,
        accepted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        corrections=corrections,
    )
    known = _already(text, category, field_name, taught)
    if known is not None:
        return Accepted(label, taught.version, added=False, notes=[known])
    taught.labels.append(label)
    taught.version += 1
    _write(path, taught)
    return Accepted(label, taught.version, added=True)


def _write(path: Path, taught: TaughtFile) -> None:
    """Write the file whole or not at all (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(taught.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".taught-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _chosen(
    proposals: Sequence[Proposal], specs: Sequence[str], min_count: int | None
) -> list[tuple[str, str, str, int]]:
    """(text, category, field, corrections) for each ``--accept`` spec (a proposal number
    or ``TEXT=category.field``) and each proposal with at least ``min_count`` corrections."""
    support = {(label_key(p.text), p.category, p.field): p.count for p in proposals}
    out = []
    for spec in specs:
        if spec.strip().isdigit():
            n = int(spec)
            if not 1 <= n <= len(proposals):
                raise TeachError(
                    f"no proposal {n}: `jixiao labels --proposals` lists {len(proposals)}"
                )
            p = proposals[n - 1]
            out.append((p.text, p.category, p.field, p.count))
            continue
        text, category, field_name = parse_target(spec)
        check_target(category, field_name)
        out.append((text, category, field_name, support.get((label_key(text), category, field_name), 0)))  # fmt: skip
    if min_count is not None:
        out += [(p.text, p.category, p.field, p.count) for p in proposals if p.count >= min_count]
    return out


def accept_specs(
    settings: Settings,
    proposals: Sequence[Proposal],
    specs: Sequence[str],
    min_count: int | None,
    by: str,
) -> Iterator[str]:
    """Teach the chosen labels (see ``_chosen``) one by one; a line for each."""
    path = settings.catalogue_file
    chosen = _chosen(proposals, specs, min_count)
    if not chosen:
        yield "nothing to accept"
    for text, category, field_name, count in chosen:
        done = accept_label(path, text, category, field_name, by=by, corrections=count)
        if not done.added:
            yield f"not taught: {'; '.join(done.notes)}"
            continue
        version = catalogue_version(load_taught(path).learned())
        yield (
            f"taught {text} → {category}.{field_name} ({count} corrections): {path} "
            f"version {done.version}, catalogue {version}"
        )
