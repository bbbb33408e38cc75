"""Hybrid assist: labels the catalogue does not know, read by structure, similarity and
(for close calls) the model; synthetic forms whose every label is renamed."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from evals.renamed import RENAMES, known_synonyms
from extractor.llm.asker import Asker
from extractor.llm.assist import ask_unknown, could_be_label
from extractor.llm.cache import AnswerCache
from extractor.llm.unknown import LabelQuestion, content_hints, question, settle
from extractor.pipeline import extract_document
from jixiao import cli
from jixiao.model_client import build_client
from jixiao.settings import Settings
from schemas.document_errors import ErrorCode
from schemas.golden import to_golden
from tests.fake_llm import FakeModel, keys_of, options_of
from tests.pdfdraw import render
from tests.pdfgen import Style, expected, form_table
from tests.pdfrename import rename
from tests.synthetic_forms import SMALL, self_eval

KEY = {"pdf_sha256": "x", "pages": [1], "schema_version": "1"}


def _q(text: str, row: tuple[str, ...], scope: str = "s", **kw: Any) -> LabelQuestion:
    return question(text, list(row), {"self_evaluation"}, scope=scope, **kw)


def test_renamed_labels_are_unknown_to_the_catalogue() -> None:
    assert known_synonyms() == []
    assert len(set(RENAMES.values())) == len(RENAMES)


def test_labels_print_no_figures_and_taxonomy_terms_are_values() -> None:
    assert could_be_label("累计支出数")
    assert not could_be_label("指标1：微信公众号维护")  # a name with a figure
    assert not could_be_label("8万")
    assert not could_be_label("数量指标")  # a value of 二级指标
    assert not could_be_label("围绕年度重点任务，完成信息化系统运维、政策宣讲和企业走访等工作")


def test_labels_of_one_section_name_distinct_fields_in_printed_order() -> None:
    head = ("指标大类", "指标中类", "指标明细")
    qs = [_q(t, head, groups=("indicators",)) for t in head]
    got = [s.field for s in settle(qs)]
    assert got == ["level1", "level2", "indicator_name"]


def test_a_field_a_label_of_the_section_took_is_not_offered_again() -> None:
    row = ("项目资金", "期初安排数", "调整后安排数", "配分")
    qs = [_q(t, row, groups=("funds", "indicators")) for t in row[1:]]
    got = {s.question.text: s.field for s in settle(qs)}
    assert got["配分"] == "weight" and got["调整后安排数"] != "weight"
    assert got["期初安排数"] == "initial_budget"


def test_what_values_look_like_points_to_a_field() -> None:
    assert content_hints(["13812345678"]) == {"contact_phone": 0.25}
    assert set(content_hints(["上海市工商业联合会"])) == {"department", "implementing_unit"}
    assert set(content_hints(["2023-12-31"])) == {"plan_start", "plan_end"}
    assert content_hints(["王建国"]) == {"project_leader": 0.25}
    assert "execution_rate" in content_hints(["100%", "95%", "-"])
    # 承办机构 shares no character with 实施单位; its value, an organisation, decides, and
    # 主管部门 is taken by the label before it in the row.
    q = _q("承办机构", ("主管部门", "区民政局", "承办机构", "区养老中心"),
           groups=("header",), taken={"department"}, hints=content_hints(["区养老中心"]))  # fmt: skip
    assert settle([q])[0].field == "implementing_unit"


def test_a_text_like_no_field_is_no_label() -> None:
    q = _q("马瑞苹", ("牵头责任人", "马瑞苹"), groups=("header",))
    assert settle([q])[0].field is None


def _first_option_model() -> FakeModel:
    """A model that answers every label_options question with its first option."""
    return FakeModel(lambda body: {"t1": options_of(body)[0]})


def test_the_model_decides_only_close_calls(tmp_path: Path) -> None:
    fake = FakeModel(lambda body: {"t1": "total_row"})
    close = _q("合计分", ("合计分", "100", "91"), groups=("funds", "indicators"))
    clear = _q("累计支出数", ("项目资金", "期初安排数", "累计支出数"), scope="t",
               groups=("funds",))  # fmt: skip
    assert len(settle([close])[0].close) > 1 and len(settle([clear])[0].close) == 1
    asker = Asker(fake.client(), "m", cache=AnswerCache(tmp_path / "a.sqlite"))
    learned = ask_unknown(asker, [close, clear], KEY, None, [])
    by = {(lb.text, lb.source) for lb in learned}
    assert ("合计分", "model") in by and ("累计支出数", "inferred") in by
    assert [keys_of(b)["t1"] for b in fake.requests] == ["合计分"]
    again = Asker(fake.client(), "m", cache=AnswerCache(tmp_path / "a.sqlite"))
    ask_unknown(again, [close, clear], KEY, None, [])
    assert again.ledger.calls == 0 and again.ledger.cache_hits == 1


def _renamed_form(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    form = self_eval(3, SMALL, project_leader="王建国", contact_phone="13812345678")
    style = Style(leader_row=True)
    pdf = tmp_path / "renamed.pdf"
    render([rename(form_table(form, style), RENAMES)], pdf)
    return pdf, expected(form, style)


def test_hybrid_reads_a_form_whose_every_label_is_renamed(tmp_path: Path) -> None:
    pdf, want = _renamed_form(tmp_path)
    assert extract_document(pdf).records == []  # layout: no form start found
    result = extract_document(pdf, mode="hybrid", asker=Asker(_first_option_model().client(), "m"))
    assert len(result.records) == 1
    rr = result.records[0]
    assert not [f for f in rr.findings if f.code == "UNGROUNDED"]
    got = to_golden(rr.record, rr.findings, with_provenance=False)
    for k in ("project_name", "department", "implementing_unit", "project_leader",
              "contact_phone", "grade", "total_score"):  # fmt: skip
        assert got[k] == want[k], k
    assert got["funds"]["total"]["executed"] == want["funds"]["total"]["executed"]
    names = [i["name"] for i in got["indicators"]]
    assert names == [i["name"] for i in want["indicators"]]
    assert [i["score"] for i in got["indicators"]] == [i["score"] for i in want["indicators"]]
    assert rr.route == "hybrid" and rr.record.project_name.prov is not None
    assert rr.record.project_name.prov.label_match in ("inferred", "model")


# -- the model cites indicator cells where the mapper cannot follow the table -------------


def _headless_form(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A self-evaluation whose indicator header row prints nothing the catalogue knows."""
    form = self_eval(5, SMALL)
    blank = {f: "·" for f in ("level1", "level2", "name", "target", "actual", "weight", "score",
                              "deviation_reason")}  # fmt: skip
    style = Style(ind_headers=blank)
    pdf = tmp_path / "headless.pdf"
    render([form_table(form, style)], pdf)
    return pdf, expected(form, style)


