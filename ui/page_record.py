"""The record view: actions on top, the findings list, the page image beside the values.

Everything taken from a PDF or the store is shown as plain text (``ui.text.md`` before any
Markdown element; tables and inputs draw plain text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from schemas.errors import InputError
from ui import corrections, service
from ui.fields import SECTION_ZH, SECTIONS, FieldRow, boxes_for
from ui.labels import zh
from ui.page_common import Ctx, filters, flash, go, show_flash
from ui.record_tables import editor
from ui.text import md, plain, short

SHORTCUTS = {
    "approve_next": "Alt+A",
    "save_next": "Alt+S",
    "next": "Alt+N",
    "prev": "Alt+P",
    "next_problem": "Alt+E",
}


def problem_paths(view: service.RecordView) -> list[str]:
    """Fields with findings: errors first, then warnings, in printed order."""
    errs = [f.path for f in view.fields if f.status == "error"]
    warns = [f.path for f in view.fields if f.status == "warning"]
    return errs + warns


def _select(view: service.RecordView, path: str) -> None:
    """Select ``path`` (the image highlights it) and show its section."""
    f = view.field(path)
    if f is None:
        return
    st.session_state["field"] = path
    rid = view.item.record_id
    if st.session_state.get(f"sec:{rid}") != f.section:
        st.session_state[f"sec:{rid}"] = f.section
        st.session_state["gen"] = st.session_state.get("gen", 0) + 1


def _next_problem(view: service.RecordView) -> None:
    problems = problem_paths(view)
    if problems:
        cur = st.session_state.get("field")
        i = problems.index(cur) + 1 if cur in problems else 0
        _select(view, problems[i % len(problems)])


def _on_open(view: service.RecordView) -> None:
    """A record opens on its first problem (or the field asked for in the URL)."""
    rid = view.item.record_id
    if st.session_state.get("opened") == rid:
        return
    st.session_state["opened"] = rid
    st.session_state["pending"] = {}
    st.session_state.pop("unit_preview", None)
    wanted = st.session_state.pop("want_field", None)
    problems = problem_paths(view)
    first = (
        wanted
        if view.field(wanted or "") is not None
        else (problems[0] if problems else view.fields[0].path)
    )
    st.session_state.pop(f"sec:{rid}", None)
    _select(view, first)


def _baseline(view: service.RecordView) -> tuple[int, dict[str, str | None]]:
    """(the version this reviewer opened, the values they were shown)."""
    seen: dict[int, int] = st.session_state.setdefault("seen", {})
    snaps: dict[int, tuple[int, dict[str, str | None]]] = st.session_state.setdefault("snap", {})
    rid = view.item.record_id
    seen.setdefault(rid, view.item.version)
    version = seen[rid]
    snap = snaps.get(rid)
    if (snap is None or snap[0] != version) and view.item.version == version:
        snap = snaps[rid] = (version, service.values_of(view))
    return version, (snap[1] if snap and snap[0] == version else service.values_of(view))


def record_page(ctx: Ctx) -> None:
    rid = st.session_state.get("record_id")
    if rid is None:
        st.info("请在审核队列中选择一条记录。")
        return
    with ctx.store.session() as s:
        view = service.load_record(s, int(rid))
    if view is None:
        st.error(f"记录 {int(rid)} 已不存在（其文档可能已重新提取）。")
        return
    _on_open(view)
    seen, baseline = _baseline(view)
    it = view.item
    st.markdown(f"#### {md(it.project_name or '（无项目名称）')}")
    st.caption(
        md(
            f"记录 {it.record_id} · {it.pdf} 第 {it.ordinal + 1} 表 · {zh(it.form_type, 'form')}"
            f" · {zh(it.review_status, 'status')} · 第 {it.version} 版 · "
            f"{it.n_errors} 个错误，{it.n_warnings} 个警告"
        )
    )
    if it.version != seen:
        st.warning(
            f"此记录在您打开后已被修改（第 {seen} 版 → 第 {it.version} 版），现在保存会被拒绝；请重新加载。"
        )
        if st.button("重新加载", key="reload"):
            st.session_state["seen"][it.record_id] = it.version
            st.session_state["pending"] = {}
            st.rerun()
    clicked = _action_bar(view)
    show_flash()
    _reextraction(view)
    _findings(view, ctx)
    left, right = st.columns([6, 6], gap="small")
    with right:
        selected = _field_picker(view)
        section = _section_picker(view)
        pending: dict[str, str | None] = st.session_state.setdefault("pending", {})
        if selected is not None:
            _quick_edit(view, selected, seen, baseline)
        editor(
            view,
            section,
            baseline,
            pending,
            f"ed:{rid}:{seen}:{section}:{st.session_state.get('gen', 0)}",
        )
    with left:
        _image(view, selected, ctx)
    _history(view)
    _act(clicked, view, ctx, seen, baseline)


def _action_bar(view: service.RecordView) -> dict[str, bool]:
    """The actions, above everything else of the record (never below the fold)."""
    rid = view.item.record_id
    c = st.columns([1.3, 1.3, 0.8, 0.9, 0.9, 1.1, 0.8], gap="small")
    clicked = {
        "approve_next": c[0].button(
            "通过并下一条", key="approve", type="primary", shortcut=SHORTCUTS["approve_next"]
        ),
        "save_next": c[1].button("保存并下一条", key="save_next", shortcut=SHORTCUTS["save_next"]),
        "save": c[2].button("保存", key="save"),
        "prev": c[3].button("上一条", key="prev", shortcut=SHORTCUTS["prev"]),
        "next": c[4].button("下一条", key="next", shortcut=SHORTCUTS["next"]),
        "next_problem": c[5].button(
            "下一个问题",
            key="next_problem",
            shortcut=SHORTCUTS["next_problem"],
            on_click=_next_problem,
            args=(view,),
        ),
        "reject": c[6].button("退回", key="reject"),
    }
    n1, n2 = st.columns([5, 4], gap="small")
    n1.text_input(
        "备注",
        key=f"decision_note:{rid}",
        placeholder="备注：退回时必填；记录仍有错误时通过也须填写。保存更正时请在右侧选原因",
        label_visibility="collapsed",
    )
    n2.segmented_control(
        "更正原因（保存时必选）",
        ["extraction_error", "form_error", "ocr_error", "other"],
        format_func=lambda r: zh(r, "reason"),
        key=f"reason:{rid}",
        selection_mode="single",
        label_visibility="collapsed",
    )
    return clicked


def _reextraction(view: service.RecordView) -> None:
    newer = view.reextraction
    if newer is None:
        return
    st.warning(md(newer.describe()))
    if newer.differences:
        st.dataframe(
            [
                {"字段": zh(p), "本记录": plain(a) or "—", "新提取结果": plain(b) or "—"}
                for p, a, b in newer.differences
            ],
            hide_index=True,
            width="stretch",
        )


def _findings(view: service.RecordView, ctx: Ctx) -> None:
    """Every finding of the record, errors first; a click selects its field."""
    rows = [(f, n) for f in view.fields for n in f.findings if n.severity in ("error", "warning")]
    rows.sort(key=lambda t: t[1].severity != "error")
    other = [n for n in view.other_findings if n.severity in ("error", "warning")]
    if not rows and not other:
        st.success("没有错误或警告。")
        return
    with st.container(height=130 if len(rows) + len(other) > 2 else "content", border=True):
        for i, (f, n) in enumerate(rows):
            text = n.text_zh(f.status == "corrected")
            label = f"【{zh(n.severity, 'severity')}】{f.label}：{short(text, 90)}"
            st.button(
                md(label),
                key=f"finding:{i}",
                on_click=_select,
                args=(view, f.path),
                type="tertiary",
            )
        for n in other:
            st.caption(md(f"{zh(n.severity, 'severity')} · {n.text_zh()}"))
    _unit_conversion(view, ctx)


def _unit_conversion(view: service.RecordView, ctx: Ctx) -> None:
    """元 under 万元: one action converts the flagged amounts and their sub-rows."""
    changes = corrections.unit_conversion(view.data)
    if not changes:
        return
    if st.button(f"按万元换算（{len(changes)} 项金额 ÷ 10000）…", key="unit_convert"):
        st.session_state["unit_preview"] = view.item.record_id
    if st.session_state.get("unit_preview") != view.item.record_id:
        return
    pv = corrections.preview(view.data, changes, view.rule_set)
    with st.container(border=True):
        st.dataframe(
            [
                {"字段": zh(p), "原值": plain(pv.before.get(p)), "换算后": v}
                for p, v in pv.changes.items()
            ],
            hide_index=True,
        )
        after = [f for f in pv.findings if f.get("severity") in ("error", "warning")]
        for line in pv.figures:
            st.caption(md(line))
        tail = "；换算后仍有：" if after else "；换算后没有错误或警告"
        st.caption(f"错误 {pv.n_errors_before} → {pv.n_errors_after}{tail}")
        for f in after[:6]:
            st.caption(
                md(
                    f"{zh(str(f.get('severity')), 'severity')} · {f.get('message_zh') or f.get('code')}"
                )
            )
        if st.button("确认换算并保存", key="unit_apply", type="primary"):
            out = service.save_edits(
                ctx.store,
                view.item.record_id,
                pv.changes,
                reviewer=ctx.reviewer,
                reason="form_error",
                expected_version=st.session_state["seen"][view.item.record_id],
                note="元按万元换算",
            )
            st.session_state.pop("unit_preview", None)
            _after(out, view.item.record_id)


def _field_picker(view: service.RecordView) -> FieldRow | None:
    by_path = {f.path: f for f in view.fields}
    path = st.selectbox(
        "字段（其单元格在左侧页面上高亮）",
        list(by_path),
        format_func=lambda p: (
            f"{by_path[p].label} · {short(by_path[p].value, 30) or '—'} · {zh(by_path[p].status, 'state')}"
        ),
        key="field",
    )
    return by_path.get(path) if path else None


def _quick_edit(
    view: service.RecordView, selected: FieldRow, seen: int, baseline: dict[str, str | None]
) -> None:
    """A box for the selected field's value (the field a record opens on: its first error),
    so a one-value correction is: type it, choose the reason, 保存并下一条."""
    pending: dict[str, str | None] = st.session_state["pending"]
    gen = st.session_state.get("gen", 0)
    key = f"quick:{view.item.record_id}:{seen}:{selected.path}:{gen}"
    path = selected.path

    def changed() -> None:
        new = str(st.session_state.get(key) or "")
        if (new.strip() or None) != ((baseline.get(path) or "").strip() or None):
            pending[path] = new
        else:
            pending.pop(path, None)
        st.session_state["gen"] = gen + 1  # the table shows the new value

    current = pending[path] if path in pending else baseline.get(path)
    st.text_input(
        md(f"更正：{selected.label}（{zh(selected.status, 'state')}）"),
        value=current or "",
        key=key,
        on_change=changed,
    )


def _section_picker(view: service.RecordView) -> str:
    rid = view.item.record_id
    present = [s for s in SECTIONS if any(f.section == s for f in view.fields)]
    key = f"sec:{rid}"
    if st.session_state.get(key) not in present:
        st.session_state[key] = present[0]

    def changed() -> None:
        st.session_state["gen"] = st.session_state.get("gen", 0) + 1

    return str(
        st.radio(
            "分区",
            present,
            format_func=lambda s: SECTION_ZH[s],
            horizontal=True,
            key=key,
            on_change=changed,
            label_visibility="collapsed",
        )
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _page_png(pdf: str, page: int, boxes: tuple[tuple[float, ...], ...], dpi: int) -> bytes:
    from extractor.ingest.pdf import render_page
    from jixiao.settings import Settings
    from ui.images import view_image

    if not Path(pdf).is_file():
        raise InputError("source PDF not found")
    limits = Settings().ingest_options()  # the page limits of JIXIAO_* (as before)
    png, used = render_page(Path(pdf), page, dpi=dpi, options=limits)  # a huge page: smaller
    return view_image(png, boxes, used)


def _image(view: service.RecordView, selected: FieldRow | None, ctx: Ctx) -> None:
    boxes = boxes_for(view.data, selected.path) if selected else {}
    pages = sorted(boxes) or list(view.data.get("pages") or []) or [1]
    page = pages[0]
    try:
        png = _page_png(
            str(view.pdf_path),
            int(page),
            tuple(tuple(b) for b in boxes.get(page, [])),
            ctx.settings.render_dpi,
        )
    except Exception:  # a missing, unreadable or oversized page: the record stays usable
        st.warning("无法显示页面图像：原 PDF 文件不在、无法读取或页面过大。")
        return
    where = f" · {selected.label}" if selected else ""
    st.image(png, caption=md(f"第 {page} 页{where}"), width="stretch")
    if selected is not None and st.toggle("详细", key="details"):
        st.caption(md(f"{selected.path} · {', '.join(selected.cell_ids)} · {selected.match or ''}"))
        for n in selected.findings:
            st.caption(md(f"{n.code}: {n.message} {n.recomputed}"))


def _history(view: service.RecordView) -> None:
    with st.expander(f"修改记录（{len(view.history)}）", expanded=False):
        if not view.history:
            st.caption("尚无更正或审核结论。")
        for h in view.history:
            st.caption(md(f"{h.at:%Y-%m-%d %H:%M:%S} · {service.history_zh(h)}"))


def _neighbour(ctx: Ctx, rid: int, step: int) -> int | None:
    with ctx.store.session() as s:
        items = service.queue_items(s, **filters())
    return service.neighbour(items, rid, step)


def _after(out: service.Outcome, rid: int, then: int | None = None, last: bool = False) -> None:
    if out.ok and out.version is not None:
        st.session_state["seen"][rid] = out.version
        st.session_state["pending"] = {}
    flash("ok" if out.ok else "error", out.message)
    if out.ok and then is not None:
        go("record", then)
    if out.ok and last:
        flash("info", out.message + "。队列中已没有待审核的记录。")
        go("queue")
    st.rerun()


def _act(
    clicked: dict[str, bool],
    view: service.RecordView,
    ctx: Ctx,
    seen: int,
    baseline: dict[str, str | None],
) -> None:
    rid = view.item.record_id
    for key, step in (("next", 1), ("prev", -1)):
        if clicked[key]:
            other = _neighbour(ctx, rid, step)
            if other is None:
                flash("info", "已是队列的" + ("最后" if step > 0 else "第") + "一条。")
                st.rerun()
            go("record", other)
    if clicked["approve_next"] or clicked["reject"]:
        action = "approve" if clicked["approve_next"] else "reject"
        nxt = _neighbour(ctx, rid, 1)
        note = st.session_state.get(f"decision_note:{rid}") or None
        out = service.decide(
            ctx.store, rid, action, reviewer=ctx.reviewer, expected_version=seen, note=note
        )
        _after(
            out,
            rid,
            then=nxt if action == "approve" else None,
            last=action == "approve" and nxt is None,
        )
    if clicked["save"] or clicked["save_next"]:
        _save(view, ctx, seen, baseline, go_next=clicked["save_next"])


def _save(
    view: service.RecordView,
    ctx: Ctx,
    seen: int,
    baseline: dict[str, str | None],
    go_next: bool,
) -> None:
    rid = view.item.record_id
    pending: dict[str, Any] = st.session_state.get("pending", {})
    changes = service.changed_fields({p: v or "" for p, v in pending.items()}, baseline)
    if not changes:
        if go_next:
            other = _neighbour(ctx, rid, 1)
            if other is not None:
                go("record", other)
        flash("error", "没有改动可保存。")
        st.rerun()
    reason = st.session_state.get(f"reason:{rid}")
    if not reason:
        flash("error", "请先选择更正原因，再保存。")
        st.rerun()
    nxt = _neighbour(ctx, rid, 1) if go_next else None
    note = st.session_state.get(f"decision_note:{rid}") or None
    out = service.save_edits(
        ctx.store,
        rid,
        changes,
        reviewer=ctx.reviewer,
        reason=str(reason),
        expected_version=seen,
        note=note,
    )
    _after(out, rid, then=nxt)
