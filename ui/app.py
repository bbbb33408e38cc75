"""The review screen (Streamlit). Thin: login and navigation here; the pages are in
ui.page_queue, ui.page_record, ui.page_files; the logic in ui.service, ui.fields, ui.queue,
ui.images, ui.corrections, ui.sessions and jixiao.reviewers (tested without Streamlit).

Run with ``jixiao review [--db URL]`` (which serves the app through ``ui.serve``: page images
and downloads only to a logged-in browser). Settings come from ``JIXIAO_*`` variables;
the reviewers file and the upload folder sit next to a SQLite store unless set.
``?record=ID&field=PATH`` in the URL opens a record with a field selected (after login).
Nothing from a PDF or the store is rendered as HTML (``ui.text.md``).
"""

from __future__ import annotations

import streamlit as st

from jixiao import reviewers
from jixiao.review_launch import review_settings
from jixiao.settings import Settings, load_settings
from jixiao.store import Store, open_store
from schemas.errors import JixiaoError
from ui.fields import COLOURS, STATUS_ZH
from ui.page_common import PAGE_ZH, PAGES, Ctx
from ui.page_files import export_page, upload_page
from ui.page_queue import queue_page
from ui.page_record import record_page
from ui.sessions import COOKIE, THROTTLE, TOKENS
from ui.text import md


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url)


def _set_cookie(token: str, max_age: int) -> None:
    """Keep the login token in a cookie (a reload finds the login again; ``/media`` checks
    it). The token is ``secrets.token_urlsafe``: letters, digits, ``-`` and ``_`` only."""
    st.html(
        f"<script>document.cookie='{COOKIE}={token}; path=/; max-age={max_age}; "
        "SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
    )


def _restore() -> str | None:
    """The reviewer of a live login token in this browser's cookie (after a reload)."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (tests)
        return None
    name = TOKENS.reviewer(token)
    if name:
        st.session_state["reviewer"] = name
        st.session_state["token"] = token
    return name


def _try_login(settings: Settings, name: str, password: str) -> None:
    name = name.strip()
    wait = THROTTLE.wait_s(name)
    if wait > 0:
        locked = THROTTLE.is_locked(name)
        st.error(
            f"此账号因多次密码错误已锁定，请 {int(wait // 60) + 1} 分钟后再试。"
            if locked
            else f"密码错误次数过多，请 {int(wait) + 1} 秒后再试。"
        )
        return
    if reviewers.authenticate(settings.reviewers_file, name, password):
        THROTTLE.succeeded(name)
        token = TOKENS.issue(name)
        st.session_state["reviewer"] = name
        st.session_state["token"] = token
        st.session_state["set_cookie"] = token
        st.rerun()
    THROTTLE.failed(name)
    st.error("审核人不存在或密码错误。")


def login(settings: Settings) -> str | None:
    if st.session_state.get("reviewer"):
        return str(st.session_state["reviewer"])
    if _restore():
        return str(st.session_state["reviewer"])
    st.markdown("### 绩效表审核 · 登录")
    try:
        configured = reviewers.load_reviewers(settings.reviewers_file)
    except JixiaoError:
        st.error("审核人文件无法读取：请管理员检查 JIXIAO_REVIEWERS_FILE。")
        st.stop()
    if not configured:
        st.warning(
            "尚未设置审核人。请管理员用 `jixiao review add-reviewer NAME` 添加"
            "（文件由 JIXIAO_REVIEWERS_FILE 指定，默认在数据库旁）。"
        )
    name = st.text_input("审核人", key="login_name")
    password = st.text_input("密码", type="password", key="login_password")
    if st.button("登录", key="login_button", type="primary"):
        _try_login(settings, name, password)
    return None


def _sidebar(reviewer: str, store: Store) -> str:
    st.sidebar.markdown(f"审核人：**{md(reviewer)}**")
    if st.sidebar.button("退出登录", key="logout"):
        TOKENS.revoke(st.session_state.get("token"))
        st.session_state.clear()
        _set_cookie("", 0)
        st.rerun()
    if "goto" in st.session_state:
        st.session_state["nav"] = st.session_state.pop("goto")
    page = str(st.sidebar.radio("页面", PAGES, format_func=lambda p: PAGE_ZH[p], key="nav"))
    st.sidebar.caption(
        " ".join(f":{'red' if k == 'error' else 'gray'}[●] {STATUS_ZH[k]}" for k in COLOURS)
    )
    return page


def _sync_url(page: str) -> None:
    """The open record in the URL, so a reload comes back to it."""
    rid = st.session_state.get("record_id")
    if page == "record" and rid is not None:
        if st.query_params.get("record") != str(rid):
            st.query_params["record"] = str(rid)
            st.query_params.pop("field", None)
    else:
        for k in ("record", "field"):
            st.query_params.pop(k, None)


def main() -> None:
    st.set_page_config(page_title="绩效表审核", layout="wide")
    st.markdown(
        "<style>.block-container{padding-top:1.2rem;padding-bottom:0.5rem}</style>",
        unsafe_allow_html=True,  # our own constant CSS, no data in it
    )
    try:
        settings = review_settings(load_settings())
        store = _store(settings.db_url)
    except JixiaoError:
        st.error("无法打开数据库：请管理员检查 JIXIAO_DB_URL。")
        st.stop()
    qp = st.query_params
    if "record" in qp and "qp_done" not in st.session_state and str(qp["record"]).isdigit():
        st.session_state["qp_done"] = True
        st.session_state["record_id"] = int(qp["record"])
        st.session_state["goto"] = "record"
        if "field" in qp:
            st.session_state["want_field"] = str(qp["field"])
    st.session_state["qp_done"] = True  # the URL is read once per session, at its start
    reviewer = login(settings)
    if reviewer is None:
        return
    if "set_cookie" in st.session_state:
        _set_cookie(st.session_state.pop("set_cookie"), 12 * 3600)
    page = _sidebar(reviewer, store)
    _sync_url(page)
    ctx = Ctx(store=store, settings=settings, reviewer=reviewer)
    {"queue": queue_page, "record": record_page, "upload": upload_page, "export": export_page}[
        page
    ](ctx)


main()