def _cells_model(names: set[str], bad_first: bool = False) -> FakeModel:
    """Cites, for each listed row holding an indicator name, the name and the cells after
    it as target, actual, weight, score, deviation_reason (a first answer with an id that is
    not in the table when ``bad_first``)."""
    calls = {"n": 0}

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        user = str(next(m["content"] for m in body["messages"] if m["role"] == "user"))
        rows = []
        for line in user.splitlines():
            cells = [c.split("=", 1) for c in line.split(" | ") if "=" in c]
            ids = [i for i, t in cells]
            at = next((k for k, (_, t) in enumerate(cells) if t in names), None)
            if at is None:
                continue
            keys = ("name", "target", "actual", "weight", "score", "deviation_reason")
            rows.append(dict(zip(keys, ids[at:], strict=False)))
        if bad_first and calls["n"] == 1:
            rows[0]["name"] = "p9.t9.r9.c9"
        return {"indicators": rows}

    return FakeModel(reply)


def test_the_model_cites_indicator_cells_where_no_header_is_known(tmp_path: Path) -> None:
    pdf, want = _headless_form(tmp_path)
    layout = extract_document(pdf)
    assert layout.records[0].record.indicators == []
    names = {i["name"] for i in want["indicators"]}
    fake = _cells_model(names, bad_first=True)
    result = extract_document(pdf, mode="hybrid", asker=Asker(fake.client(), "m"))
    rr = result.records[0]
    got = to_golden(rr.record, rr.findings, with_provenance=False)["indicators"]
    assert [i["name"] for i in got] == [i["name"] for i in want["indicators"]]
    assert [i["target"] for i in got] == [i["target"] for i in want["indicators"]]
    assert [i["score"] for i in got] == [i["score"] for i in want["indicators"]]
    first = rr.record.indicators[0].name
    assert first.prov is not None and first.prov.source == "llm" and first.prov.cell_ids
    assert not [f for f in rr.findings if f.code == "UNGROUNDED"]
    assert result.llm is not None and result.llm.reasks == 1  # the unknown id went back
    assert rr.route == "hybrid"


# -- a model that cannot answer: the inferred labels still read, the failure is said -------


def _refusing_asker() -> Asker:
    def refuse(body: dict[str, Any]) -> Any:
        raise httpx2.ConnectError("[Errno 111] Connection refused")

    http = httpx2.Client(transport=httpx2.MockTransport(FakeModel(refuse).handler))
    client = build_client(Settings(), http_client=http, base_url="http://127.0.0.1:9/v1")
    return Asker(client, "m", url="http://127.0.0.1:9/v1", max_attempts=2, backoff_max_s=0.01)


def _model_ctx(make: Any) -> Any:
    @contextlib.contextmanager
    def model(settings: Settings, mode: cli.Mode) -> Iterator[Any]:
        yield (lambda: None) if mode is cli.Mode.layout else make

    return model


def test_a_refused_endpoint_in_hybrid_is_said_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every label with a rival field becomes a question (this form's labels are otherwise
    # all settled without one), so the model is needed and cannot answer.
    monkeypatch.setattr("extractor.llm.unknown.CLOSE", 1.0)
    pdf, _ = _renamed_form(tmp_path)
    result = extract_document(pdf, mode="hybrid", asker=_refusing_asker())
    assert result.llm is not None and result.llm.failed_questions >= 1
    assert {q.reason for q in result.llm.unanswered} <= {"refused", "not_asked"}
    assert any(
        e.code is ErrorCode.MODEL and "refused the connection" in e.message for e in result.errors
    )
    monkeypatch.setattr(cli, "_model", _model_ctx(_refusing_asker))
    out = tmp_path / "out.json"
    res = CliRunner().invoke(
        cli.app, ["extract", str(pdf), "--mode", "hybrid", "-q", "-o", str(out)]
    )
    assert res.exit_code == cli.EXIT_MODEL, res.output
    assert "refused the connection" in res.output
    golden = tmp_path / "golden"
    golden.mkdir()
    shutil.copy(pdf, golden / "renamed.pdf")
    (tmp_path / "again").mkdir()
    doc = {"pdf": "renamed.pdf", "records": [_renamed_form(tmp_path / "again")[1]]}
    (golden / "renamed.golden.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("JIXIAO_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(
        cli.app, ["eval", str(golden), "--compare", "--modes", "layout,hybrid", "--check", "-q"]
    )
    assert res.exit_code == 1 and "the model answered 0 of" in res.output, res.output
