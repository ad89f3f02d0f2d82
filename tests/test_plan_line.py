"""Approvals summed by Việt Nam day against the plan's line (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Batch, Page, RecordRow
from pipeline.phases import Phase
from pipeline.review.dashboard import PhaseProgress
from pipeline.review.plan_line import PlanCurve, approvals_by_day, plan_curve, target_records
from review_ui.charts import plan_svg
from tests import pg_fixtures

pg_url = pg_fixtures.pg_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    tables = ("fields", "records", "page_runs", "pages", "batches")
    return pg_fixtures.migrated_sessions(request, tmp_path / "p.db", tables)


def _book(s: Session, opened: datetime, approvals: list[datetime | None]) -> int:
    batch = Batch(
        agency="A",
        book_type="khai_sinh",
        book="1",
        year_from=2018,
        year_to=2018,
        source=f"/x/{opened:%Y%m%d%H}",
        created_at=opened,
    )
    s.add(batch)
    s.flush()
    sha = f"{batch.id:064d}"
    page = Page(batch_id=batch.id, seq=1, source_name="p.png", source_sha256=sha, phase="phase-2")
    s.add(page)
    s.flush()
    for i, when in enumerate(approvals):
        s.add(
            RecordRow(
                page_id=page.id,
                entry_index=i,
                schema_name="khai_sinh",
                schema_version="1",
                phase="phase-2",
                status="approved" if when else "needs_review",
                object_key=f"k/{batch.id}/{i}.v1.json",
                approved_at=when,
            )
        )
    return batch.id


def test_approvals_are_summed_by_the_day_in_viet_nam(sessions: sessionmaker[Session]) -> None:
    utc = [
        datetime(2025, 3, 1, 9, 0, tzinfo=UTC),  # 16:00 on 1 March in Việt Nam
        datetime(2025, 3, 1, 18, 30, tzinfo=UTC),  # 01:30 on 2 March in Việt Nam
        datetime(2025, 3, 2, 3, 0, tzinfo=UTC),
        None,  # not approved: not counted
        datetime(2025, 3, 5, 1, 0, tzinfo=UTC),
    ]
    with sessions.begin() as s:
        bid = _book(s, datetime(2025, 2, 27, 20, 0, tzinfo=UTC), utc)
        other = _book(s, datetime(2025, 1, 1, tzinfo=UTC), [datetime(2025, 3, 3, tzinfo=UTC)])
    with sessions() as s:
        points = approvals_by_day(s, [bid])
        assert points == [(date(2025, 3, 1), 1), (date(2025, 3, 2), 3), (date(2025, 3, 5), 4)]
        assert approvals_by_day(s, [bid, other])[-1] == (date(2025, 3, 5), 5)
        assert approvals_by_day(s, []) == []
        phase = Phase(2, "Giai đoạn 2", 2016, 2021, deadline=date(2025, 12, 31))
        progress = PhaseProgress("", "", "", "phase-2", records=5, extracted_pages=1)
        curve = plan_curve(s, phase, progress, [bid], date(2025, 6, 1))
    assert curve is not None
    assert curve.start == date(2025, 2, 28)  # the book was opened at 03:00 on 28 February
    assert curve.approved == 4 and curve.target == 5 and not curve.estimated


def _curve(**kw: object) -> PlanCurve:
    base: dict[str, object] = {
        "phase": "phase-2",
        "label": "Giai đoạn 2",
        "today": date(2025, 7, 2),
        "start": date(2025, 1, 1),
        "deadline": date(2025, 12, 31),
        "target": 3640,
        "estimated": True,
        "points": [(date(2025, 2, 1), 100), (date(2025, 6, 30), 1000)],
    }
    base.update(kw)
    return PlanCurve(**base)  # type: ignore[arg-type]


def test_the_plan_line_runs_from_the_start_to_every_record_at_the_deadline() -> None:
    curve = _curve()
    assert curve.planned(date(2025, 1, 1)) == 0
    assert curve.planned(date(2025, 7, 2)) == 1820  # half-way through the year
    assert curve.planned(date(2026, 3, 1)) == 3640
    assert curve.behind == 820 and curve.overdue_days == 0
    late = _curve(today=date(2026, 3, 1))
    assert late.overdue_days == 60 and late.behind == 2640
    assert _curve(today=date(2026, 3, 1), points=[(date(2025, 9, 1), 3640)]).overdue_days == 0
    assert _curve(deadline=None).planned(date(2025, 7, 2)) is None


def test_the_total_is_estimated_from_the_pages_still_to_read() -> None:
    p = PhaseProgress("", "", "", "phase-2", inventory_pages=1000, scanned_pages=300)
    p.extracted_pages, p.records = 200, 900
    assert target_records(p) == (4500, True)  # 4.5 records a page over the 1000 pages
    p.inventory_pages, p.scanned_pages = 0, 200
    assert target_records(p) == (900, False)


def test_the_chart_draws_both_lines_with_dates_as_vietnamese_write_them() -> None:
    svg = plan_svg(_curve(today=date(2026, 3, 1)))
    assert 'class="approved-line"' in svg and 'class="plan-line"' in svg
    assert "Hạn 31/12/2025" in svg and "Hôm nay 01/03/2026" in svg
    assert "3.640 hồ sơ đến 31/12/2025" in svg  # the plan's title, thousands with a dot
    assert "Bắt đầu 01/01/2025" in svg


def test_a_phase_begun_after_its_deadline_is_drawn_as_already_due() -> None:
    curve = _curve(start=date(2026, 11, 1), today=date(2026, 12, 7), points=[])
    assert curve.planned(curve.today) == 3640 and curve.overdue_days == 341
    svg = plan_svg(curve)
    assert "Hạn 31/12/2025" in svg and "Hôm nay 07/12/2026" in svg


def test_chart_labels_fit_large_totals_and_never_overlap() -> None:
    import re

    svg = plan_svg(_curve(target=4_000_000, points=[(date(2025, 6, 1), 1_250_000)]))
    (x,) = [float(m) for m in re.findall(r'<text x="([\d.]+)"[^>]*>4\.000\.000<', svg)]
    assert x - 6.5 * len("4.000.000") >= 0  # the axis label is not cut off on the left
    dated = re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)" class="tick" text-anchor="(\w+)">'
        r"([^<]+ \d\d/\d\d/\d{4})<",
        svg,
    )
    row = max(float(y) for _x, y, _a, _t in dated)  # the dates along the time axis
    bottom = [(x, a, t) for x, y, a, t in dated if float(y) == row]
    assert len(bottom) >= 2  # today and the start, at least
    spans = []
    for at, anchor, text in bottom:
        w = 6.5 * len(text)
        left = float(at) - {"start": 0, "middle": w / 2, "end": w}[anchor]
        spans.append((left, left + w))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
