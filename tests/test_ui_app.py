"""The Streamlit app driven by ``streamlit.testing.v1.AppTest``: login and its throttling, the
queue, the record view (opens on its first error, findings on top, one-value correction,
approve-and-next, a note for approving errors), a conflict between two reviewers, upload,
export, and no English in the visible UI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from jixiao.store import RecordRow, list_records
from jixiao.store import review as rv

pytest_plugins = ["tests.review_helpers"]  # fixtures: review_env
APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample-self-eval.pdf"
PASSWORDS = {"wang": "wang-secret-1", "li": "li-secret-22"}


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _login(at: AppTest, name: str = "wang", password: str | None = None) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password or PASSWORDS[name])
    at.button(key="login_button").click().run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def _queue(env) -> list[RecordRow]:  # type: ignore[no-untyped-def]
    """The records worst first, as the queue lists them."""
    from ui import service

    with env.store.session() as s:
        items = service.queue_items(s)
        rows = {r.id: r for r in list_records(s)}
        for r in rows.values():
            s.expunge(r)
    return [rows[it.record_id] for it in items]


def _texts(at: AppTest) -> list[str]:
    """Every string the clerk can see in the app's element tree."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if node.type == "html":  # the login cookie script: not shown
            return
        for attr in ("label", "placeholder", "help", "body"):
            v = getattr(node, attr, None)
            if isinstance(v, str):
                out.append(v)
        hidden_value = ("text_input", "selectbox", "radio")  # keys; their options are shown
        v = getattr(node, "value", None) if node.type not in hidden_value else None
        if isinstance(v, str):
            out.append(v)
        if node.type == "button_group":
            out.extend(str(o.content) for o in node.proto.options)
        if node.type == "arrow_data_frame":
            out.extend(str(c) for c in node.value.columns)
        for attr in ("options",):
            opts = getattr(node, attr, None)
            if isinstance(opts, list):
                out.extend(str(o) for o in opts)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


_ALLOWED = [
    r"<style>.*</style>",  # the app's own CSS
    r"&\w+;",  # HTML entities of escaped text
    r"\b(wang|li)\b",  # the reviewers' login names (data)
    r":\w+\[",  # colour directives
    r"\bAlt\+[A-Z]\b",  # keyboard shortcuts
    r"\b[A-Z][A-Z0-9_:]*\b",  # finding codes, setting names, PDF, CSV, JSON
    r"[\w.\\-]*\.(pdf|xlsx|csv)\b",  # file names and extensions
]


def _english(texts: list[str]) -> list[str]:
    bad = []
    for t in texts:
        rest = t
        for pat in _ALLOWED:
            rest = re.sub(pat, " ", rest, flags=re.S)
        if re.search(r"[A-Za-z]{2,}", rest):
            bad.append(t)
    return bad


