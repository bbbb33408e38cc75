"""Hostile documents, one at a time (the default run): text layers mapped to lone
surrogates, NUL, private-use or control characters; a crash inside extraction; huge pages
and image floods; a non-numeric amount; secrets in messages. Inputs come from
``tests.hostile_gen`` (generated, nothing binary committed). The batch side is in
``test_hostile_batch.py``; the big generated suite in ``test_hostile.py`` (``-m hostile``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
import pytest

from extractor.checks.amounts import not_an_amount
from extractor.ingest.guards import garbled_text
from extractor.ingest.ocr import OcrLine, render_gray
from extractor.ingest.pdf import page_grid, render_png
from extractor.pipeline import extract_document
from jixiao.settings import Settings
from jixiao.store import list_records, open_store, save_result
from schemas.document_errors import ErrorCode
from schemas.errors import TooLargeError
from schemas.sanitise import display_path, mask_secrets, safe_text
from schemas.values import Value
from tests import hostile_gen as gen

REPO = Path(__file__).resolve().parents[1]
NO_OCR = Settings(ocr=False)


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in _strings(v)]
    return []


def _valid(result: Any) -> None:
    """Every string of the result encodes as UTF-8 and has no NUL (PostgreSQL)."""
    for s in _strings(result.model_dump(mode="python")):
        s.encode("utf-8")
        assert "\x00" not in s


# -- text layers -------------------------------------------------------------------------


def test_invalid_unicode_is_replaced_reported_and_storable(tmp_path: Path) -> None:
    pdf = gen.surrogate_pdf(tmp_path / "bad-map.pdf")
    result = extract_document(pdf, NO_OCR.extract_options())
    _valid(result)
    assert result.records, result.errors  # still read: the form is there
    assert result.status.value == "partial"
    assert any(
        e.code is ErrorCode.TEXT_REPAIRED and e.page == 1 and "invalid Unicode" in e.message
        for e in result.errors
    )
    result.model_dump_json()  # serialises (it raised UnicodeEncodeError before)
    with open_store(f"sqlite:///{tmp_path / 'j.db'}") as st, st.session() as s:
        save_result(s, result)
        assert list_records(s)


@pytest.mark.parametrize(
    ("make", "signal"),
    [(gen.no_tounicode_pdf, "control characters"), (gen.private_use_pdf, "private-use")],
    ids=["no-tounicode", "private-use"],
)
def test_garbled_text_layer_goes_to_ocr(make: Any, signal: str, tmp_path: Path) -> None:
    pdf = make(tmp_path / "garbled.pdf")
    result = extract_document(pdf, NO_OCR.extract_options())
    assert result.pages_needing_ocr == list(range(1, result.page_count + 1))
    assert any(e.code is ErrorCode.TEXT_GARBLED and signal in e.message for e in result.errors)
    assert not result.records

    calls: list[tuple[int, int]] = []

    def engine(image: np.ndarray) -> list[OcrLine]:
        calls.append(image.shape[:2])
        return []

    extract_document(pdf, Settings(ocr=True).extract_options(), ocr=engine)
    assert len(calls) == result.page_count  # every garbled page was handed to OCR


def test_garbled_text_signals() -> None:
    text = list("项目名称微信公众号经费主管部门通州区工商联") * 5
    assert garbled_text(text) is None
    assert garbled_text([*text[:95], "\x01", "\x02", "\x03", "\x04", "\x05"]) is not None
    assert garbled_text(text[:90] + ["\ue001"] * 10) is not None
    assert garbled_text(text[:94] + ["\ufffd"] * 6) is not None  # an unmapped CID run
    assert garbled_text([*text, "\x01", "\x02"]) is None  # two stray glyphs are not a page


def test_clean_pages_of_the_samples_are_not_garbled() -> None:
    for pdf in sorted((REPO / "samples").glob("*.pdf")):
        with pymupdf.open(pdf) as doc:
            for i, page in enumerate(doc):
                grid = page_grid(page, i + 1, NO_OCR.ingest_options())
                assert not grid.needs_ocr and not grid.errors


# -- one document never takes the others down --------------------------------------------


def test_any_exception_while_extracting_is_a_failed_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("extractor.pipeline.segment", boom)
    result = extract_document(REPO / "samples" / "sample-self-eval.pdf", NO_OCR.extract_options())
    assert result.status.value == "failed"
    assert len(result.errors) == 1 and "RecursionError" in result.errors[0].message
    assert result.errors[0].code is ErrorCode.FAILED and "\n" not in result.errors[0].message


def test_cli_extract_prints_every_file_even_when_one_crashes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from jixiao import cli

    real = extract_document

    def flaky(path: Any, *a: Any, **k: Any) -> Any:
        if "crash" in str(path):
            raise MemoryError("simulated")
        return real(path, *a, **k)

    monkeypatch.setattr("extractor.pipeline.extract_document", flaky)
    crash = tmp_path / "crash.pdf"
    crash.write_bytes((REPO / "samples" / "sample-self-eval.pdf").read_bytes())
    surrogate = gen.surrogate_pdf(tmp_path / "surrogate.pdf")
    good = REPO / "samples" / "sample-target-decl.pdf"
    res = CliRunner().invoke(cli.app, ["extract", str(crash), str(surrogate), str(good), "-q"])
    assert res.exit_code == 1  # one failed
    docs = json.loads(res.stdout)
    assert [d["status"] for d in docs] == ["failed", "partial", "ok"]
    assert "MemoryError" in docs[0]["errors"][0]["message"]


def test_cli_extract_of_a_surrogate_pdf_writes_json(tmp_path: Path) -> None:
    surrogate = gen.surrogate_pdf(tmp_path / "s.pdf")
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao.cli", "extract", str(surrogate), "-q"],
        cwd=REPO,
        capture_output=True,
        env={"PYTHONPATH": str(REPO), "JIXIAO_OCR": "false", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    assert json.loads(proc.stdout.decode("utf-8"))["status"] == "partial"


# -- resource limits ---------------------------------------------------------------------


def test_a_huge_page_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    for text in (False, True):
        pdf = gen.huge_page_pdf(tmp_path / f"huge-{text}.pdf", text=text)
        result = extract_document(pdf, Settings().extract_options())  # OCR on: nothing is rendered
        assert result.status.value == "skipped"
        assert any(
            e.code is ErrorCode.PAGE_REFUSED and "JIXIAO_MAX_PAGE_PT" in e.message
            for e in result.errors
        )
        with pytest.raises(TooLargeError, match="JIXIAO_MAX_PAGE_PT"):
            render_png(pdf, 1, 150, Settings().ingest_options())


def test_renders_stay_within_the_pixel_budget(tmp_path: Path) -> None:
    pdf = gen.huge_page_pdf(tmp_path / "huge.pdf", side=4000.0, text=True)
    settings = Settings(max_render_megapixels=2.0)
    with pymupdf.open(pdf) as doc:
        gray, scale = render_gray(doc[0], 300, settings.max_render_megapixels)
    assert gray.size <= 2_000_000
    assert scale == pytest.approx(gray.shape[1] / 4000.0)
    png = render_png(pdf, 1, 300, settings.ingest_options())
    with pymupdf.open(stream=png) as img:
        w, h = img[0].rect.width, img[0].rect.height
    assert w * h <= 2_000_000 and w > 1000  # scaled down, not refused


def test_a_page_flooded_with_images_is_refused(tmp_path: Path) -> None:
    pdf = gen.many_images_pdf(tmp_path / "imgs.pdf", n=120)
    result = extract_document(pdf, Settings(max_page_images=100).extract_options())
    assert any(
        e.code is ErrorCode.PAGE_REFUSED and "JIXIAO_MAX_PAGE_IMAGES" in e.message
        for e in result.errors
    )
    within = extract_document(pdf, Settings(max_page_images=200, ocr=False).extract_options())
    assert not any("JIXIAO_MAX_PAGE_IMAGES" in e.message for e in within.errors)


def test_a_page_of_vector_noise_is_refused(tmp_path: Path) -> None:
    pdf = gen.vector_noise_pdf(tmp_path / "noise.pdf", segments=30_000)
    result = extract_document(pdf, Settings(max_page_drawings=20_000, ocr=False).extract_options())
    assert any(
        e.code is ErrorCode.PAGE_REFUSED and "JIXIAO_MAX_PAGE_DRAWINGS" in e.message
        for e in result.errors
    )


# -- NON_NUMERIC -------------------------------------------------------------------------


def test_non_numeric_executed_amount_is_an_error_finding(tmp_path: Path) -> None:
    pdf = gen.non_numeric_pdf(tmp_path / "nn.pdf")
    result = extract_document(pdf, NO_OCR.extract_options())
    (rec,) = result.records
    found = [f for f in rec.findings if f.code == "NON_NUMERIC"]
    assert [(f.field, f.severity.value, f.printed) for f in found] == [
        ("funds.total.executed", "error", "八万元整abc")
    ]
    with open_store(f"sqlite:///{tmp_path / 'j.db'}") as st, st.session() as s:
        save_result(s, result)
        assert list_records(s)[0].review_status == "needs_review"


@pytest.mark.parametrize(
    ("text", "key_figure", "reported"),
    [
        ("八万元整abc", False, True),
        ("约十万", False, True),
        ("12,000.00", True, False),
        ("12.5万元", True, False),
        ("100%", True, False),  # R9's finding, not this one
        ("-", True, False),
        ("——", True, False),
        ("无", True, False),
        ("见附件", False, False),  # a remark in a sub-row
        ("见附件", True, True),  # but the total row's figures must be numbers
        ("abc", True, True),
        (None, True, False),
    ],
)
def test_not_an_amount(text: str | None, key_figure: bool, reported: bool) -> None:
    assert not_an_amount(Value(text=text), key_figure=key_figure) is reported


# -- text that can always be written -----------------------------------------------------


def test_secrets_are_masked_and_text_made_safe() -> None:
    url = "postgresql+psycopg://jixiao:s3cr%40t@db.example:5432/jixiao"
    assert mask_secrets(f"cannot open {url}") == (
        "cannot open postgresql+psycopg://jixiao:***@db.example:5432/jixiao"
    )
    assert mask_secrets("host=db password=hunter2 user=x") == "host=db password=*** user=x"
    assert mask_secrets("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert safe_text("a\udc01b\x00") == "a\ufffdb\ufffd"
    assert display_path("/a/\udcff.pdf") == "/a/\\xff.pdf"


def test_review_never_prints_the_database_password() -> None:
    url = "postgresql+psycopg://reviewer:s3cret-pw@127.0.0.1:9/jixiao"
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao.cli", "review", "--db", url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode != 0
    assert "s3cret-pw" not in proc.stderr + proc.stdout
    assert "***" in proc.stderr
