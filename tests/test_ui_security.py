"""Review screen safety without a browser: text made inert, login throttling, tokens, the
media route behind the login, store-relative defaults, and the 元-under-万元 conversion."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from jixiao.review_launch import review_settings
from jixiao.settings import Settings
from ui.sessions import COOKIE, Throttle, Tokens
from ui.text import md


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<iframe srcdoc="<script>x</script>">',
        "![x](http://evil.invalid/x.png)",
        "[点我](javascript:alert(1))",
        ":red[红] $x^2$ **粗** `code`",
        "<style>body{display:none}</style>",
        "&lt;script&gt;",
    ],
)
def test_md_leaves_no_markup(payload: str) -> None:
    out = md(payload)
    assert "<" not in out and ">" not in out
    for ch in "[]()!*`$:":
        assert ch not in out.replace("\\" + ch, "")  # every such character escaped
    assert md(None) == "" and md("a\x00b\nc") == "ab c"


def test_throttle_grows_then_locks_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    t = Throttle(clock=lambda: now[0])
    delays = []
    for _ in range(9):
        t.failed("Wang")
        delays.append(t.wait_s("wang"))
        now[0] += delays[-1]
    assert delays[:2] == [0.0, 0.0] and delays[2:] == sorted(delays[2:]) and delays[-1] > 10
    assert not t.is_locked("wang")
    t.failed("wang")
    assert t.is_locked("wang") and t.wait_s("wang") == t.lock_s
    assert "locked" in caplog.text and "'wang'" in caplog.text
    now[0] += t.lock_s
    assert t.wait_s("wang") == 0 and not t.is_locked("wang")
    t.failed("li")
    t.succeeded("li")
    assert t.wait_s("li") == 0


def test_tokens_expire_and_revoke() -> None:
    now = [0.0]
    tokens = Tokens(ttl_s=10, clock=lambda: now[0])
    a = tokens.issue("wang")
    assert tokens.reviewer(a) == "wang" and tokens.reviewer("forged") is None
    tokens.revoke(a)
    assert tokens.reviewer(a) is None
    b = tokens.issue("wang")
    now[0] = 11
    assert tokens.reviewer(b) is None


def _call(app: Any, cookie: str | None) -> int:
    sent: list[dict[str, Any]] = []

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    headers = [(b"cookie", cookie.encode())] if cookie else []
    scope = {"type": "http", "method": "GET", "path": "/media/x.png", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])


def test_media_route_needs_a_live_login_token() -> None:
    from ui.serve import guard, install
    from ui.sessions import TOKENS

    async def media(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"png"})

    app = guard(media)
    assert _call(app, None) == 403
    assert _call(app, f"{COOKIE}=forged") == 403
    token = TOKENS.issue("wang")
    try:
        assert _call(app, f"other=1; {COOKIE}={token}") == 200
    finally:
        TOKENS.revoke(token)
    assert _call(app, f"{COOKIE}={token}") == 403
    # installed on Streamlit's own media routes
    install()
    from streamlit.web.server.starlette import starlette_app

    routes = starlette_app.create_media_routes(None, None)
    assert all(r.app.__name__ == "guarded" for r in routes)  # type: ignore[attr-defined]


def test_reviewers_file_and_uploads_sit_next_to_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIXIAO_REVIEWERS_FILE", raising=False)
    monkeypatch.delenv("JIXIAO_UPLOAD_DIR", raising=False)
    s = review_settings(Settings(db_url=f"sqlite:///{tmp_path / 'db' / 'j.db'}"))
    assert s.reviewers_file == tmp_path / "db" / "reviewers.json"
    assert s.upload_dir == tmp_path / "db" / "uploads"
    monkeypatch.setenv("JIXIAO_REVIEWERS_FILE", str(tmp_path / "r.json"))
    s = review_settings(Settings(db_url=f"sqlite:///{tmp_path / 'j.db'}"))
    assert s.reviewers_file == tmp_path / "r.json"  # an explicit setting wins


def test_unit_conversion_takes_the_row_and_its_sub_rows(tmp_path: Path) -> None:
    from extractor.pipeline import extract_document
    from jixiao.output import render
    from tests.pdfgen import Indicator, SelfEval, build
    from ui.corrections import preview, unit_conversion

    def row(total: str, ex: str, w: str = "-") -> tuple[str, ...]:
        return (total, total, ex, w, "100.00", w)

    form = SelfEval(
        year=2023,
        project_name="元误作万元",
        department="某区财政局",
        implementing_unit="某区财政局机关",
        funds={
            "total": ("39.46", "39.46", "394600.00", "10", "100.00", "10"),
            "current_year": row("30.00", "300000.00"),
            "carryover": row("9.46", "94600.00"),
            "other": ("0.00", "0.00", "0.00", "-", "", "-"),
        },
        goal_expected="完成年度工作任务。",
        goal_actual="已完成年度工作任务。",
        indicators=[
            Indicator("产出指标", "数量指标", "培训人次", "100%", "100%", "45", "45"),
            Indicator("效益指标", "社会效益指标", "能力提升", "100%", "100%", "45", "45"),
        ],
        total_score="100",
        grade="优",
    )
    pdf = tmp_path / "yuan.pdf"
    build([(form, None)], pdf)
    data = render(extract_document(pdf), "golden")["records"][0]
    changes = unit_conversion(data)
    assert changes == {
        "funds.total.executed": "39.46",
        "funds.current_year.executed": "30.00",
        "funds.carryover.executed": "9.46",
    }
    pv = preview(data, changes, None)
    assert pv.n_errors_before >= 3 and pv.n_errors_after == 0
    assert pv.figures[0].startswith("年度资金总额：执行率 39.46 ÷ 39.46 × 100 = 100.00%")
    assert "得分 10 × 100.00% = 10.00" in pv.figures[0]
    assert unit_conversion({"findings": []}) == {}


def test_store_url_password_is_masked() -> None:
    from schemas.sanitise import mask_url

    shown = mask_url("postgresql+psycopg://user:s3cret-pw@db.example/jx")
    assert "s3cret-pw" not in shown and "user" in shown and "db.example" in shown