def test_login_throttles_then_locks(review_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from ui.sessions import THROTTLE

    now = [1000.0]
    monkeypatch.setattr(THROTTLE, "clock", lambda: now[0])
    at = _app()
    assert not at.dataframe  # nothing shown before login
    for _ in range(10):
        _login(at, "wang", "wrong-password")
        assert at.error[0].value == "审核人不存在或密码错误。"
        wait = THROTTLE.wait_s("wang")
        if wait and not THROTTLE.is_locked(
            "wang"
        ):  # growing delay: a try before it is up is refused unchecked
            _login(at, "wang")
            assert "后再试" in at.error[0].value and "reviewer" not in at.session_state
            now[0] += wait
    assert THROTTLE.is_locked("wang")
    _login(at, "wang")  # the right password, while locked: refused
    assert "已锁定" in at.error[0].value and "reviewer" not in at.session_state
    now[0] += THROTTLE.lock_s + 1
    _login(at, "wang")
    assert at.session_state["reviewer"] == "wang"


def test_queue_filters_persist_and_rows_open_records(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _login(_app())
    df = at.dataframe[0].value
    assert len(df) == 5 and list(df.columns)[:4] == ["编号", "状态", "错误", "警告"]
    assert list(df["错误"]) == sorted(df["错误"], reverse=True)
    assert set(df["状态"]) == {"待审核"} or set(df["状态"]) <= {"新", "待审核"}
    at.selectbox(key="f_code").select("DUPLICATE_INDICATOR_NUMBER").run()
    df = at.dataframe[0].value
    assert set(df["项目名称"]) == {"报刊订阅费", "聘用人员工资"}
    first = int(df.iloc[0]["编号"])
    _click(at, "open_first")
    assert at.session_state["record_id"] == first
    at.sidebar.radio(key="nav").set_value("queue").run()
    assert at.selectbox(key="f_code").value == "DUPLICATE_INDICATOR_NUMBER"  # kept
    assert len(at.dataframe[0].value) == 2


def test_record_opens_on_its_first_error_and_corrects_in_three_actions(review_env) -> None:  # type: ignore[no-untyped-def]
    queue = _queue(review_env)
    row, nxt = queue[0], queue[1]
    at = _click(_login(_app()), "open_first")
    first_error = next(f["field"] for f in row.data["findings"] if f["severity"] == "error")
    assert at.selectbox(key="field").value == first_error
    findings = [b.label for b in at.button if b.key and b.key.startswith("finding:")]
    assert findings and findings[0].startswith("【错误】")
    assert len(at.image) == 1
    # a finding's button selects its field
    warn = next(b for b in at.button if b.key and b.label.startswith("【警告】"))
    warn.click().run()
    assert at.selectbox(key="field").value != first_error
    at.button(key="next_problem").click().run()
    path = at.selectbox(key="field").value
    # one-value correction: type it (1), choose the reason (2), 保存并下一条 (3)
    box = next(t for t in at.text_input if t.key and t.key.startswith(f"quick:{row.id}:"))
    box.input("8").run()
    at.button_group(key=f"reason:{row.id}").set_value("form_error").run()
    _click(at, "save_next")
    assert at.session_state["record_id"] == nxt.id  # the next record is open
    assert at.success[0].value.startswith("已保存")
    with review_env.store.session() as s:
        after = s.get(RecordRow, row.id)
        assert after is not None and rv.get_value(after.data, path) == "8"
        (c,) = rv.corrections_of(s, row.id)
        assert (c.reviewer, c.reason_code) == ("wang", "form_error")
    # back on the corrected record: the saved value, marked 已更正
    _click(at, "prev")
    assert at.session_state["record_id"] == row.id
    at.selectbox(key="field").set_value(path).run()
    box = next(t for t in at.text_input if t.key and t.key.startswith(f"quick:{row.id}:"))
    assert box.value == "8" and "已更正" in box.label
    assert any("将" in c.value and "改为 8" in c.value for c in at.caption)  # history


def test_approve_with_errors_needs_a_note_then_opens_the_next(review_env) -> None:  # type: ignore[no-untyped-def]
    queue = _queue(review_env)
    row = queue[0]
    at = _click(_login(_app()), "open_first")
    _click(at, "approve")
    assert "个错误" in at.error[0].value and at.session_state["record_id"] == row.id
    with review_env.store.session() as s:
        assert s.get(RecordRow, row.id).review_status != "approved"  # type: ignore[union-attr]
    at.text_input(key=f"decision_note:{row.id}").input("已与纸质表核对")
    _click(at, "approve")
    assert f"记录 {row.id} 已由 wang 通过" in at.success[0].value
    assert at.session_state["record_id"] == queue[1].id
    _click(at, "reject")
    assert "退回需要备注" in at.error[0].value


def test_second_reviewer_sees_a_conflict_not_a_silent_overwrite(review_env) -> None:  # type: ignore[no-untyped-def]
    row = _queue(review_env)[0]
    at = _click(_login(_app(), "li"), "open_first")
    at.selectbox(key="field").set_value("total_score").run()
    with review_env.store.session() as s:
        rv.edit_record(
            s,
            row.id,
            {"total_score": "93"},
            reviewer="wang",
            reason="ocr_error",
            expected_version=row.version,
        )
    box = next(t for t in at.text_input if t.key and t.key.startswith(f"quick:{row.id}:"))
    box.input("95").run()
    at.button_group(key=f"reason:{row.id}").set_value("ocr_error").run()
    _click(at, "save")
    msg = at.error[0].value
    assert "wang 将 总分·得分 由 91 改为 93" in msg and "未保存" in msg
    with review_env.store.session() as s:
        assert s.get(RecordRow, row.id).data["total_score"] == "93"  # type: ignore[union-attr]
    assert any("已被修改" in w.value for w in at.warning)
    _click(at, "reload")
    at.selectbox(key="field").set_value("total_score").run()
    box = next(t for t in at.text_input if t.key and t.key.startswith(f"quick:{row.id}:"))
    assert box.value == "93"


def test_upload_keeps_no_failed_file_and_shows_no_path(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _login(_app())
    at.sidebar.radio(key="nav").set_value("upload").run()
    target = Path(__file__).resolve().parents[1] / "samples" / "sample-target-decl.pdf"
    long_name = "关于" + "绩效自评" * 19 + ".pdf"  # 80 Chinese characters
    at.file_uploader(key="upload").set_value(
        [
            (long_name, target.read_bytes(), "application/pdf"),
            ("empty.pdf", b"", "application/pdf"),
            ("broken.pdf", b"%PDF-1.7 truncated", "application/pdf"),
        ]
    )
    at.run()
    _click(at, "extract")
    assert at.get("progress")
    done = at.dataframe[0].value
    assert list(done["状态"]) in (["正常", "失败", "失败"], ["部分读取", "失败", "失败"])
    shown = " ".join(e.value for e in at.error) + " ".join(map(str, done["问题"]))
    assert "/" not in shown.replace("\\/", "") and str(review_env.uploads) not in shown
    assert "已保存 1 个文件" in at.success[0].value
    kept = [p.name for p in review_env.uploads.iterdir()]
    assert len(kept) == 1 and kept[0].endswith(".pdf") and len(kept[0].encode()) < 200
    with review_env.store.session() as s:
        forms = set(s.scalars(select(RecordRow.form_type)))
    assert forms == {"self_evaluation", "target_declaration"}


def test_export_uses_the_one_exporter(review_env) -> None:  # type: ignore[no-untyped-def]
    import io

    import openpyxl

    row = _queue(review_env)[-1]
    with review_env.store.session() as s:
        rv.approve(s, row.id, reviewer="wang", expected_version=row.version, note="ok")
    at = _login(_app())
    at.sidebar.radio(key="nav").set_value("export").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["记录编号"]) == [row.id]
    assert not at.get("download_button")[:-1]  # the files are made on request
    _click(at, "make_export")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:2] == ["电子表格（.xlsx）", "CSV"] and labels[2].startswith("答案键 JSON")
    from jixiao.exports import export_bytes

    files = export_bytes(review_env.store)
    wb = openpyxl.load_workbook(io.BytesIO(files["results.xlsx"]))
    ws = wb["records"]
    assert ws.max_row == 2 and ws.cell(1, 2).value == "记录编号"
    head = [c.value for c in ws[1]]
    budget = ws.cell(2, head.index("年度资金总额·全年预算数") + 1)
    assert isinstance(budget.value, (int, float)) and budget.number_format.startswith("#,##0")


def test_no_english_in_the_visible_ui(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _app()
    seen = _texts(at)
    _login(at)
    seen += _texts(at)
    _click(at, "open_first")
    seen += _texts(at)
    _click(at, "approve")  # the error message of approving with errors
    seen += _texts(at)
    with review_env.store.session() as s:
        rid, v = next((r.id, r.version) for r in list_records(s) if r.review_status != "approved")
        rv.approve(s, rid, reviewer="li", expected_version=v, note="ok")
    for page in ("upload", "export", "queue"):
        at.sidebar.radio(key="nav").set_value(page).run()
        if page == "export":
            _click(at, "make_export")  # the download buttons too
        seen += _texts(at)
    bad = _english(seen)
    assert seen and not bad, "\n".join(bad)


def test_query_params_open_a_record_with_a_field_selected(review_env) -> None:  # type: ignore[no-untyped-def]
    row = _queue(review_env)[2]
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["record"] = str(row.id)
    at.query_params["field"] = "project_name"
    at.run()
    _login(at)
    assert at.session_state["record_id"] == row.id
    assert at.selectbox(key="field").value == "project_name"


def test_record_page_warns_of_a_differing_newer_extraction(review_env, sample_result) -> None:  # type: ignore[no-untyped-def]
    from jixiao.store import save_result

    row = _queue(review_env)[0]
    with review_env.store.session() as s:
        rv.approve(s, row.id, reviewer="li", expected_version=row.version, note="ok")
    newer = sample_result.model_copy(deep=True, update={"extractor_version": "9.9.9"})
    newer.records[row.ordinal].record.project_name.text = "新读法"
    with review_env.store.session() as s:
        save_result(s, newer, path=str(SAMPLE))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["record"] = str(row.id)
    at.run()
    _login(at)
    assert any("新提取结果" in w.value for w in at.warning)
    df = next(d.value for d in at.dataframe if "新提取结果" in d.value.columns)
    assert list(df["新提取结果"]) == ["新读法"]


def test_logout_clears_the_session(review_env) -> None:  # type: ignore[no-untyped-def]
    from ui.sessions import TOKENS

    at = _login(_app())
    token = at.session_state["token"]
    assert TOKENS.reviewer(token) == "wang"
    _click(at, "logout")
    assert "reviewer" not in at.session_state and TOKENS.reviewer(token) is None
    assert at.text_input(key="login_name") is not None
