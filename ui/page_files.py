"""Upload (PDFs extracted into the store) and export (the one exporter, jixiao.exports)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from jixiao import golden_export as exports
from jixiao.exports import export_bytes
from ui import service
from ui.labels import zh
from ui.page_common import Ctx
from ui.text import md, plain


def upload_page(ctx: Ctx) -> None:
    st.markdown("#### 上传")
    files = st.file_uploader(
        "绩效表 PDF 文件", type=["pdf"], accept_multiple_files=True, key="upload"
    )
    if not files or not st.button("提取", key="extract", type="primary"):
        return
    bar = st.progress(0.0, text="开始")
    done: list[dict[str, Any]] = []
    outcomes = []
    for i, f in enumerate(files):

        def progress(frac: float, step: str, i: int = i) -> None:
            bar.progress(min(1.0, (i + frac) / len(files)), text=md(step))

        out = service.extract_upload(ctx.store, f.name, f.getvalue(), ctx.settings, progress)
        outcomes.append(out)
        done.append(
            {
                "文件": plain(out.name),
                "状态": zh(out.status, "doc_status"),
                "记录数": out.n_records,
                "问题": "；".join(plain(e) for e in out.errors),
                "用时（秒）": round(out.seconds, 2),
            }
        )
    bar.progress(1.0, text=f"已处理 {len(files)} 个文件")
    st.dataframe(done, hide_index=True)
    for out in outcomes:
        if out.status == "failed":
            st.error(md(f"{out.name}：{'；'.join(out.errors)}（未保存）"))
        elif out.status == "duplicate":
            st.info(md(f"{out.name}：{'；'.join(out.errors)}"))
    stored = [o for o in outcomes if o.status not in ("failed", "duplicate")]
    if stored:
        n = sum(o.n_records for o in stored)
        st.success(f"已保存 {len(stored)} 个文件、{n} 条记录。请到审核队列审核。")


def export_page(ctx: Ctx) -> None:
    st.markdown("#### 导出已通过的记录")
    with ctx.store.session() as s:
        approved, counts = service.approved_records(s)
    if not approved:
        st.info("尚无已通过的记录。")
        return
    st.dataframe(
        [
            {
                zh(key, "column"): value
                for key, value in (
                    ("record_id", r.record_id),
                    *((k, plain(r.data.get(k))) for k in ("project_name", "department")),
                    ("total", plain(r.data.get("total_score"))),
                    ("grade", plain(r.data.get("grade"))),
                    ("reviewer", plain(r.reviewer)),
                    ("corrections", len(r.corrections)),
                )
            }
            for r in approved
        ],
        hide_index=True,
        width="stretch",
    )
    keys = st.toggle("列名用字段键（不用中文）", key="export_keys")
    # what the files were made of: a new approval or correction makes them out of date
    stamp = (
        "keys" if keys else "zh",
        tuple((r.record_id, len(r.corrections)) for r in approved),
    )
    made = st.session_state.get("export_files")
    if st.button("生成导出文件", key="make_export", type="primary"):
        made = (stamp, export_bytes(ctx.store, review_status="approved", headers=stamp[0]))
        st.session_state["export_files"] = made
    c = st.columns(3)
    if made is not None and made[0] == stamp:
        files = made[1]
        c[0].download_button(
            "电子表格（.xlsx）", files["results.xlsx"], "jixiao-approved.xlsx", key="dl_xlsx"
        )
        c[1].download_button(
            "CSV", files["records.csv"], "jixiao-approved.csv", mime="text/csv", key="dl_csv"
        )
    golden = exports.golden_export(approved, counts)
    c[2].download_button(
        f"答案键 JSON（{len(golden.files)} 个 PDF，ZIP 压缩包）",
        exports.golden_zip(golden),
        "jixiao-golden.zip",
        mime="application/zip",
        key="dl_golden",
        disabled=not golden.files,
    )
    for pdf, why in golden.skipped.items():
        st.caption(md(f"答案键未导出 {pdf}：{why}"))
