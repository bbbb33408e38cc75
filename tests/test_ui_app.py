"""The Streamlit app driven by ``streamlit.testing.v1.AppTest``: login, the queue, a field
edit, an approval, the exports, an upload, and a conflict between two reviewers."""

from __future__ import annotations

import io
from pathlib import Path

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


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label.startswith(label))


def _open(at: AppTest, rid: int) -> AppTest:
    at.selectbox(key="queue_pick").select(rid)
    at.button(key="open_record").click().run()
    assert not at.exception, at.exception
    return at


def _worst(env) -> RecordRow:  # type: ignore[no-untyped-def]
    with env.store.session() as s:
        row = max(list_records(s), key=lambda r: (r.n_errors, r.n_warnings, -r.id))
        s.expunge(row)
        return row


def test_login_is_required_and_checks_the_password(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _app()
    assert at.text_input(key="login_name") is not None
    assert not at.dataframe  # nothing shown before login
    _login(at, "wang", "wrong-password")
    assert "wrong password" in at.error[0].value
    assert "reviewer" not in at.session_state
    _login(at, "wang")
    assert at.session_state["reviewer"] == "wang"
    assert any("wang" in m.value for m in at.sidebar.markdown)


def test_queue_lists_worst_first_and_filters(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _login(_app())
    assert at.header[0].value.startswith("Queue")
    df = at.dataframe[0].value
    assert len(df) == 5
    assert list(df["errors"]) == sorted(df["errors"], reverse=True)
    assert df.iloc[0]["id"] == _worst(review_env).id
    assert {m.label: m.value for m in at.metric}["records"] == "5"
    at.selectbox(key="f_code").select("DUPLICATE_INDICATOR_NUMBER").run()
    df = at.dataframe[0].value
    assert set(df["project"]) == {"报刊订阅费", "聘用人员工资"}
    at.selectbox(key="f_code").select("").run()
    at.selectbox(key="f_status").select("approved").run()
    assert not at.dataframe and "No records match" in at.info[0].value


def test_record_view_edit_approve_and_export(
    review_env,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openpyxl
    import streamlit

    from ui.images import count_color

    shown: list[bytes] = []
    real_image = streamlit.image

    def recording_image(image, *a, **kw):  # type: ignore[no-untyped-def]
        shown.append(image)
        return real_image(image, *a, **kw)

    monkeypatch.setattr(streamlit, "image", recording_image)

    row = _worst(review_env)
    at = _open(_login(_app()), row.id)
    assert at.header[0].value == row.project_name
    assert len(at.image) == 1  # the page image
    # select a field with a finding: its cell is highlighted, the finding shown beside it
    at.selectbox(key="field").select("funds.total.executed").run()
    assert not at.exception, at.exception
    cell = row.data["provenance"]["funds.total.executed"]["cell_ids"][0]
    assert at.image[0].captions[0].endswith(f"(funds.total.executed): {cell}")
    assert count_color(shown[-1]) > 50  # the highlight is drawn on the page image
    assert any("R9" in m.value for m in at.markdown)
    box = next(t for t in at.text_input if t.key and t.key.endswith(":funds.total.executed"))
    assert box.value == "100%"
    box.input("8")
    at.selectbox(key=f"reason:{row.id}").select("form_error")
    _button(at, "Save corrections").click().run()
    assert not at.exception, at.exception
    assert "saved: funds.total.executed '100%' → '8'" in at.success[0].value
    with review_env.store.session() as s:
        after = s.get(RecordRow, row.id)
        assert after is not None and after.data["funds"]["total"]["executed"] == "8"
        assert after.version == row.version + 1
        (c,) = rv.corrections_of(s, row.id)
        assert (c.reviewer, c.reason_code, c.old_value) == ("wang", "form_error", "100%")
    box = next(t for t in at.text_input if t.key and t.key.endswith(":funds.total.executed"))
    assert box.value == "8"  # the form shows the corrected value
    assert any("changed funds.total.executed" in m.value for m in at.markdown)  # history

    at.text_input(key=f"decision_note:{row.id}").input("checked against the paper form")
    at.button(key="approve").click().run()
    assert not at.exception, at.exception
    assert f"record {row.id} approved by wang" in at.success[0].value
    with review_env.store.session() as s:
        assert s.get(RecordRow, row.id).review_status == "approved"  # type: ignore[union-attr]

    at.sidebar.radio(key="nav").set_value("Export").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["record_id"]) == [row.id]
    assert table.iloc[0]["funds.total.executed"] == "8" and table.iloc[0]["approved_by"] == "wang"
    labels = [b.label for b in at.get("download_button")]
    assert labels[:2] == ["Excel (.xlsx)", "CSV"] and labels[2].startswith("Golden JSON (0 PDFs")
    assert any("1 of 5 records approved" in c.value for c in at.caption)
    # the bytes behind the Excel button are the approved record
    from ui import exports, service

    with review_env.store.session() as s:
        approved, _ = service.approved_records(s)
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel(approved)))
    assert wb["records"].max_row == 2


