"""Page furniture of a report: running headers and footers, and page numbers.

Forms are often published as the attachment of a report whose pages carry the same header
line ("某某单位2023年度部门决算 … 附件") and a "第 N 页 共 M 页" footer. These lines are not
part of any form: they must never become table rows, titles or values. A line is furniture
when it lies in the top or bottom margin of its page and either reads as a page number
(alone on its line) or repeats, digits aside, at the same height on other pages (a table
row repeated at the top of continued pages sits at a different height on each page).
"""

from __future__ import annotations

import re
from collections import Counter

Box = tuple[float, float, float, float]
MARGIN = 0.1  # share of the page height at the top and at the bottom
PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*第\s*\d+\s*页"
    r"|[-—–]\s*\d+\s*[-—–]"
    r"|\d+\s*/\s*\d+"
    r"|(page|p\.)\s*\d+(\s*(of|/)\s*\d+)?"
    r"|\d{1,4})$",
    re.IGNORECASE,
)


def signature(text: str, y0: float) -> str:
    """What stays the same from page to page: the text without whitespace, digits as
    ``#``, and its height on the page (to 3 points)."""
    return f"{round(y0 / 3)}:" + re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def in_margin(y0: float, y1: float, height: float) -> bool:
    return y1 <= MARGIN * height or y0 >= (1 - MARGIN) * height


WORDY = re.compile(r"[\u4e00-\u9fffA-Za-z].*[\u4e00-\u9fffA-Za-z]")


def running_signatures(pages: list[list[tuple[str, float]]]) -> set[str]:
    """Signatures of margin lines with words in them that repeat at the same height on
    more than half of the pages (two at least). ``pages``: each page's margin lines
    (text, top)."""
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({signature(t, y0) for t, y0 in lines if WORDY.search(t)})
    need = max(2, len(pages) // 2 + 1)
    return {s for s, n in seen.items() if n >= need}


def is_furniture(text: str, box: Box, height: float, running: set[str]) -> bool:
    """A margin line that reads as a page number or a running header/footer (whether it
    stands apart from the page's body, as furniture does, the caller checks)."""
    if not in_margin(box[1], box[3], height):
        return False
    t = text.strip()
    return bool(PAGE_NUMBER.match(t)) or signature(t, box[1]) in running


def furniture_boxes(lines: list[tuple[Box, str]], height: float, running: set[str]) -> list[Box]:
    """The boxes of a page's text lines (box, text) that are page furniture: a page number
    or running header/footer that stands apart from the body."""
    return [
        bb for bb, t in lines if is_furniture(t, bb, height, running) and _apart(bb, lines, height)
    ]


def margin_texts(lines: list[tuple[Box, str]], height: float) -> list[tuple[str, float]]:
    """The text lines (text, top) in the top and bottom margins of a page."""
    return [(t, bb[1]) for bb, t in lines if t.strip() and in_margin(bb[1], bb[3], height)]


def _apart(bb: Box, lines: list[tuple[Box, str]], height: float) -> bool:
    """The margin text around the line (lines closer than half a line to it, in the
    margin) has at least a line's height of space towards the page's body, and no
    body text beside it: page furniture, not the top or bottom rows of a table."""
    h = bb[3] - bb[1]
    top = bb[3] <= height / 2
    margin = [o for o, _ in lines if in_margin(o[1], o[3], height)]
    body = [o for o, _ in lines if not in_margin(o[1], o[3], height)]
    lo, hi = bb[1], bb[3]
    grew = True
    while grew:
        grew = False
        for o in margin:
            if o[1] < hi + 0.5 * h and o[3] > lo - 0.5 * h and (o[1] < lo or o[3] > hi):
                lo, hi, grew = min(lo, o[1]), max(hi, o[3]), True
    if any(o[1] < hi and o[3] > lo for o in body):
        return False
    space = min(
        (o[1] - hi if top else lo - o[3] for o in body if (o[1] >= hi if top else o[3] <= lo)),
        default=height,
    )
    return space >= h
