"""The review screen's logic without Streamlit: the field form, highlighted page images,
the queue, exports (CSV, Excel, golden JSON), uploads and the launch command."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from jixiao import golden_export as exports
from jixiao import review_launch as launch
from jixiao.store import RecordRow, Store, list_records
from jixiao.store import review as rv
from schemas.results import DocumentResult
from ui import fields, images, service
from ui.queue import QueueItem, filter_items, sort_worst_first, status_counts

pytest_plugins = ["tests.review_helpers"]  # fixtures: review_store, sample_result
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample-self-eval.pdf"


def _data(store: Store, rid: int | None = None) -> tuple[int, int, dict]:  # type: ignore[type-arg]
    with store.session() as s:
        rows = list_records(s)
        row = rows[0] if rid is None else next(r for r in rows if r.id == rid)
        return row.id, row.version, row.data


# ---------------------------------------------------------------- fields


def test_field_rows_attach_findings_and_colour(review_store: Store) -> None:
    _, _, data = _data(review_store)
    rows = {f.path: f for f in fields.field_rows(data)}
    assert list(rows)[:2] == ["year", "project_name"]
    ex = rows["funds.total.executed"]
    assert ex.value == "100%" and ex.status == "error" and ex.colour == fields.COLOURS["error"]
    assert ex.label == "年度资金总额·全年执行数" and ex.section == "funds"
    assert ex.page == 1 and ex.bbox is not None and ex.cell_ids
    assert [n.code for n in ex.findings] == ["R9"]
    score = rows["indicators.0.score"]
    assert score.status == "warning" and score.findings[0].code == "R10"
    assert score.findings[0].recomputed == "印刷值 9 · 复算值 10"
    assert rows["project_name"].status == "ok"
    assert rows["year"].status == "check"  # read out of the title line (contained)
    assert rows["indicators.0.deviation_reason"].status == "empty"
    assert fields.label_of("indicators.2.target") == "指标3·年度指标值"
    assert fields.section_of("goal_actual") == "goals"
    assert fields.section_of("grade") == "totals"


def test_corrected_and_low_confidence_fields_are_marked() -> None:
    f = fields.FieldRow(path="x", section="header", label="x", value="1", source="reviewer")
    assert f.status == "corrected"
    g = fields.FieldRow(path="x", section="header", label="x", value="1", confidence=0.5)
    assert g.status == "check"


def test_boxes_for_a_field_and_for_a_group(review_store: Store) -> None:
    _, _, data = _data(review_store)
    one = fields.boxes_for(data, "funds.total.executed")
    assert list(one) == [1] and len(one[1]) == 1
    assert one[1][0] == tuple(data["provenance"]["funds.total.executed"]["bbox"])
    group = fields.boxes_for(data, "indicators.0")
    assert len(group[1]) >= 5
    assert fields.boxes_for(data, "indicators.1") != group
    assert fields.boxes_for(data, "no.such") == {}


# ---------------------------------------------------------------- images


def _png(w: int, h: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, format="PNG")
    return buf.getvalue()


def test_boxes_are_scaled_from_points_to_pixels() -> None:
    # 72 pt = 1 inch = 150 px at 150 dpi
    assert images.scale_box((72, 72, 144, 108), 150, (2000, 2000)) == (150, 150, 300, 225)
    assert images.scale_box((144, 108, 72, 72), 150, (2000, 2000)) == (150, 150, 300, 225)
    assert images.scale_box((0, 0, 9999, 10), 72, (100, 100))[2] == 99  # clipped


def test_draw_boxes_outlines_only_the_box() -> None:
    from PIL import Image

    out = images.draw_boxes(_png(300, 200), [(36, 36, 72, 72)], dpi=72)
    img = Image.open(io.BytesIO(out)).convert("RGB")
    assert img.getpixel((34, 34)) == images.HIGHLIGHT  # outline just outside the box
    assert img.getpixel((150, 150)) == (255, 255, 255)  # elsewhere untouched
    inside = img.getpixel((54, 54))
    assert inside != (255, 255, 255) and inside[0] == 255  # translucent magenta fill
    assert images.count_color(out) > 100
    assert images.count_color(_png(50, 50)) == 0


def test_page_image_highlights_the_fields_cell(review_store: Store) -> None:
    from PIL import Image

    _, _, data = _data(review_store)
    boxes = fields.boxes_for(data, "project_name")[1]
    png = images.page_image(SAMPLE, 1, boxes, dpi=72)
    img = Image.open(io.BytesIO(png))
    x0, y0, _, y1 = images.scale_box(boxes[0], 72, img.size)
    assert img.convert("RGB").getpixel((x0 - 2, (y0 + y1) // 2)) == images.HIGHLIGHT
    plain = images.page_image(SAMPLE, 1, [], dpi=72)
    assert images.count_color(plain) == 0 < images.count_color(png)


def test_page_image_of_a_missing_pdf_is_a_clear_error(tmp_path: Path) -> None:
    from schemas.errors import InputError

    with pytest.raises(InputError, match="not found"):
        images.page_image(tmp_path / "gone.pdf", 1, [])


# ---------------------------------------------------------------- queue


def _item(rid: int, status: str, e: int, w: int, **kw: object) -> QueueItem:
    base: dict[str, object] = {
        "record_id": rid,
        "document_id": 1,
        "pdf": "a.pdf",
        "ordinal": rid,
        "form_type": "self_evaluation",
        "project_name": f"p{rid}",
        "department": "A",
        "grade": "优",
        "total_score": "90",
        "n_errors": e,
        "n_warnings": w,
        "review_status": status,
        "version": 1,
        "finding_codes": [],
    }
    base.update(kw)
    return QueueItem(**base)  # type: ignore[arg-type]


def test_queue_sorts_worst_first_and_filters() -> None:
    items = [
        _item(1, "new", 0, 0),
        _item(2, "needs_review", 1, 5, finding_codes=["R1"]),
        _item(3, "needs_review", 3, 0, department="B", finding_codes=["R9", "R1"]),
        _item(4, "approved", 9, 9, grade="良"),
        _item(5, "needs_review", 1, 7),
    ]
    assert [i.record_id for i in sort_worst_first(items)] == [3, 5, 2, 1, 4]
    assert [i.record_id for i in filter_items(items, finding_code="R1")] == [2, 3]
    assert [i.record_id for i in filter_items(items, department="B")] == [3]
    assert [i.record_id for i in filter_items(items, grade="良")] == [4]
    assert [i.record_id for i in filter_items(items, status="new")] == [1]
    assert status_counts(items) == {"new": 1, "needs_review": 3, "approved": 1, "rejected": 0}


def test_queue_items_from_the_store(review_store: Store) -> None:
    with review_store.session() as s:
        items = service.queue_items(s)
        assert len(items) == 5
        assert items == sort_worst_first(items)
        assert items[0].n_errors == max(i.n_errors for i in items)
        dup = service.queue_items(s, finding_code="DUPLICATE_INDICATOR_NUMBER")
        assert {i.project_name for i in dup} == {"报刊订阅费", "聘用人员工资"}
        opts = service.filter_options(s)
        assert opts.departments == ["通州区工商联"] and "R9" in opts.finding_codes
        assert service.queue_items(s, status="approved") == []


# ---------------------------------------------------------------- exports


def _approve_all(store: Store, reason_first: str = "form_error") -> None:
    with store.session() as s:
        rows = [(r.id, r.version) for r in list_records(s)]
    rid0, v0 = rows[0]
    with store.session() as s:
        rv.edit_record(
            s,
            rid0,
            {"funds.total.executed": "8"},
            reviewer="wang",
            reason=reason_first,
            expected_version=v0,
        )
    rows[0] = (rid0, v0 + 1)
    for rid, v in rows:
        with store.session() as s:
            rv.approve(s, rid, reviewer="li", expected_version=v, note="ok")


def test_csv_and_excel_of_approved_records(review_store: Store) -> None:
    """The review screen's downloads come from the one exporter (jixiao.exports)."""
    import openpyxl

    from jixiao.exports import export_bytes

    _approve_all(review_store, "extraction_error")
    files = export_bytes(review_store, headers="keys")
    csv = files["records.csv"]
    assert csv.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese correctly
    text = csv.decode("utf-8-sig")
    assert "微信公众号经费" in text and len(text.splitlines()) == 6
    wb = openpyxl.load_workbook(io.BytesIO(files["results.xlsx"]))
    assert wb.sheetnames == ["records", "indicators", "findings"]
    header = [c.value for c in wb["records"][1]]
    row = dict(zip(header, [c.value for c in wb["records"][2]], strict=True))
    assert row["funds_total_executed"] == 8 and row["review_status"] == "approved"
    assert wb["indicators"].max_row > 5


