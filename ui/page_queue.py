"""The queue: filters that stay set, the records worst first, a click on a row opens it."""

from __future__ import annotations

import streamlit as st

from ui import service
from ui.labels import zh
from ui.page_common import FILTER_KEYS, Ctx, go, show_flash
from ui.queue import STATUSES, status_counts, table
from ui.text import plain


def _restore_filters() -> None:
    """Widgets forget their value while another page is shown: put the kept one back."""
    kept = st.session_state.setdefault("filters", {})
    for k in FILTER_KEYS:
        if k not in st.session_state and k in kept:
            st.session_state[k] = kept[k]


def queue_page(ctx: Ctx) -> None:
    st.markdown("#### 审核队列")
    show_flash()
    _restore_filters()
    with ctx.store.session() as s:
        opts = service.filter_options(s)
    c = st.columns(5)
    c[0].selectbox(
        zh("department"),
        ["", *opts.departments],
        key="f_department",
        format_func=lambda v: plain(v) or "全部",
    )
    c[1].selectbox(
        zh("grade"), ["", *opts.grades], key="f_grade", format_func=lambda v: plain(v) or "全部"
    )
    c[2].selectbox(
        zh("codes", "column"),
        ["", *opts.finding_codes],
        key="f_code",
        format_func=lambda v: v or "全部",
    )
    c[3].selectbox(
        zh("review_status", "column"),
        ["", *STATUSES],
        key="f_status",
        format_func=lambda v: zh(v, "status") if v else "全部",
    )
    c[4].text_input("搜索（项目、部门、文件）", key="f_search")
    st.session_state["filters"] = {k: st.session_state.get(k) for k in FILTER_KEYS}
    from ui.page_common import filters

    with ctx.store.session() as s:
        items = service.queue_items(s, **filters())
    counts = status_counts(items)
    m = st.columns(len(counts) + 2)
    m[0].metric("记录", len(items))
    for col, (k, v) in zip(m[1:], counts.items(), strict=False):
        col.metric(zh(k, "status"), v)
    if not items:
        st.info("没有符合条件的记录。请上传 PDF，或把批量提取的结果放入此库。")
        return
    if m[-1].button("开始审核", key="open_first", type="primary"):
        go("record", items[0].record_id)
    nonce = st.session_state.get("queue_nonce", 0)
    event = st.dataframe(
        table(items),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"queue_table:{nonce}",
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows:
        st.session_state["queue_nonce"] = nonce + 1  # a fresh table when the clerk comes back
        go("record", items[rows[0]].record_id)
    st.caption(
        "点击一行打开该记录。快捷键（记录页）：Alt+A 通过并下一条 · Alt+S 保存并下一条 · Alt+N / Alt+P 下一条 / 上一条 · Alt+E 下一个问题"
    )
