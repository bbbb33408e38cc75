"""The review screen (Streamlit). Thin: layout only; the logic is in ui.service, ui.fields,
ui.queue, ui.images, ui.exports and ui.auth, which are tested without Streamlit.

Run with ``jixiao review [--db URL]`` (or ``streamlit run ui/app.py``). Settings come from
``JIXIAO_*`` variables: ``JIXIAO_DB_URL``, ``JIXIAO_REVIEWERS_FILE``, ``JIXIAO_UPLOAD_DIR``.
``?record=ID&field=PATH`` in the URL opens a record with a field selected (after login).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from jixiao.errors import JixiaoError
from jixiao.settings import Settings, load_settings
from jixiao.store import Store, open_store
from jixiao.store.review import ReasonCode
from ui import auth, exports, service
from ui.fields import COLOURS, SECTION_ZH, SECTIONS, STATUS_ZH, FieldRow
from ui.queue import STATUS_ZH as QUEUE_STATUS_ZH
from ui.queue import STATUSES, status_counts, table

PAGES = ("Queue", "Record", "Upload", "Export")
REASON_ZH = {
    "extraction_error": "提取错误 extraction error",
    "form_error": "表格本身错误 form error",
    "ocr_error": "识别错误 OCR error",
    "other": "其他 other",
}


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url)


def _flash(kind: str, text: str) -> None:
    st.session_state["flash"] = (kind, text)


def _show_flash() -> None:
    kind, text = st.session_state.pop("flash", (None, None))
    if kind == "ok":
        st.success(text)
    elif kind == "error":
        st.error(text)


def _go(page: str, record_id: int | None = None) -> None:
    st.session_state["goto"] = page  # applied before the page radio is drawn
    if record_id is not None:
        st.session_state["record_id"] = record_id
    st.rerun()


# ---------------------------------------------------------------- login


def login(settings: Settings) -> str | None:
    if st.session_state.get("reviewer"):
        return str(st.session_state["reviewer"])
    st.title("jixiao 绩效 · review")
    try:
        configured = auth.load_reviewers(settings.reviewers_file)
    except JixiaoError as e:
        st.error(str(e))
        st.stop()
    if not configured:
        st.warning(
            f"No reviewers are configured in {settings.reviewers_file}. Add one with "
            "`jixiao review add-reviewer NAME` (file: JIXIAO_REVIEWERS_FILE)."
        )
    name = st.text_input("Reviewer 审核人", key="login_name")
    password = st.text_input("Password 密码", type="password", key="login_password")
    if st.button("Log in 登录", key="login_button"):
        if auth.authenticate(settings.reviewers_file, name, password):
            st.session_state["reviewer"] = name.strip()
            st.rerun()
        st.error("Unknown reviewer or wrong password.")
    return None


# ---------------------------------------------------------------- queue


def queue_page(store: Store) -> None:
    st.header("Queue 审核队列")
    with store.session() as s:
        opts = service.filter_options(s)
    c = st.columns(5)
    dep = c[0].selectbox("Department 主管部门", ["", *opts.departments], key="f_department")
    grade = c[1].selectbox("Grade 等级", ["", *opts.grades], key="f_grade")
    code = c[2].selectbox("Finding 问题代码", ["", *opts.finding_codes], key="f_code")
    status = c[3].selectbox(
        "Status 状态",
        ["", *STATUSES],
        format_func=lambda s: f"{QUEUE_STATUS_ZH[s]} {s}" if s else "all 全部",
        key="f_status",
    )
    search = c[4].text_input("Search 搜索", key="f_search")
    with store.session() as s:
        items = service.queue_items(
            s, department=dep, grade=grade, finding_code=code, status=status, search=search
        )
    counts = status_counts(items)
    m = st.columns(len(counts) + 1)
    m[0].metric("records", len(items))
    for col, (k, v) in zip(m[1:], counts.items(), strict=True):
        col.metric(QUEUE_STATUS_ZH[k], v)
    if not items:
        st.info("No records match. Upload a PDF or run a batch into this store.")
        return
    st.dataframe(table(items), hide_index=True, width="stretch")
    labels = {
        it.record_id: f"{it.review_status} · E{it.n_errors} W{it.n_warnings} · {it.label}"
        for it in items
    }
    rid = st.selectbox(
        "Record 记录", list(labels), format_func=lambda r: labels[r], key="queue_pick"
    )
    if st.button("Open record 打开", key="open_record"):
        _go("Record", rid)


# ---------------------------------------------------------------- record


def _finding_lines(f: FieldRow) -> str:
    lines = []
    for n in f.findings:
        extra = f" ({n.recomputed})" if n.recomputed else ""
        lines.append(f"**{n.code}** {n.severity}: {n.message}{extra}  \n{n.message_zh}")
    return "  \n".join(lines)


def _badge(f: FieldRow) -> str:
    bits = [f"<span style='color:{f.colour};font-weight:600'>● {STATUS_ZH[f.status]}</span>"]
    if f.match:
        bits.append(f"match {f.match}")
    if f.confidence is not None:
        bits.append(f"conf {f.confidence:.2f}")
    if f.cell_ids:
        bits.append(", ".join(f.cell_ids))
    return " · ".join(bits)


def _image(view: service.RecordView, selected: FieldRow | None, settings: Settings) -> None:
    from ui.fields import boxes_for
    from ui.images import page_image

    boxes = boxes_for(view.data, selected.path) if selected else {}
    pages = sorted(boxes) or list(view.data.get("pages") or []) or [1]
    page = pages[0]
    try:
        png = page_image(view.pdf_path, page, boxes.get(page, []), settings=settings)
    except JixiaoError as e:
        st.warning(f"No page image: {e}")
        return
    where = (
        f"{selected.label} ({selected.path}): {', '.join(selected.cell_ids)}" if selected else ""
    )
    st.image(png, caption=f"page {page} · {where}", width="stretch")


def record_page(store: Store, settings: Settings, reviewer: str) -> None:
    rid = st.session_state.get("record_id")
    if rid is None:
        st.info("Pick a record in the queue.")
        return
    with store.session() as s:
        view = service.load_record(s, int(rid))
    if view is None:
        st.error(f"Record {rid} no longer exists (its document may have been re-extracted).")
        return
    # What this reviewer opened: the version and its values. Saves are checked against it.
    seen: dict[int, int] = st.session_state.setdefault("seen", {})
    snaps: dict[int, tuple[int, dict[str, str | None]]] = st.session_state.setdefault("snap", {})
    seen.setdefault(view.item.record_id, view.item.version)
    seen_version = seen[view.item.record_id]
    snap = snaps.get(view.item.record_id)
    if (snap is None or snap[0] != seen_version) and view.item.version == seen_version:
        snap = snaps[view.item.record_id] = (seen_version, service.values_of(view))
    baseline = snap[1] if snap and snap[0] == seen_version else service.values_of(view)
    it = view.item
    st.header(f"{it.project_name or '(no project name)'}")
    st.caption(
        f"record {it.record_id} · {it.pdf} table {it.ordinal + 1} · {it.form_type} · "
        f"status **{it.review_status}** · version {it.version} · "
        f"{it.n_errors} errors, {it.n_warnings} warnings"
    )
    if it.version != seen_version:
        st.warning(
            f"This record changed since you opened it (version {seen_version} → {it.version}). "
            "Saving now will be refused; reload to see the changes."
        )
        if st.button("Reload 重新加载", key="reload"):
            seen[it.record_id] = it.version
            st.rerun()
    _show_flash()
    if view.reextraction is not None:
        newer = view.reextraction
        st.warning(newer.describe())
        if newer.differences:
            st.dataframe(
                [
                    {"field": p, "this record": a or "—", "newer extraction": b or "—"}
                    for p, a, b in newer.differences
                ],
                hide_index=True,
                width="stretch",
            )

    paths = [f.path for f in view.fields]
    wanted = st.session_state.pop("want_field", None)
    if wanted in paths:
        st.session_state["field"] = wanted
    by_path = {f.path: f for f in view.fields}
    path = st.selectbox(
        "Field 字段 (its source cells are highlighted)",
        paths,
        format_func=lambda p: (
            f"{by_path[p].label} · {by_path[p].value or '—'} · {STATUS_ZH[by_path[p].status]}"
        ),
        key="field",
    )
    selected = by_path.get(path) if path else None

    left, right = st.columns([3, 2])
    with left:
        _image(view, selected, settings)
    with right:
        if selected is not None:
            st.markdown(f"**{selected.label}** `{selected.path}`")
            st.markdown(_badge(selected), unsafe_allow_html=True)
            if selected.findings:
                st.markdown(_finding_lines(selected))
        _edit_form(store, view, reviewer, seen_version, baseline, selected)
    if view.other_findings:
        with st.expander(f"Record findings ({len(view.other_findings)})"):
            for n in view.other_findings:
                st.markdown(f"**{n.code}** {n.severity}: {n.message}  \n{n.message_zh}")
    _decision(store, view, reviewer, seen_version)
    with st.expander(f"History 修改记录 ({len(view.history)})", expanded=False):
        if not view.history:
            st.write("No corrections or decisions yet.")
        for h in view.history:
            st.write(f"{h.at:%Y-%m-%d %H:%M:%S} · {h.describe()}")


def _edit_form(
    store: Store,
    view: service.RecordView,
    reviewer: str,
    seen: int,
    baseline: dict[str, str | None],
    selected: FieldRow | None,
) -> None:
    default_section = selected.section if selected else "header"
    section = st.radio(
        "Section 分区",
        SECTIONS,
        index=SECTIONS.index(default_section),
        format_func=lambda s: SECTION_ZH[s],
        horizontal=True,
        key=f"section:{view.item.record_id}:{selected.path if selected else ''}",
    )
    rows = [f for f in view.fields if f.section == section]
    if section == "indicators" and rows:
        n = len(view.data.get("indicators") or [])
        default = (
            int(selected.path.split(".")[1]) if selected and selected.section == section else 0
        )
        idx = st.selectbox(
            "Indicator 指标",
            list(range(n)),
            index=min(default, n - 1),
            format_func=lambda i: f"{i + 1}. {view.data['indicators'][i].get('name') or ''}",
            key=f"ind:{view.item.record_id}",
        )
        rows = [f for f in rows if f.path.startswith(f"indicators.{idx}.")]
    rid = view.item.record_id
    with st.form(f"edit:{rid}:{section}"):
        values: dict[str, str] = {}
        for f in rows:
            values[f.path] = st.text_input(
                f"{f.label} · {STATUS_ZH[f.status]}",
                value=baseline.get(f.path) or "",
                key=f"v:{rid}:{seen}:{f.path}",
                help=f"{f.path} · " + (", ".join(n.code for n in f.findings) or "no findings"),
            )
            if f.findings:
                st.markdown(
                    f"<div style='border-left:4px solid {f.colour};padding-left:6px'>"
                    + "<br>".join(
                        f"{n.code}: {n.message}"
                        + (f" <b>({n.recomputed})</b>" if n.recomputed else "")
                        for n in f.findings
                    )
                    + "</div>",
                    unsafe_allow_html=True,
                )
        reason = st.selectbox(
            "Reason 原因",
            [r.value for r in ReasonCode],
            format_func=lambda r: REASON_ZH[r],
            key=f"reason:{rid}",
        )
        note = st.text_input("Note 备注 (optional)", key=f"note:{rid}")
        if st.form_submit_button("Save corrections 保存更正"):
            changes = service.changed_fields(values, baseline)
            if not changes:
                _flash("error", "Nothing changed.")
                st.rerun()
            out = service.save_edits(
                store,
                rid,
                changes,
                reviewer=reviewer,
                reason=reason,
                expected_version=seen,
                note=note or None,
            )
            _after(out, rid)


def _after(out: service.Outcome, rid: int) -> None:
    if out.ok and out.version is not None:
        st.session_state["seen"][rid] = out.version
    _flash("ok" if out.ok else "error", out.message)
    st.rerun()


def _decision(store: Store, view: service.RecordView, reviewer: str, seen: int) -> None:
    rid = view.item.record_id
    st.subheader("Decision 审核结论")
    note = st.text_input("Note 备注 (required to reject)", key=f"decision_note:{rid}")
    c1, c2, _ = st.columns([1, 1, 4])
    if c1.button("Approve 通过", key="approve", type="primary"):
        _after(
            service.decide(
                store, rid, "approve", reviewer=reviewer, expected_version=seen, note=note
            ),
            rid,
        )
    if c2.button("Reject 退回", key="reject"):
        _after(
            service.decide(
                store, rid, "reject", reviewer=reviewer, expected_version=seen, note=note
            ),
            rid,
        )


# ---------------------------------------------------------------- upload


def upload_page(store: Store, settings: Settings) -> None:
    st.header("Upload 上传")
    files = st.file_uploader("PDF forms", type=["pdf"], accept_multiple_files=True, key="upload")
    if not files or not st.button("Extract 提取", key="extract"):
        return
    bar = st.progress(0.0, text="starting")
    done: list[dict[str, Any]] = []
    for i, f in enumerate(files):

        def progress(frac: float, step: str, i: int = i) -> None:
            bar.progress(min(1.0, (i + frac) / len(files)), text=step)

        out = service.extract_upload(store, f.name, f.getvalue(), settings, progress)
        done.append(
            {
                "file": out.name,
                "status": out.status,
                "records": out.n_records,
                "errors": "; ".join(out.errors),
                "seconds": round(out.seconds, 2),
                "document_id": out.document_id,
            }
        )
    bar.progress(1.0, text=f"{len(files)} file(s) extracted")
    st.dataframe(done, hide_index=True)
    for d in done:
        if d["status"] == "failed":
            st.error(f"{d['file']}: {d['errors']}")
        elif d["status"] == "duplicate":
            st.info(f"{d['file']}: {d['errors']}")
    st.success("Stored. Open the queue to review.")


# ---------------------------------------------------------------- export


def export_page(store: Store) -> None:
    st.header("Export 导出")
    with store.session() as s:
        approved, counts = service.approved_records(s)
    if not approved:
        st.info("No approved records yet.")
        return
    st.dataframe(exports.table_rows(approved), hide_index=True, width="stretch")
    c = st.columns(3)
    c[0].download_button(
        "Excel (.xlsx)", exports.to_excel(approved), "jixiao-approved.xlsx", key="dl_xlsx"
    )
    c[1].download_button(
        "CSV", exports.to_csv(approved), "jixiao-approved.csv", mime="text/csv", key="dl_csv"
    )
    golden = exports.golden_export(approved, counts)
    c[2].download_button(
        f"Golden JSON ({len(golden.files)} PDFs, zip)",
        exports.golden_zip(golden),
        "jixiao-golden.zip",
        mime="application/zip",
        key="dl_golden",
        disabled=not golden.files,
    )
    for pdf, why in golden.skipped.items():
        st.caption(f"golden export skips {pdf}: {why}")


# ---------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="jixiao review", layout="wide")
    try:
        settings = load_settings()
        store = _store(settings.db_url)
    except JixiaoError as e:
        st.error(str(e))
        st.stop()
    qp = st.query_params
    if "record" in qp and "qp_done" not in st.session_state and str(qp["record"]).isdigit():
        st.session_state["qp_done"] = True
        st.session_state["record_id"] = int(qp["record"])
        st.session_state["nav"] = "Record"
        if "field" in qp:
            st.session_state["want_field"] = str(qp["field"])
    reviewer = login(settings)
    if reviewer is None:
        return
    st.sidebar.write(f"Reviewer 审核人: **{reviewer}**")
    if st.sidebar.button("Log out", key="logout"):
        st.session_state.clear()
        st.rerun()
    if "goto" in st.session_state:
        st.session_state["nav"] = st.session_state.pop("goto")
    page = st.sidebar.radio("Page", PAGES, key="nav")
    if page == "Queue":
        queue_page(store)
    elif page == "Record":
        record_page(store, settings, reviewer)
    elif page == "Upload":
        upload_page(store, settings)
    else:
        export_page(store)
    st.sidebar.caption(f"store: {store.engine.url.render_as_string(hide_password=True)}")
    st.sidebar.markdown(
        " ".join(f"<span style='color:{c}'>● {STATUS_ZH[k]}</span>" for k, c in COLOURS.items()),
        unsafe_allow_html=True,
    )


main()
