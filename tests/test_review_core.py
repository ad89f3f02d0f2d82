"""Framework-free parts of review and dashboard: previews, inventory, secrets, versions, pace."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from PIL import Image

from pipeline.config import Settings, web_secret
from pipeline.db.models import Page, RecordRow
from pipeline.errors import BadInputError, ConfigError
from pipeline.imaging.previews import make_preview
from pipeline.intake.inventory import import_inventory, parse_inventory
from pipeline.phases import load_plan
from pipeline.review.accounts import add_user, authenticate, hash_password, verify_password
from pipeline.review.approve import approve_record, versioned_key
from pipeline.review.dashboard import PhaseProgress, build_dashboard, project_finish
from pipeline.review.queue import QueueFilter, acquire_lock, next_record, queue_page
from pipeline.work import batch as stages
from tests.fakes import MemoryStore
from tests.test_batch import _meta, _result, ctx, folder  # noqa: F401 - fixtures
from tests.ui_fixtures import add_users, make_sessions, seed


def test_preview_is_downscaled_with_its_scale():
    data, scale = make_preview(Image.new("L", (4000, 2000), 255))
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG" and im.size == (1600, 800) and scale == pytest.approx(0.4)
    _, same = make_preview(Image.new("L", (800, 600), 255))
    assert same == 1.0


def test_store_outputs_stores_a_preview_of_the_cleaned_page(ctx, folder):  # noqa: F811
    bid = stages.open_batch(ctx.sessions, _meta(), folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    pid = stages.pending_pages(ctx.sessions, bid)[0]
    stages.store_master(ctx, pid)
    path = _result(ctx.work_dir / "p", "1994-05-02")
    Image.new("L", (3200, 2400), 255).save(path.with_name("00001_00001_3_clean.png"))
    stages.store_outputs(ctx, pid, path)
    with ctx.sessions() as s:
        page = s.get_one(Page, pid)
        assert page.preview_key == "phase-5/A1/khai_sinh/02-1994/previews/p00001.png"
        assert page.preview_scale == pytest.approx(0.5)
    assert Image.open(io.BytesIO(ctx.store.get_bytes(page.preview_key))).size == (1600, 1200)


def test_passwords_are_argon2_and_checked(tmp_path):
    h = hash_password("mật khẩu dài đủ")
    assert h.startswith("$argon2id$") and verify_password(h, "mật khẩu dài đủ")
    assert not verify_password(h, "khac") and not verify_password(None, "x")
    sessions = make_sessions(tmp_path)
    with pytest.raises(Exception, match="ít nhất 10"):
        add_user(sessions, "an", "clerk", "ngan")
    with pytest.raises(Exception, match="Vai trò"):
        add_user(sessions, "an", "boss", "mat-khau-dai-du")
    uid = add_user(sessions, "an", "clerk", "mat-khau-dai-du")
    assert authenticate(sessions, "an", "mat-khau-dai-du") == uid
    assert authenticate(sessions, "an", "sai-mat-khau") is None


def test_web_secret_is_required_outside_development(tmp_path):
    with pytest.raises(ConfigError):
        web_secret(Settings(home=tmp_path, env="production"))
    with pytest.raises(ConfigError):
        web_secret(Settings(home=tmp_path, env="production", secret_key="changeme"))
    assert web_secret(Settings(home=tmp_path, env="production", secret_key="s" * 40)) == "s" * 40
    dev = web_secret(Settings(home=tmp_path, env="development"))
    assert len(dev) >= 32 and web_secret(Settings(home=tmp_path, env="development")) == dev
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_inventory_csv_is_checked_and_upserted(tmp_path):
    text = (
        "\ufeffagency;book_type;book;years;estimated_pages\n"
        "001.02.03;khai_sinh;02/1994;1994;200\n"
        "001.02.03;ket_hon;01/2008-2009;2008-2009;150\n"
    )
    rows = parse_inventory(text)
    assert [(r.book, r.year_from, r.year_to) for r in rows] == [
        ("02/1994", 1994, 1994),
        ("01/2008-2009", 2008, 2009),
    ]
    sessions = make_sessions(tmp_path)
    assert import_inventory(sessions, load_plan(), rows).added == 2
    again = import_inventory(sessions, load_plan(), rows[:1])
    assert (again.added, again.updated) == (0, 1)
    with pytest.raises(BadInputError, match="dòng 2"):
        parse_inventory("agency,book_type,book,years,estimated_pages\nx,sach,1,1994,3\n")
    with pytest.raises(BadInputError, match="thiếu cột"):
        parse_inventory("agency,book\nx,1\n")


def test_versioned_key_never_reuses_a_version():
    assert versioned_key("a/records/p00001-e00.v1.json", 2) == "a/records/p00001-e00.v2.json"
    assert versioned_key("a/records/p00001-e00.v12.json", 13).endswith("e00.v13.json")


def test_queue_locks_and_a_refused_approval_leave_no_trace(tmp_path):
    sessions, store = make_sessions(tmp_path), MemoryStore()
    seeded = seed(sessions, store)
    other = add_users(sessions, {"clerk2": "clerk"})["clerk2"]
    items, total = queue_page(sessions, QueueFilter())
    assert total == 2 and [i.record_id for i in items] == [seeded.record_a, seeded.record_b]
    assert items[0].to_review == 2
    assert acquire_lock(sessions, seeded.record_a, other, minutes=15).ok
    me = seeded.users["clerk"]
    assert not acquire_lock(sessions, seeded.record_a, me, minutes=15).ok
    assert next_record(sessions, QueueFilter(), me) == seeded.record_b
    refused = approve_record(sessions, store, seeded.record_a, me, {}, set())
    assert not refused.ok and "người khác" in refused.message
    puts = store.puts
    invalid = approve_record(sessions, store, seeded.record_b, me, {"ho_ten": "X"}, set())
    assert not invalid.ok and "ho_ten" in invalid.errors and store.puts == puts
    ok = approve_record(sessions, store, seeded.record_b, me, {}, set())
    assert ok.ok and ok.changed == [] and ok.object_key.endswith("e01.v2.json")
    assert json.loads(store.get_bytes(ok.object_key))["approved"]["changed_fields"] == []


def test_projected_finish_follows_the_pace_of_the_slower_step():
    p = PhaseProgress("", "", "", "phase-2", deadline=date(2025, 12, 31))
    p.inventory_pages, p.scanned_pages, p.extracted_pages = 1000, 400, 400
    p.records_to_review, p.pages_per_day, p.approvals_per_day = 100, 10.0, 50.0
    assert project_finish(p, date(2025, 1, 1)) == date(2025, 3, 2)  # 600 pages at 10 a day
    assert p.on_time is None  # not computed yet on this object
    p.projected_finish = project_finish(p, date(2025, 1, 1))
    assert p.on_time is True
    p.pages_per_day = 0.0
    assert project_finish(p, date(2025, 1, 1)) is None


def test_dashboard_counts_inventory_scans_and_backlog(tmp_path):
    sessions, store = make_sessions(tmp_path), MemoryStore()
    seed(sessions, store)
    rows = parse_inventory(
        "agency,book_type,book,years,estimated_pages\n001.02.03,khai_sinh,02/1994,1994,4\n"
    )
    import_inventory(sessions, load_plan(), rows)
    data = build_dashboard(sessions, load_plan())
    p5 = next(p for p in data.phases if p.phase == "phase-5")
    assert (p5.inventory_books, p5.inventory_pages, p5.scanned_pages) == (1, 4, 1)
    assert (p5.extracted_pages, p5.done_pages, p5.fields_to_review) == (1, 0, 3)
    assert p5.rate == 0.0 and p5.oldest_review is not None
    assert len(data.days) == 30 and data.books[0].book == "02/1994"


def test_the_audit_trail_is_append_only(tmp_path):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    from pipeline.db.models import ReviewEvent

    sessions, store = make_sessions(tmp_path), MemoryStore()
    seeded = seed(sessions, store)
    me = seeded.users["clerk"]
    assert approve_record(
        sessions, store, seeded.record_a, me, {"ho_ten": "Nguyễn Văn An"}, {"dan_toc"}
    ).ok
    with pytest.raises(DatabaseError, match="append-only"), sessions.begin() as s:
        s.execute(update(ReviewEvent).values(new_value="khác"))
    with pytest.raises(DatabaseError, match="append-only"), sessions.begin() as s:
        s.execute(delete(ReviewEvent))


def test_suggestions_never_drop_words_or_change_the_case_style():
    from pipeline.review.suggest import keeps_reading, suggestions

    place = "Bệnh viện đa khoa huyện Quỳnh Lưu, tỉnh Nghệ An"
    assert all(len(s.split()) >= len(place.split()) for s in suggestions("noi_sinh", place))
    assert not keeps_reading(place, "huyện Quỳnh Lưu, tỉnh Nghệ An")
    assert not keeps_reading("Lâm Minh Vy", "Lâm MINH VY")
    assert suggestions("ho_ten", "NGUYN VĂN AN")[0] == "NGUYỄN VĂN AN"  # capitals kept
    assert suggestions("ho_ten", "Nguyn Văn An")[0] == "Nguyễn Văn An"


def test_short_dates_a_clerk_types_are_read_as_the_page_means_them() -> None:
    from pipeline.review.keying import full_year, keyed_date

    assert keyed_date("21101994", None) == "21/10/1994"
    assert keyed_date("211094", 1994) == "21/10/1994"
    assert keyed_date("3/4/98", 2001) == "03/04/1998"  # a birth before the registration
    assert keyed_date("1/2/65", 1994) == "01/02/1965"
    assert keyed_date("21 10 1994", None) == "21/10/1994"
    assert keyed_date("Nguyễn Văn A", 1994) == "Nguyễn Văn A"  # not a date: unchanged
    assert full_year(95, 1994) == 1995 and full_year(96, 1994) == 1896  # born before 1995
    assert keyed_date("2/1/96", 1994, nearest=True) == "02/01/1996"  # a book over 1994-1996


def test_each_suggestion_says_why_it_is_offered() -> None:
    from pipeline.review.suggest import explained

    (name, why), *_ = explained("ho_ten", "Nguyn Văn An")
    assert name == "Nguyễn Văn An" and "danh sách họ" in why and "Nguyn" in why
    place = explained("noi_sinh", "xã Tân Lập, huyện Đan Phượng, Hà Tây")
    assert place and "danh mục hành chính" in place[0][1]
    assert explained("dan_toc", "Meo")[0] == ("HMông", "tên chính thức trong danh mục")


def test_a_real_commune_name_is_never_swapped_for_another() -> None:
    # Quỳnh Hưng (Quỳnh Lưu, Nghệ An) was merged away before the January 2025 list; the
    # earlier GSO lists (data/wards_former.csv) know it: "Quỳnh Thắng" is never offered, the
    # place written in full is
    from pipeline.review.complete import old_units
    from pipeline.review.suggest import suggestions

    offered = suggestions("noi_cu_tru", "xã Quỳnh Hưng, huyện Quỳnh Lưu")
    assert offered == ["xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An"]
    assert "xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An" in old_units()
    # a commune merged away that no list holds is still never swapped for a listed one
    assert not any("Quỳnh Thắng" in v for v in suggestions("noi_sinh", "xã Quỳnh Hưng"))
    fixed = suggestions("noi_sinh", "xã Tân Lâp, huyện Đan Phượng, Hà Tây")  # a misreading
    assert fixed == ["xã Tân Lập, huyện Đan Phượng, tỉnh Hà Tây"]


def test_screens_name_phases_reasons_and_audited_dates_in_plain_words() -> None:
    from review_ui.render import phase_label, plain_reason, shown_value

    assert phase_label("phase-2") == "Giai đoạn 2"
    assert phase_label("ngoai-ke-hoach") == "Ngoài kế hoạch"
    assert plain_reason("nhãn @ho_ten (khớp 96%)") == "nhãn “Họ, chữ đệm, tên” (khớp 96 %)"
    assert shown_value("1994-03-05", "ngay_sinh") == "05/03/1994"
    assert shown_value("1994-03-05", "so") == "1994-03-05" and shown_value(None, "so") == ""


def test_the_inventory_may_name_each_agency(tmp_path):
    from pipeline.review.queue import agency_names

    sessions = make_sessions(tmp_path)
    rows = parse_inventory(
        "agency;agency_name;book_type;book;years;estimated_pages\n"
        "40.QUYNH-HUNG;UBND xã Quỳnh Hưng;khai_sinh;01/2018;2018;4\n"
        "89.PHU-THUAN;;khai_sinh;02/2009;2009;4\n"
    )
    assert [r.agency_name for r in rows] == ["UBND xã Quỳnh Hưng", ""]
    import_inventory(sessions, load_plan(), rows)
    import_inventory(
        sessions,
        load_plan(),
        parse_inventory(  # no name column: the name stays
            "agency,book_type,book,years,estimated_pages\n40.QUYNH-HUNG,khai_sinh,01/2018,2018,5\n"
        ),
    )
    assert agency_names(sessions) == {"40.QUYNH-HUNG": "UBND xã Quỳnh Hưng"}


def test_a_grid_page_is_approved_whole_or_not_at_all(tmp_path):
    """A flagged cell the validator completes on its own ("Meo" → "HMông", its value empty)
    is not looked at: the page is refused before any row is written — also when that cell
    is on the second row, after a first row that is ready."""
    from pipeline.db.models import FieldRow
    from pipeline.review.approve import looked_at
    from pipeline.review.grid import approve_grid, load_grid

    sessions, store = make_sessions(tmp_path), MemoryStore()
    seeded = seed(sessions, store)
    with sessions.begin() as s:  # the second entry's ethnic group: read "Meo", no value
        s.add(
            FieldRow(
                record_id=seeded.record_b, name="dan_toc", value=None, raw="Meo",
                confidence=0.3, bbox=[300, 1900, 300, 80], needs_review=True, provenance=[],
            )
        )  # fmt: skip
    me = add_users(sessions, {"clerk9": "clerk"})["clerk9"]
    view = load_grid(sessions, seeded.page_id, me)
    assert view is not None and view.editable == {seeded.record_a, seeded.record_b}
    seen = {seeded.record_a: {"ho_ten", "dan_toc"}, seeded.record_b: {"ho_ten"}}
    out = approve_grid(sessions, store, view, me, {}, {}, seen)
    assert not out.ok and out.approved == []
    assert set(out.errors[seeded.record_b]) == {"dan_toc"}
    with sessions() as s:
        statuses = {s.get_one(RecordRow, r).status for r in (seeded.record_a, seeded.record_b)}
    assert statuses == {"needs_review"}  # nothing written, not even the ready first row
    # typing over the reading is looking at it; typing the same reading is not
    rows = list(view.records[1].fields)  # FieldViews of the second entry (name, value, raw)
    assert "dan_toc" in looked_at(rows, {"dan_toc": "Kinh"}, set(), set())  # type: ignore[arg-type]
    assert "dan_toc" not in looked_at(rows, {"dan_toc": "Meo"}, set(), set())  # type: ignore[arg-type]
    seen[seeded.record_b] = {"ho_ten", "dan_toc"}
    out = approve_grid(sessions, store, view, me, {}, {}, seen)
    assert out.ok and sorted(out.approved) == sorted([seeded.record_a, seeded.record_b])
