"""What every page of the review screen shares: navigation, flash messages, the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from jixiao.settings import Settings
from jixiao.store import Store
from ui.text import md

PAGES = ("queue", "record", "upload", "export")
PAGE_ZH = {"queue": "审核队列", "record": "记录", "upload": "上传", "export": "导出"}
FILTER_KEYS = ("f_department", "f_grade", "f_code", "f_status", "f_search")


@dataclass
class Ctx:
    store: Store
    settings: Settings
    reviewer: str


def flash(kind: str, text: str) -> None:
    st.session_state["flash"] = (kind, text)


def show_flash() -> None:
    kind, text = st.session_state.pop("flash", (None, None))
    if kind == "ok":
        st.success(md(text))
    elif kind == "error":
        st.error(md(text))
    elif kind == "info":
        st.info(md(text))


def go(page: str, record_id: int | None = None) -> None:
    """Show ``page`` on the next run (and open ``record_id`` there)."""
    st.session_state["goto"] = page  # applied before the page radio is drawn
    if record_id is not None:
        st.session_state["record_id"] = record_id
    st.rerun()


def filters() -> dict[str, Any]:
    """The queue filters the clerk set (kept while they work on records)."""
    kept: dict[str, Any] = st.session_state.setdefault("filters", {})
    return {
        "department": kept.get("f_department") or None,
        "grade": kept.get("f_grade") or None,
        "finding_code": kept.get("f_code") or None,
        "status": kept.get("f_status") or None,
        "search": kept.get("f_search") or None,
    }
