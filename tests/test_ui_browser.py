"""Browser tests: the review app under ``jixiao review``'s command line (``ui.serve``), driven
by Debian's headless Chromium at 1600×1000 through /usr/bin/chromedriver (Selenium; nothing
is downloaded at run time).

The store holds the sample's five records and three synthetic forms (tests/pdfgen.py): a
clean one, one whose cells hold script, iframe, external image, form and style payloads, and
one printing 元 under a 万元 header. The tests check what a clerk sees: the record view
with the page image, the values and the actions on one screen (screenshot), payloads shown
as inert text, ``/media/…`` refused without a login, a reload that keeps the login, a clean
record approved and the next one opened with one key, a queue row opening its record.
Opt-in (``pytest -m browser``; CI runs them as their own step after installing chromium);
skipped with the reason when chromium, chromedriver or selenium is missing. Screenshots are
copied to ``$JIXIAO_SCREENSHOT_DIR`` when set (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extractor.pipeline import extract_document
from jixiao.review_launch import app_env, streamlit_argv
from jixiao.reviewers import add_reviewer
from jixiao.store import list_records, open_store, save_result
from tests.pdfgen import Indicator, SelfEval, build
from ui.images import HIGHLIGHT, count_color

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-self-eval.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FIELD = "funds.total.executed"
PAYLOADS = {
    "script": "<script>window.__xss=1</script>",
    "iframe": '<iframe/srcdoc="<script>parent.__xss=2</script>"/id="xssif"></iframe>',
    "img": '<img/src="http://evil.invalid/x.png"/onerror="window.__xss=3"/id="xssimg">',
    "form": '<form/id="xssform"><button>通过</button></form>',
    "style": "<style>body{display:none}/*xssstyle*/</style>",
}


@pytest.fixture(autouse=True)
def _requirements(request: pytest.FixtureRequest) -> None:
    if "browser" not in (request.config.getoption("-m") or ""):
        pytest.skip("browser test is opt-in: run `pytest -m browser` (a CI step of its own)")
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(
            "Debian chromium/chromium-driver not installed "
            "(apt-get install -y chromium chromium-driver)"
        )
    pytest.importorskip("selenium", reason="selenium not installed (pip install -e '.[dev]')")


def _funds(total: str, executed: str | None = None) -> dict[str, tuple[str, ...]]:
    ex = executed or total
    return {
        "total": (total, total, ex, "10", "100.00", "10"),
        "current_year": (total, total, ex, "-", "100.00", "-"),
        "carryover": ("0.00", "0.00", "0.00", "-", "0.00", "-"),
        "other": ("0.00", "0.00", "0.00", "-", "", "-"),
    }


def _form(name: str, names: list[str], funds: dict[str, tuple[str, ...]], **kw: Any) -> SelfEval:
    levels = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("效益指标", "社会效益指标")]
    levels.append(("满意度指标", "服务对象满意度指标"))
    weights = ["20", "20", "30", "20"]
    scores = kw.pop("scores", weights)
    inds = [
        Indicator(l1, l2, n, "100%", "100%", w, s)
        for (l1, l2), n, w, s in zip(levels, names, weights, scores, strict=True)
    ]
    base: dict[str, Any] = dict(
        year=2023,
        project_name=name,
        department="某区财政局",
        implementing_unit="某区财政局机关",
        funds=funds,
        goal_expected="完成年度工作任务。",
        goal_actual="已完成年度工作任务。",
        indicators=inds,
        total_weight="100",
        total_score="100",
        grade="优",
    )
    base.update(kw)
    return SelfEval(**base)


@dataclass
class App:
    url: str
    url_db: str
    worst: int  # the sample record with most errors
    worst_name: str
    clean: int
    xss: int
    yuan: int
    shots: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the app did not answer on {url} within {timeout:.0f} s")


def _store(tmp: Path) -> tuple[str, dict[str, int], int, str]:
    url_db = f"sqlite:///{tmp / 'review.db'}"
    pdf = tmp / "synthetic.pdf"
    clean_names = ["培训人次", "培训合格率", "企业经营能力提升", "参训人员满意度"]
    bad_names = [PAYLOADS[k] for k in ("iframe", "img", "form", "style")]
    build(
        [
            (_form("干净的项目", clean_names, _funds("39.46")), None),
            (
                _form(
                    PAYLOADS["script"],
                    bad_names,
                    _funds("39.46"),
                    scores=["18", "18", "30", "20"],
                    total_score="96",
                    goal_expected=PAYLOADS["style"],
                ),
                None,
            ),
            (_form("元误作万元的项目", clean_names, _funds("39.46", "394600.00")), None),
        ],
        pdf,
    )
    store = open_store(url_db)
    with store.session() as s:
        save_result(s, extract_document(SAMPLE), path=str(SAMPLE))
        save_result(s, extract_document(pdf), path=str(pdf))
    with store.session() as s:
        rows = list_records(s)
        worst = max((r for r in rows if r.document_id == 1), key=lambda r: (r.n_errors, -r.id))
        ids = {str(r.project_name): r.id for r in rows if r.document_id != 1}
        out = (url_db, ids, worst.id, str(worst.project_name))
    store.close()
    return out


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    tmp = tmp_path_factory.mktemp("review-app")
    url_db, ids, worst, worst_name = _store(tmp)
    reviewers = tmp / "reviewers.json"
    add_reviewer(reviewers, "wang", "wang-secret-1")
    env = app_env(url_db)
    env.update(JIXIAO_REVIEWERS_FILE=str(reviewers), HOME=str(tmp))
    port = _free_port()
    log = (tmp / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        streamlit_argv(port), env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield App(
            url=url,
            url_db=url_db,
            worst=worst,
            worst_name=worst_name,
            clean=ids["干净的项目"],
            xss=ids[PAYLOADS["script"]],
            yuan=ids["元误作万元的项目"],
            shots=tmp,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--lang=zh-CN",
    ):
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_window_rect(0, 0, 1600, 1000)
    # the viewport itself 1600×1000, whatever the window decorations take
    inner = d.execute_script("return [window.innerWidth, window.innerHeight]")
    d.set_window_rect(0, 0, 1600 + 1600 - inner[0], 1000 + 1000 - inner[1])
    yield d
    d.quit()


def _shot(d: Any, name: str) -> bytes:
    png: bytes = d.get_screenshot_as_png()
    out_dir = os.environ.get("JIXIAO_SCREENSHOT_DIR")
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / name).write_bytes(png)
    return png


def _wait(d: Any, cond: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(d, timeout).until(cond)


def _login(d: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    d.get(url)
    user = _wait(d, ec.element_to_be_clickable((By.CSS_SELECTOR, "input[type='text']")))
    user.send_keys("wang", Keys.TAB)
    pw = _wait(d, ec.element_to_be_clickable((By.CSS_SELECTOR, "input[type='password']")))
    pw.send_keys("wang-secret-1", Keys.ENTER)
    time.sleep(1.0)  # let the widget values reach the server before the click
    _wait(d, ec.element_to_be_clickable((By.XPATH, "//button[contains(., '登录')]"))).click()
    _wait(d, lambda x: "审核人：" in x.page_source)


def _record_ready(d: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    img = _wait(d, ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid='stImage'] img")))
    _wait(d, lambda x: x.execute_script("return arguments[0].naturalWidth > 0", img))
    _wait(d, lambda x: text in x.page_source)
    time.sleep(1.0)
    return img


def _in_view(d: Any, el: Any) -> bool:
    return bool(
        d.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight"
            " && r.right <= window.innerWidth;",
            el,
        )
    )


def test_record_view_fits_1600x1000_and_media_needs_a_login(app: App, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    _login(driver, f"{app.url}/?record={app.worst}&field={FIELD}")
    img = _record_ready(driver, "通过并下一条")
    approve = driver.find_element(By.XPATH, "//button[contains(., '通过并下一条')]")
    grid = driver.find_element(By.CSS_SELECTOR, "[data-testid='stDataFrame']")
    png = _shot(driver, "review-record-view.png")
    assert app.worst_name in driver.page_source
    for el in (img, approve, grid):  # page image, values and actions on one screen
        assert _in_view(driver, el), el.get_attribute("outerHTML")[:200]
    assert count_color(png, HIGHLIGHT, tol=40) > 200  # the field's cell, highlighted
    # the page image is served only to a logged-in browser
    src = img.get_attribute("src")
    assert "/media/" in src
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(src, timeout=10)
    assert refused.value.code == 403
    # a reload keeps the login and the open record
    driver.refresh()
    _wait(driver, lambda x: "审核人：" in x.page_source or 'type="password"' in x.page_source)
    time.sleep(1.0)
    assert not driver.find_elements(By.CSS_SELECTOR, "input[type='password']")
    _record_ready(driver, app.worst_name)  # back on the same record


def test_payloads_in_cells_are_inert(app: App, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    _login(driver, f"{app.url}/?record={app.xss}")
    _record_ready(driver, "通过并下一条")
    for tab in ("绩效指标", "目标"):  # show the tables that hold the payloads too
        driver.find_element(By.XPATH, f"//label[contains(., '{tab}')]").click()
        time.sleep(1.5)
    _shot(driver, "review-xss-inert.png")
    state = driver.execute_script(
        "return {xss: window.__xss === undefined ? null : window.__xss,"
        " iframe: !!document.querySelector('#xssif'),"
        " img: !!document.querySelector('#xssimg, img[src*=\"evil.invalid\"]'),"
        " form: !!document.querySelector('#xssform'),"
        " style: [...document.querySelectorAll('style')].some("
        "   s => s.textContent.includes('xssstyle')),"
        " hidden: getComputedStyle(document.body).display === 'none'};"
    )
    assert state == {
        "xss": None,
        "iframe": False,
        "img": False,
        "form": False,
        "style": False,
        "hidden": False,
    }
    # the payload is shown, as the characters it is made of
    text = driver.find_element(By.TAG_NAME, "body").text
    assert "<script>window.__xss=1</script>" in text


def test_clean_record_approved_with_one_key_and_a_queue_row_opens(app: App, driver: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _login(driver, f"{app.url}/?record={app.clean}")
    _record_ready(driver, "干净的项目")
    assert "0 个错误" in driver.page_source
    ActionChains(driver).key_down(Keys.ALT).send_keys("a").key_up(Keys.ALT).perform()
    _wait(driver, lambda x: f"记录 {app.clean} 已由 wang 通过" in x.page_source)
    _wait(driver, lambda x: f"记录 {app.clean} ·" not in x.page_source)  # the next one
    _shot(driver, "review-approved-next.png")
    # the queue: a click on a row opens that record
    driver.find_element(By.XPATH, "//label[contains(., '审核队列')]").click()
    grid = _wait(driver, lambda x: x.find_element(By.CSS_SELECTOR, "[data-testid='stDataFrame']"))
    time.sleep(1.5)
    canvas_rect = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top];", grid
    )
    assert canvas_rect
    ActionChains(driver).move_to_element_with_offset(
        grid, -grid.size["width"] // 2 + 15, -grid.size["height"] // 2 + 35 + 17
    ).click().perform()
    _record_ready(driver, "通过并下一条")
    _shot(driver, "review-queue-row-opened.png")


def _store_value(app: App, rid: int, path: str) -> Any:
    from jixiao.store import RecordRow
    from jixiao.store.review import get_value

    store = open_store(app.url_db)
    try:
        with store.session() as s:
            row = s.get(RecordRow, rid)
            return get_value(row.data, path) if row else None
    finally:
        store.close()


def test_one_value_correction_in_three_actions_and_unit_conversion(app: App, driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _login(driver, f"{app.url}/?record={app.worst}")
    _record_ready(driver, "通过并下一条")
    # the record opened on its first error, funds.total.executed ("100%" printed)
    box = driver.find_element(By.XPATH, "//input[@aria-label and contains(@aria-label, '更正')]")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("8", Keys.ENTER)  # 1: type the value
    time.sleep(1.5)
    driver.find_element(By.XPATH, "//button[contains(., '表格本身有误')]").click()  # 2: reason
    time.sleep(1.0)
    driver.find_element(By.XPATH, "//button[contains(., '保存并下一条')]").click()  # 3: save
    _wait(driver, lambda x: f"记录 {app.worst} ·" not in x.page_source)
    assert _store_value(app, app.worst, FIELD) == "8"
    _shot(driver, "review-corrected-next.png")
    # 元 under 万元: one action converts the row and its sub-row, with the recomputed figures
    driver.get(f"{app.url}/?record={app.yuan}")
    _record_ready(driver, "元误作万元的项目")
    driver.find_element(By.XPATH, "//button[contains(., '按万元换算')]").click()
    _wait(driver, lambda x: "确认换算并保存" in x.page_source)
    assert "执行率 39.46 ÷ 39.46 × 100 = 100.00%" in driver.find_element(By.TAG_NAME, "body").text
    _shot(driver, "review-unit-conversion.png")
    driver.find_element(By.XPATH, "//button[contains(., '确认换算并保存')]").click()
    _wait(driver, lambda x: "已保存" in x.page_source)
    assert _store_value(app, app.yuan, "funds.total.executed") == "39.46"
    assert _store_value(app, app.yuan, "funds.current_year.executed") == "39.46"


def test_a_cell_edited_in_the_table_is_saved_to_its_field(app: App, driver: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _login(driver, f"{app.url}/?record={app.xss}")
    _record_ready(driver, "通过并下一条")
    driver.find_element(By.XPATH, "//label[contains(., '基本信息')]").click()
    time.sleep(1.5)
    grid = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stDataFrame']")[-1]
    w, h = grid.size["width"], grid.size["height"]
    # the 值 cell of the first row (年度): header and rows are 35 px high
    ActionChains(driver).move_to_element_with_offset(
        grid, int(w * 0.45) - w // 2, 35 + 17 - h // 2
    ).click().perform()
    time.sleep(0.5)
    ActionChains(driver).send_keys("7").perform()  # typing opens the cell's editor
    time.sleep(0.5)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    time.sleep(1.5)
    driver.find_element(By.XPATH, "//button[contains(., '识别错误')]").click()
    time.sleep(1.0)
    driver.find_element(
        By.XPATH, "//button[contains(., '保存') and not(contains(., '并'))]"
    ).click()
    _wait(driver, lambda x: "已保存" in x.page_source)
    assert _store_value(app, app.xss, "year") == 7