def test_golden_export_keeps_printed_values_and_lists_anomalies(
    review_store: Store, tmp_path: Path
) -> None:
    _approve_all(review_store, "form_error")
    with review_store.session() as s:
        approved, counts = service.approved_records(s)
    export = exports.golden_export(approved, counts)
    assert list(export.files) == ["sample-self-eval.golden.json"] and not export.skipped
    payload = export.files["sample-self-eval.golden.json"]
    assert payload["pdf"] == "sample-self-eval.pdf" and len(payload["records"]) == 5
    first = payload["records"][0]
    # FORMAT.md keys, in order, and nothing the extractor adds
    assert list(first) == [*exports.FORM_KEYS["self_evaluation"], "source_anomalies"]
    assert isinstance(first["year"], int)
    # a form_error correction exports the PRINTED value and becomes an anomaly
    assert first["funds"]["total"]["executed"] == "100%"
    assert any("printed '100%'" in a and "reviewer wang" in a for a in first["source_anomalies"])
    assert any(a.startswith("R9: ") for a in first["source_anomalies"])
    written = exports.write_golden(export, tmp_path / "golden")
    assert [p.name for p in written] == ["sample-self-eval.golden.json"]
    assert (tmp_path / "golden" / "sample-self-eval.pdf").is_file()
    back = json.loads(written[0].read_text(encoding="utf-8"))
    assert back == payload
    # the evals read it as an answer key
    from evals import load_golden

    cases = load_golden(tmp_path / "golden", "digital")
    assert len(cases) == 1
    import zipfile

    z = zipfile.ZipFile(io.BytesIO(exports.golden_zip(export)))
    assert sorted(z.namelist()) == ["sample-self-eval.golden.json", "sample-self-eval.pdf"]


