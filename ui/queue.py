"""The review queue: records with their status and finding counts, worst first.

Pure functions over ``QueueItem``; ``ui.service.queue_items`` builds the items from the
store (filtering there, in SQL) and sorts them here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from jixiao.words import REVIEW_STATUS

STATUSES = tuple(REVIEW_STATUS)  # new, needs_review, approved, rejected
# Open work first: what still needs a decision, then what was decided.
_STATUS_RANK = {"needs_review": 0, "new": 1, "rejected": 2, "approved": 3}


@dataclass
class QueueItem:
    record_id: int
    document_id: int
    pdf: str
    ordinal: int
    form_type: str
    project_name: str | None
    department: str | None
    grade: str | None
    total_score: str | None
    n_errors: int
    n_warnings: int
    review_status: str
    version: int
    finding_codes: list[str] = field(default_factory=list)
    year: int | None = None
    # A newer extraction of the document differs from this reviewed record (kept as it was).
    reextracted_differs: bool = False

    @property
    def label(self) -> str:
        name = self.project_name or "（无项目名称）"
        newer = "⚠ 新提取结果不同 · " if self.reextracted_differs else ""
        return f"{newer}#{self.record_id} {name} · {self.pdf} [{self.ordinal + 1}]"


def worst_first_key(item: QueueItem) -> tuple[int, int, int, int, int]:
    return (
        # A record a newer extraction differs from needs a decision again: first.
        -1 if item.reextracted_differs else _STATUS_RANK.get(item.review_status, 9),
        -item.n_errors,
        -item.n_warnings,
        item.document_id,
        item.ordinal,
    )


def sort_worst_first(items: Iterable[QueueItem]) -> list[QueueItem]:
    """Undecided records first; among them most errors, then most warnings first."""
    return sorted(items, key=worst_first_key)


def filter_items(
    items: Iterable[QueueItem],
    *,
    department: str | None = None,
    grade: str | None = None,
    finding_code: str | None = None,
    status: str | None = None,
) -> list[QueueItem]:
    """The same filters as the store's ``list_records``, for items already loaded."""
    out = []
    for it in items:
        if department and it.department != department:
            continue
        if grade and it.grade != grade:
            continue
        if finding_code and finding_code not in it.finding_codes:
            continue
        if status and it.review_status != status:
            continue
        out.append(it)
    return out


def status_counts(items: Iterable[QueueItem]) -> dict[str, int]:
    c = Counter(it.review_status for it in items)
    return {s: c.get(s, 0) for s in STATUSES}


def table(items: Iterable[QueueItem]) -> list[dict[str, object]]:
    """Rows for the queue table: Chinese column names, plain-text cells."""
    from ui.labels import zh
    from ui.text import plain

    return [
        {
            zh(key, "column"): value
            for key, value in (
                ("id", it.record_id),
                (
                    "status",
                    zh(it.review_status, "status")
                    + ("（新提取结果不同）" if it.reextracted_differs else ""),
                ),
                ("errors", it.n_errors),
                ("warnings", it.n_warnings),
                ("project_name", plain(it.project_name)),
                ("department", plain(it.department)),
                ("grade", plain(it.grade) or "—"),
                ("total", plain(it.total_score) or "—"),
                ("codes", ", ".join(it.finding_codes)),
                ("file", plain(it.pdf)),
                ("table", it.ordinal + 1),
            )
        }
        for it in items
    ]
