"""Fixtures for the review-screen tests: a store holding the bundled sample's extraction
(5 self-evaluation records, each with error and warning findings) and a reviewers file.

Import the fixtures you use by name (``from tests.review_helpers import review_env``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from extractor.pipeline import extract_document
from jixiao.reviewers import add_reviewer
from jixiao.store import Store, open_store, save_result
from schemas.results import DocumentResult
from tests.store_backends import store_url  # noqa: F401  (fixture re-exported)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-self-eval.pdf"
PASSWORDS = {"wang": "wang-secret-1", "li": "li-secret-22"}


@pytest.fixture(scope="session")
def sample_result() -> DocumentResult:
    return extract_document(SAMPLE)


@pytest.fixture
def review_store(store_url: str, sample_result: DocumentResult) -> Iterator[Store]:  # noqa: F811
    store = open_store(store_url)
    with store.session() as s:
        save_result(s, sample_result.model_copy(deep=True), path=str(SAMPLE))
    yield store
    store.close()


@dataclass
class ReviewEnv:
    store: Store
    url: str
    reviewers: Path
    uploads: Path


@pytest.fixture(scope="session")
def reviewers_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reviewers") / "reviewers.json"
    for name, pw in PASSWORDS.items():
        add_reviewer(path, name, pw)
    return path


@pytest.fixture
def review_env(
    tmp_path: Path,
    sample_result: DocumentResult,
    reviewers_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ReviewEnv]:
    """A SQLite store with the sample, reviewers wang and li, settings pointed at them
    (login throttling and tokens start empty)."""
    from ui.sessions import THROTTLE, TOKENS

    THROTTLE.reset()
    TOKENS.reset()
    url = f"sqlite:///{tmp_path / 'review.db'}"
    store = open_store(url)
    with store.session() as s:
        save_result(s, sample_result.model_copy(deep=True), path=str(SAMPLE))
    uploads = tmp_path / "uploads"
    monkeypatch.setenv("JIXIAO_DB_URL", url)
    monkeypatch.setenv("JIXIAO_REVIEWERS_FILE", str(reviewers_path))
    monkeypatch.setenv("JIXIAO_UPLOAD_DIR", str(uploads))
    yield ReviewEnv(store=store, url=url, reviewers=reviewers_path, uploads=uploads)
    store.close()
