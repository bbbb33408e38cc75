"""Browser test: the review app under ``streamlit run``, driven by Debian's headless Chromium
through /usr/bin/chromedriver (Selenium; nothing is downloaded at run time).

Starts the app on a free loopback port against a temporary SQLite store holding the
extraction of samples/sample-self-eval.pdf, logs in, opens the record view with a field
selected (``?record=ID&field=PATH``), saves a screenshot and checks that it renders: the
project name is on the page and the highlight colour of the field's source cell is in the
PNG. Opt-in (``pytest -m browser``; CI runs it as its own step after installing chromium);
skipped with the reason when chromium, chromedriver or selenium is missing. The screenshot
is also copied to ``$JIXIAO_SCREENSHOT_DIR`` when set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.pipeline import extract_document
from jixiao.store import list_records, open_store, save_result
from ui.auth import add_reviewer
from ui.images import HIGHLIGHT, count_color
from ui.launch import app_env, streamlit_argv

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-self-eval.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FIELD = "funds.total.executed"


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


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[tuple[str, int, str]]:
    """(url, record id, project name) of a running app on a store with the sample."""
    url_db = f"sqlite:///{tmp_path / 'review.db'}"
    store = open_store(url_db)
    with store.session() as s:
        save_result(s, extract_document(SAMPLE), path=str(SAMPLE))
    with store.session() as s:
        row = max(list_records(s), key=lambda r: (r.n_errors, -r.id))
        rid, name = row.id, str(row.project_name)
    store.close()
    reviewers = tmp_path / "reviewers.json"
    add_reviewer(reviewers, "wang", "wang-secret-1")
    env = app_env(url_db)
    env.update(
        JIXIAO_REVIEWERS_FILE=str(reviewers),
        JIXIAO_UPLOAD_DIR=str(tmp_path / "uploads"),
        HOME=str(tmp_path),  # streamlit writes ~/.streamlit
    )
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        streamlit_argv(port), env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url, rid, name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _driver(profile: Path):  # type: ignore[no-untyped-def]
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
        f"--user-data-dir={profile}",
        "--window-size=1600,1300",
        "--lang=zh-CN",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def test_record_view_renders_with_the_highlighted_cell(
    app_url: tuple[str, int, str], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    url, rid, name = app_url
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    driver = _driver(profile)
    shot = tmp_path / "review-record-view.png"
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(f"{url}/?record={rid}&field={FIELD}")
        user = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input[type='text']")))
        user.send_keys("wang", Keys.TAB)
        pw = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input[type='password']")))
        pw.send_keys("wang-secret-1", Keys.ENTER)
        time.sleep(1.0)  # let the widget values reach the server before the click
        button = wait.until(
            ec.element_to_be_clickable((By.XPATH, "//button[contains(., 'Log in')]"))
        )
        button.click()
        img = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid='stImage'] img"))
        )
        wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth > 0", img))
        wait.until(lambda d: name in d.page_source)
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", img)
        time.sleep(1.0)
        png = driver.get_screenshot_as_png()
        shot.write_bytes(png)
        page = driver.page_source
    finally:
        driver.quit()
    out_dir = os.environ.get("JIXIAO_SCREENSHOT_DIR")
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(out_dir) / shot.name)
    assert name in page
    assert FIELD in page  # the selected field's caption under the image
    assert count_color(png, HIGHLIGHT, tol=40) > 200, f"no highlight in {shot}"