def test_golden_export_skips_a_document_not_fully_approved(review_store: Store) -> None:
    with review_store.session() as s:
        rid, v = next((r.id, r.version) for r in list_records(s))
    with review_store.session() as s:
        rv.approve(s, rid, reviewer="li", expected_version=v)
    with review_store.session() as s:
        approved, counts = service.approved_records(s)
    export = exports.golden_export(approved, counts)
    assert export.files == {} and export.skipped == {
        "sample-self-eval.pdf": "5 条记录中只有 1 条已通过"
    }


# ---------------------------------------------------------------- upload, actions, launch


def test_upload_is_saved_extracted_and_stored(review_store: Store, tmp_path: Path) -> None:
    from jixiao.settings import Settings

    settings = Settings(upload_dir=tmp_path / "up")
    steps: list[tuple[float, str]] = []
    out = service.extract_upload(
        review_store,
        "../evil/表 1.pdf",
        SAMPLE.read_bytes(),
        settings,
        lambda f, s: steps.append((f, s)),
    )
    assert out.status in ("ok", "partial") and out.n_records == 5
    assert out.path.parent == tmp_path / "up" and out.path.name.endswith("-表_1.pdf")
    assert ".." not in out.path.name and out.path.read_bytes() == SAMPLE.read_bytes()
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0
    with review_store.session() as s:
        assert len(list_records(s)) == 5  # same PDF content: one record set
    before = sorted((tmp_path / "up").iterdir())
    bad = service.extract_upload(review_store, "notes.pdf", b"hello, not a pdf", settings)
    assert bad.status == "failed" and bad.errors == ["不是 PDF 文件"] and bad.n_records == 0
    empty = service.extract_upload(review_store, "empty.pdf", b"", settings)
    assert empty.status == "failed" and "0 字节" in empty.errors[0]
    broken = service.extract_upload(review_store, "broken.pdf", b"%PDF-1.7 cut", settings)
    assert broken.status == "failed" and broken.path is None
    assert not any("/" in e for e in broken.errors)  # no server path in the message
    with review_store.session() as s:
        doc = s.get(rv.Document, broken.document_id)
        assert doc is not None and doc.status == "failed"
    assert sorted((tmp_path / "up").iterdir()) == before  # failed uploads are not kept


def test_changed_fields_are_relative_to_what_the_reviewer_saw() -> None:
    seen = {"a": "91", "b": None, "c": "x", "d": "1"}
    inputs = {"a": " 91 ", "b": "", "c": "y", "d": ""}
    assert service.changed_fields(inputs, seen) == {"c": "y", "d": None}


def test_upload_of_a_reviewed_pdf_keeps_the_corrections(
    review_store: Store, tmp_path: Path
) -> None:
    from jixiao.settings import Settings

    with review_store.session() as s:
        rid, v = next((r.id, r.version) for r in list_records(s))
    with review_store.session() as s:
        rv.edit_record(s, rid, {"grade": "优"}, reviewer="wang", reason="other", expected_version=v)
    settings = Settings(upload_dir=tmp_path / "up")
    out = service.extract_upload(review_store, "again.pdf", SAMPLE.read_bytes(), settings)
    assert out.status == "duplicate" and out.n_records == 5 and "更正不会丢失" in out.errors[0]
    with review_store.session() as s:
        row = s.get(RecordRow, rid)
        assert row is not None and row.grade == "优" and row.version == v + 1


