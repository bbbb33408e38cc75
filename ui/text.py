"""Text from a PDF or the store, made inert before Streamlit shows it.

Nothing extracted or stored is ever rendered as HTML: every such text goes through ``md``
before it reaches a Streamlit element that reads Markdown (``st.markdown``, ``st.caption``,
alerts, widget and button labels, headers). ``md`` escapes HTML's ``<>&`` as entities and
backslash-escapes every Markdown punctuation character, so a cell holding ``<script>``,
``<iframe>``, ``![x](http://…)``, ``[link](javascript:…)`` or ``<style>`` shows as the
characters it is made of. Values shown in tables (``st.dataframe``, ``st.data_editor``) and in
text inputs are drawn as plain text by Streamlit and need no escaping. No Streamlit here.
"""

from __future__ import annotations

import re
from typing import Any

# The ASCII punctuation CommonMark lets a backslash escape, except "<>&" (those become
# entities: a backslash before "<" would still leave a tag for the HTML pass) and ";"
# (which ends those entities).
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~\"'$:=/,?^%])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: Any) -> str:
    """A value as one line of plain text: ``None`` is empty, control characters dropped,
    line breaks become spaces."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value))
    return " ".join(text.split())


def md(value: Any) -> str:
    """``value`` as Markdown that shows exactly its characters and can run no markup."""
    text = plain(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCT.sub(r"\\\1", text)


def short(value: Any, limit: int = 60) -> str:
    """``plain`` cut to ``limit`` characters with an ellipsis."""
    text = plain(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
