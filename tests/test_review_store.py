"""Corrections, decisions, history and optimistic locking (jixiao/store/review.py,
migration 0002_review), on SQLite and, when JIXIAO_TEST_PG_URL is set, PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, update

from jixiao.store import RecordRow, Store, head_revisions, list_records, save_result
from jixiao.store import review as rv
from jixiao.store.engine import current_revisions, downgrade, upgrade
from schemas.results import DocumentResult

pytest_plugins = ["tests.review_helpers"]  # fixtures: review_store, sample_result
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample-self-eval.pdf"


def _first(store: Store) -> tuple[int, int]:
    """(id, version) of the record with most errors."""
    with store.session() as s:
        rows = list_records(s)
        row = max(rows, key=lambda r: (r.n_errors, -r.id))
        return row.id, row.version


def _row(store: Store, rid: int) -> RecordRow:
    with store.session() as s:
        row = s.get(RecordRow, rid)
        assert row is not None
        s.expunge(row)
        return row


def test_migration_0002_is_head_and_creates_review_tables(review_store: Store) -> None:
    from alembic.script import ScriptDirectory

    from jixiao.store.engine import alembic_config

    # 0002_review is in the chain (later revisions such as 0003_reextract build on it).
    script = ScriptDirectory.from_config(alembic_config())
    assert "0002_review" in {r.revision for r in script.walk_revisions()}
    assert current_revisions(review_store.engine) == head_revisions()
    names = set(inspect(review_store.engine).get_table_names())
    assert {"corrections", "review_events", "records", "documents"} <= names
    cols = {c["name"] for c in inspect(review_store.engine).get_columns("corrections")}
    assert {
        "record_id",
        "field",
        "old_value",
        "new_value",
        "reason_code",
        "reviewer",
        "at",
        "record_version_before",
    } <= cols


def test_0002_downgrades_and_upgrades_again(review_store: Store) -> None:
    downgrade(review_store.engine, "0001_core")
    assert "corrections" not in inspect(review_store.engine).get_table_names()
    upgrade(review_store.engine)
    assert "review_events" in inspect(review_store.engine).get_table_names()


def test_edit_changes_data_keeps_old_value_and_reruns_validators(review_store: Store) -> None:
    rid, v = _first(review_store)
    before = _row(review_store, rid)
    assert before.data["funds"]["total"]["executed"] == "100%"
    assert any(
        f["code"] == "R9" and f["field"] == "funds.total.executed" for f in before.data["findings"]
    )
    with review_store.session() as s:
        done = rv.edit_record(
            s,
            rid,
            {"funds.total.executed": " 8 ", "project_name": before.data["project_name"]},
            reviewer="wang",
            reason="extraction_error",
            expected_version=v,
        )
    assert [(c.field, c.old_value, c.new_value) for c in done] == [
        ("funds.total.executed", "100%", "8")
    ]
    after = _row(review_store, rid)
    assert after.version == v + 1
    assert after.review_status == "needs_review"
    assert after.data["funds"]["total"]["executed"] == "8"
    prov = after.data["provenance"]["funds.total.executed"]
    assert prov["source"] == "reviewer" and prov["reviewer"] == "wang"
    assert prov["cell_ids"] == before.data["provenance"]["funds.total.executed"]["cell_ids"]
    # R9 on that cell is gone; the validators ran again (R9 on the other row stays).
    fields_r9 = {f.get("field") for f in after.data["findings"] if f["code"] == "R9"}
    assert "funds.total.executed" not in fields_r9
    assert "funds.current_year.executed" in fields_r9
    assert after.n_errors < before.n_errors
    # the original extraction is still in the document's stored result
    with review_store.session() as s:
        c = s.scalars(select(rv.Correction).where(rv.Correction.record_id == rid)).one()
        assert (c.reviewer, c.reason_code, c.record_version_before) == (
            "wang",
            "extraction_error",
            v,
        )
        assert c.at is not None
        doc = s.get(rv.Document, after.document_id)
        assert doc is not None
        orig = doc.result["records"][after.ordinal]["record"]["funds"]["total"]["executed"]
        assert orig["text"] == "100%"


def test_editing_filter_columns_updates_them(review_store: Store) -> None:
    rid, v = _first(review_store)
    with review_store.session() as s:
        rv.edit_record(
            s,
            rid,
            {"grade": "优", "department": "某区工商联"},
            reviewer="li",
            reason="other",
            expected_version=v,
        )
    row = _row(review_store, rid)
    assert (row.grade, row.department) == ("优", "某区工商联")
    assert "MISSING_GRADE" not in row.finding_codes
    with review_store.session() as s:
        assert [r.id for r in list_records(s, grade="优")] == [rid]


def test_unchanged_values_write_nothing(review_store: Store) -> None:
    rid, v = _first(review_store)
    name = _row(review_store, rid).data["project_name"]
    with review_store.session() as s:
        assert (
            rv.edit_record(
                s, rid, {"project_name": name}, reviewer="wang", reason="other", expected_version=v
            )
            == []
        )
    assert _row(review_store, rid).version == v


@pytest.mark.parametrize(
    ("changes", "reason", "reviewer", "match"),
    [
        ({"no_such.field": "1"}, "other", "wang", "has no field no_such.field"),
        ({"grade": "优"}, "typo", "wang", "unknown reason code"),
        ({"grade": "优"}, "other", " ", "reviewer's name"),
    ],
)
def test_bad_edits_are_refused(
    review_store: Store, changes: dict[str, str], reason: str, reviewer: str, match: str
) -> None:
    rid, v = _first(review_store)
    with pytest.raises(rv.ReviewError, match=match), review_store.session() as s:
        rv.edit_record(s, rid, changes, reviewer=reviewer, reason=reason, expected_version=v)
    assert _row(review_store, rid).version == v


def test_approve_and_reject_with_note_and_history(review_store: Store) -> None:
    rid, v = _first(review_store)
    with review_store.session() as s:
        rv.edit_record(
            s, rid, {"grade": "优"}, reviewer="wang", reason="form_error", expected_version=v
        )
    with pytest.raises(rv.ReviewError, match="needs a note"), review_store.session() as s:
        rv.reject(s, rid, reviewer="li", expected_version=v + 1, note="  ")
    with review_store.session() as s:
        rv.reject(s, rid, reviewer="li", expected_version=v + 1, note="wrong table")
    with review_store.session() as s:
        rv.approve(s, rid, reviewer="wang", expected_version=v + 2, note="checked twice")
    row = _row(review_store, rid)
    assert row.review_status == "approved" and row.version == v + 3
    with review_store.session() as s:
        hist = rv.history(s, rid)
        last = rv.last_decision(s, rid)
    assert [(h.action, h.reviewer) for h in hist] == [
        ("correction", "wang"),
        ("reject", "li"),
        ("approve", "wang"),
    ]
    assert hist[0].field == "grade" and hist[0].old_value is None and hist[0].new_value == "优"
    assert hist[1].note == "wrong table"
    assert last is not None and last.action == "approve" and last.note == "checked twice"
    assert "li rejected: wrong table" in hist[1].describe()


def test_second_reviewer_gets_a_conflict_naming_who_changed_what(review_store: Store) -> None:
    """Both open version v; wang saves first; li's save is refused with wang's change named."""
    rid, v = _first(review_store)
    with review_store.session() as s:
        rv.edit_record(
            s, rid, {"total_score": "93"}, reviewer="wang", reason="ocr_error", expected_version=v
        )
    with pytest.raises(rv.ConflictError) as exc, review_store.session() as s:
        rv.edit_record(
            s, rid, {"total_score": "95"}, reviewer="li", reason="other", expected_version=v
        )
    msg = str(exc.value)
    assert "wang changed total_score from '91' to '93'" in msg
    assert "NOT saved" in msg and f"version {v}" in msg
    assert exc.value.current == v + 1
    row = _row(review_store, rid)
    assert row.data["total_score"] == "93"  # wang's edit kept, li's not applied
    with review_store.session() as s:
        assert [c.reviewer for c in rv.corrections_of(s, rid)] == ["wang"]
    # an approval on the stale version is refused too
    with pytest.raises(rv.ConflictError, match="wang changed"), review_store.session() as s:
        rv.approve(s, rid, reviewer="li", expected_version=v)
    # after reloading (the current version) li can save
    with review_store.session() as s:
        rv.edit_record(
            s, rid, {"total_score": "95"}, reviewer="li", reason="other", expected_version=v + 1
        )
    assert _row(review_store, rid).data["total_score"] == "95"


def test_race_past_the_check_is_caught_by_the_version_column(review_store: Store) -> None:
    """Another writer commits between our read and our UPDATE (possible on PostgreSQL):
    the UPDATE ... WHERE version = v matches nothing and the save is reported as a conflict."""
    rid, v = _first(review_store)
    real_load = rv._load

    def load_then_other_writer(session, record_id, expected_version):  # type: ignore[no-untyped-def]
        row = real_load(session, record_id, expected_version)
        session.execute(
            update(RecordRow.__table__)  # type: ignore[arg-type]
            .where(RecordRow.__table__.c.id == record_id)
            .values(version=expected_version + 1)
        )
        return row

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rv, "_load", load_then_other_writer)
        with pytest.raises(rv.ConflictError, match="NOT saved"), review_store.session() as s:
            rv.edit_record(
                s, rid, {"grade": "良"}, reviewer="li", reason="other", expected_version=v
            )
    row = _row(review_store, rid)
    assert row.grade is None and row.version == v  # rolled back: nothing written
    with review_store.session() as s:
        assert rv.corrections_of(s, rid) == []


def test_conflict_explained_after_a_lost_race(review_store: Store) -> None:
    rid, v = _first(review_store)
    with review_store.session() as s:
        rv.edit_record(s, rid, {"grade": "中"}, reviewer="wang", reason="other", expected_version=v)
    with review_store.session() as s:
        err = rv.explain(s, rv.ConflictError(rid, v, None, []))
    assert err.current == v + 1
    assert "wang changed grade from None to '中'" in str(err)


def test_history_survives_a_re_extraction(
    review_store: Store,
    sample_result: DocumentResult,
) -> None:
    rid, v = _first(review_store)
    with review_store.session() as s:
        rv.edit_record(s, rid, {"grade": "优"}, reviewer="wang", reason="other", expected_version=v)
    with review_store.session() as s:
        save_result(s, sample_result.model_copy(deep=True), path=str(SAMPLE))
    with review_store.session() as s:
        hist = rv.history(s, rid)
    assert [h.field for h in hist] == ["grade"]


def test_record_from_data_round_trips_provenance(review_store: Store) -> None:
    rid, _ = _first(review_store)
    data = _row(review_store, rid).data
    rec = rv.record_from_data(data)
    assert rec.project_name.text == data["project_name"]
    assert rec.project_name.prov is not None
    assert rec.project_name.prov.cell_ids == data["provenance"]["project_name"]["cell_ids"]
    assert rec.pages == data["pages"]
    assert rv.value_paths(data)[0] == "year"
    assert "indicators.0.score" in rv.value_paths(data)


def test_migration_0002_matches_the_review_models(review_store: Store) -> None:
    """No autogenerate diff between migration 0002_review and the Correction/ReviewEvent
    models (tables, columns, types, indexes, foreign keys)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from jixiao.store import Base

    mine = {"corrections", "review_events"}
    with review_store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)

    def tables(d: object) -> set[str]:
        found: set[str] = set()
        for item in d if isinstance(d, list) else [d]:
            for x in item[1:] if isinstance(item, tuple) else ():
                if isinstance(x, str):
                    found.add(x)
                name = getattr(x, "name", None)
                table = getattr(getattr(x, "table", None), "name", None)
                found.update(n for n in (name, table) if isinstance(n, str))
        return found

    assert [d for d in diffs if tables(d) & mine] == []