def test_a_reviewed_record_a_newer_extraction_differs_from_is_shown_first(
    review_store: Store, sample_result: DocumentResult
) -> None:
    from jixiao.store import save_result_report

    rid, v, data = _data(review_store)
    with review_store.session() as s:
        rv.approve(s, rid, reviewer="wang", expected_version=v)
    newer = sample_result.model_copy(deep=True, update={"extractor_version": "9.9.9"})
    newer.records[0].record.project_name.text = "新读法"
    with review_store.session() as s:
        assert save_result_report(s, newer, path=str(SAMPLE)).reviewed_kept == [0]
    with review_store.session() as s:
        items = service.queue_items(s)
        view = service.load_record(s, rid)
    assert items[0].record_id == rid and items[0].reextracted_differs  # first in the queue
    assert items[0].review_status == "approved" and items[0].label.startswith("⚠ 新提取结果不同")
    assert not any(it.reextracted_differs for it in items[1:])
    assert view is not None and view.reextraction is not None
    assert view.reextraction.differences == [("project_name", data["project_name"], "新读法")]
    assert view.reextraction.extractor_version == "9.9.9"
    assert "有 1 个字段不同" in view.reextraction.describe()
    assert view.data == data  # the record itself is as the clerk approved it


def test_safe_name() -> None:
    assert service.safe_name("../../etc/passwd") == "passwd.pdf"
    assert service.safe_name("C:\\tmp\\a b.PDF") == "a_b.pdf"
    long = service.safe_name("绩" * 80 + ".pdf")  # 240 bytes of UTF-8: cut, not refused
    assert long.endswith(".pdf") and len(long.encode()) <= service.NAME_MAX_BYTES + 4
    assert service.safe_name("绩效 自评表.pdf") == "绩效_自评表.pdf"
    assert service.safe_name("...") == "upload.pdf"


def test_service_actions_report_conflicts_as_messages(review_store: Store) -> None:
    with review_store.session() as s:
        rid, v = next((r.id, r.version) for r in list_records(s))
    ok = service.save_edits(
        review_store, rid, {"grade": "优"}, reviewer="wang", reason="other", expected_version=v
    )
    assert ok.ok and ok.version == v + 1 and "评分等级" in ok.message
    stale = service.decide(review_store, rid, "approve", reviewer="li", expected_version=v)
    assert not stale.ok and "wang 将 评分等级" in stale.message and "未保存" in stale.message
    with review_store.session() as s:
        assert s.get(RecordRow, rid).review_status == "needs_review"  # type: ignore[union-attr]
    bad = service.decide(review_store, rid, "reject", reviewer="li", expected_version=v + 1)
    assert not bad.ok and "备注" in bad.message
    with review_store.session() as s:
        view = service.load_record(s, rid)
    assert view is not None and view.item.version == v + 1
    assert view.field("grade") is not None and view.field("grade").status == "corrected"  # type: ignore[union-attr]
    assert [h.field for h in view.history] == ["grade"]


def test_launch_command_passes_the_store_url() -> None:
    argv = launch.streamlit_argv(8600)
    assert argv[:4] == [sys.executable, "-m", "ui.serve", "run"]
    assert Path(argv[4]).name == "app.py" and Path(argv[4]).is_file()
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    env = launch.app_env("sqlite:///x.db", base={"PATH": "/bin"})
    assert env["JIXIAO_DB_URL"] == "sqlite:///x.db" and env["PATH"] == "/bin"


def test_the_cli_finds_the_review_app_by_path_without_importing_ui() -> None:
    import subprocess

    code = (
        "import sys, jixiao.cli; from jixiao import review_launch as rl;"
        "argv = rl.streamlit_argv(8600); rl.app_env('sqlite:///x.db');"
        "print(argv[4]); print(sorted(m for m in sys.modules if m == 'ui' or m.startswith('ui.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    app, loaded = out.stdout.strip().splitlines()
    assert Path(app) == Path(__file__).resolve().parents[1] / "ui" / "app.py"
    assert loaded == "[]"


def test_cli_review_starts_streamlit_with_the_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from typer.testing import CliRunner

    from jixiao.cli import app

    calls: list[tuple[list[str], dict[str, str]]] = []

    class FakeProc:
        def __init__(self, argv: list[str], env: dict[str, str]) -> None:
            calls.append((argv, env))

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeProc)
    monkeypatch.setenv("JIXIAO_REVIEWERS_FILE", str(tmp_path / "none.json"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    res = CliRunner().invoke(app, ["review", "--db", url, "--port", "8611"])
    assert res.exit_code == 0, res.output
    ((argv, env),) = calls
    assert env["JIXIAO_DB_URL"] == url and "8611" in argv
    assert (tmp_path / "cli.db").is_file()  # store created and migrated before the app starts
    assert "add-reviewer" in res.output


def test_streamlit_is_not_imported_by_the_cli_or_the_logic() -> None:
    import subprocess

    code = (
        "import sys, jixiao.cli, ui.service, jixiao.golden_export, ui.fields, ui.images, jixiao.reviewers;"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
