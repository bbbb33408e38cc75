"""Reviewer logins: salted scrypt hashes in the file named by JIXIAO_REVIEWERS_FILE, and the
``jixiao review add-reviewer`` command that writes them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jixiao import reviewers as auth
from jixiao.cli import app
from schemas.errors import ConfigError


def test_hash_is_salted_and_verifies() -> None:
    a, b = auth.hash_password("correct horse"), auth.hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert "correct horse" not in a
    assert auth.verify_password("correct horse", a)
    assert auth.verify_password("correct horse", b)
    assert not auth.verify_password("correct hors", a)
    assert not auth.verify_password("correct horse", "scrypt$x$y")
    assert not auth.verify_password("correct horse", "plain")
    assert not auth.verify_password("correct horse", a.replace("scrypt", "md5", 1))


def test_file_holds_hashes_only_and_authenticates(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "reviewers.json"
    auth.add_reviewer(path, "wang", "pass-word-1")
    auth.add_reviewer(path, "li", "another-pw")
    text = path.read_text(encoding="utf-8")
    assert "pass-word-1" not in text and "another-pw" not in text
    assert set(json.loads(text)["reviewers"]) == {"wang", "li"}
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.authenticate(path, "wang", "pass-word-1")
    assert auth.authenticate(path, " li ", "another-pw")
    assert not auth.authenticate(path, "wang", "another-pw")
    assert not auth.authenticate(path, "zhao", "pass-word-1")
    auth.add_reviewer(path, "wang", "new-password")  # a new password replaces the old one
    assert not auth.authenticate(path, "wang", "pass-word-1")
    assert auth.authenticate(path, "wang", "new-password")
    assert auth.remove_reviewer(path, "li") and not auth.authenticate(path, "li", "another-pw")


def test_missing_file_means_no_reviewers(tmp_path: Path) -> None:
    assert auth.load_reviewers(tmp_path / "none.json") == {}
    assert not auth.authenticate(tmp_path / "none.json", "wang", "whatever1")


def test_broken_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "reviewers.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="JIXIAO_REVIEWERS_FILE"):
        auth.load_reviewers(path)


@pytest.mark.parametrize(
    ("name", "password", "match"),
    [("wang li", "long-enough", "reviewer name"), ("wang", "short", "too short")],
)
def test_bad_names_and_short_passwords_are_refused(
    tmp_path: Path, name: str, password: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        auth.add_reviewer(tmp_path / "r.json", name, password)


def test_cli_add_reviewer_prompts_and_writes_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reviewers.json"
    monkeypatch.setenv("JIXIAO_REVIEWERS_FILE", str(path))
    runner = CliRunner()
    res = runner.invoke(app, ["review", "add-reviewer", "zhao"], input="s3cret-pw\ns3cret-pw\n")
    assert res.exit_code == 0, res.output
    assert auth.authenticate(path, "zhao", "s3cret-pw")
    assert "s3cret-pw" not in path.read_text(encoding="utf-8")
    res = runner.invoke(
        app, ["review", "add-reviewer", "qian", "--password-stdin"], input="pw-from-stdin\n"
    )
    assert res.exit_code == 0, res.output
    assert auth.authenticate(path, "qian", "pw-from-stdin")


def test_cli_add_reviewer_refuses_a_short_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jixiao.cli import main

    monkeypatch.setenv("JIXIAO_REVIEWERS_FILE", str(tmp_path / "r.json"))
    monkeypatch.setattr(
        "sys.argv", ["jixiao", "review", "add-reviewer", "zhao", "--password-stdin"]
    )
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert auth.load_reviewers(tmp_path / "r.json") == {}