def test_second_reviewer_sees_a_conflict_not_a_silent_overwrite(review_env) -> None:  # type: ignore[no-untyped-def]
    row = _worst(review_env)
    # li opens the record in the app
    at = _open(_login(_app(), "li"), row.id)
    at.selectbox(key="field").select("total_score").run()
    # meanwhile wang saves a correction from another session
    with review_env.store.session() as s:
        rv.edit_record(
            s,
            row.id,
            {"total_score": "93"},
            reviewer="wang",
            reason="ocr_error",
            expected_version=row.version,
        )
    box = next(t for t in at.text_input if t.key and t.key.endswith(":total_score"))
    box.input("95")
    _button(at, "Save corrections").click().run()
    assert not at.exception, at.exception
    msg = at.error[0].value
    assert "wang changed total_score from '91' to '93'" in msg and "NOT saved" in msg
    with review_env.store.session() as s:
        assert s.get(RecordRow, row.id).data["total_score"] == "93"  # type: ignore[union-attr]
    # the page warns, and approving on the stale version is refused too
    assert any("changed since you opened it" in w.value for w in at.warning)
    at.button(key="approve").click().run()
    assert "NOT saved" in at.error[0].value
    # after reloading li sees wang's value and can save
    at.button(key="reload").click().run()
    box = next(t for t in at.text_input if t.key and t.key.endswith(":total_score"))
    assert box.value == "93"
    box.input("95")
    _button(at, "Save corrections").click().run()
    assert "saved: total_score '93' → '95'" in at.success[0].value


def test_reject_needs_a_note(review_env) -> None:  # type: ignore[no-untyped-def]
    row = _worst(review_env)
    at = _open(_login(_app()), row.id)
    at.button(key="reject").click().run()
    assert "needs a note" in at.error[0].value
    at.text_input(key=f"decision_note:{row.id}").input("not a 2023 form")
    at.button(key="reject").click().run()
    assert "rejected by wang" in at.success[0].value
    with review_env.store.session() as s:
        assert s.get(RecordRow, row.id).review_status == "rejected"  # type: ignore[union-attr]


def test_upload_extracts_with_progress_and_stores(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _login(_app())
    at.sidebar.radio(key="nav").set_value("Upload").run()
    target = Path(__file__).resolve().parents[1] / "samples" / "sample-target-decl.pdf"
    at.file_uploader(key="upload").set_value(
        [
            (target.name, target.read_bytes(), "application/pdf"),
            ("broken.pdf", b"%PDF-1.7 truncated", "application/pdf"),
        ]
    )
    at.run()
    at.button(key="extract").click().run()
    assert not at.exception, at.exception
    assert at.get("progress")  # the progress indicator
    done = at.dataframe[0].value
    assert list(done["file"]) == [target.name, "broken.pdf"]
    assert done.iloc[0]["status"] in ("ok", "partial") and done.iloc[0]["records"] > 0
    assert done.iloc[1]["status"] == "failed"
    assert any("broken.pdf" in e.value for e in at.error)
    assert sorted(p.name.split("-", 1)[1] for p in review_env.uploads.iterdir()) == [
        "broken.pdf",
        target.name,
    ]
    with review_env.store.session() as s:
        forms = set(s.scalars(select(RecordRow.form_type)))
    assert forms == {"self_evaluation", "target_declaration"}


def test_query_params_open_a_record_with_a_field_selected(review_env) -> None:  # type: ignore[no-untyped-def]
    row = _worst(review_env)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["record"] = str(row.id)
    at.query_params["field"] = "project_name"
    at.run()
    _login(at)
    assert at.header[0].value == row.project_name
    assert at.selectbox(key="field").value == "project_name"


def test_record_page_warns_of_a_differing_newer_extraction(review_env, sample_result) -> None:  # type: ignore[no-untyped-def]
    from jixiao.store import save_result

    row = _worst(review_env)
    with review_env.store.session() as s:
        rv.approve(s, row.id, reviewer="li", expected_version=row.version)
    newer = sample_result.model_copy(deep=True, update={"extractor_version": "9.9.9"})
    newer.records[row.ordinal].record.project_name.text = "新读法"
    with review_env.store.session() as s:
        save_result(s, newer, path=str(SAMPLE))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["record"] = str(row.id)
    at.run()
    _login(at)
    assert at.header[0].value == row.project_name  # the approved record, not overwritten
    assert any("newer extraction" in w.value for w in at.warning)
    df = at.dataframe[0].value
    assert list(df["newer extraction"]) == ["新读法"]


def test_logout_clears_the_session(review_env) -> None:  # type: ignore[no-untyped-def]
    at = _login(_app())
    at.sidebar.button(key="logout").click().run()
    assert "reviewer" not in at.session_state
    assert at.text_input(key="login_name") is not None


def test_no_reviewers_configured_says_how_to_add_one(
    review_env,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("JIXIAO_REVIEWERS_FILE", str(tmp_path / "nobody.json"))
    at = _app()
    assert "jixiao review add-reviewer" in at.warning[0].value
