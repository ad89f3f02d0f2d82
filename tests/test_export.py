"""``sohoa export --format hotich`` from processed and approved pages (issue 19).

Real Tesseract, SQLite (migrations), SeaweedFS through the minio SDK: a register page is
processed by the batch stages, a clerk approves four of its five entries, the export's Excel
reads back with the template's header and one row per approved entry, equal to the approved
versions, and each PDF page is ≥ 200 dpi and ≤ 150 kB.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pikepdf
import pytest
from openpyxl import load_workbook

from pipeline.archive.export import export_hotich
from pipeline.archive.hotich import load_template
from pipeline.config import ProcessOptions
from pipeline.db.models import RecordRow
from pipeline.phases import load_plan
from pipeline.review.approve import approve_record
from pipeline.review.queue import load_record
from pipeline.work import batch as stages
from pipeline.work.joining import join_documents
from tests import s3_fixtures
from tests.test_batch import _meta
from tests.test_joining import letter_pages
from tests.ui_fixtures import add_users, make_sessions

pytestmark = [pytest.mark.s3, pytest.mark.tesseract, pytest.mark.timeout(600)]

XSD = Path(__file__).parent / "data" / "xsd"
s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store


def _pdf_pages(data: bytes) -> list[tuple[float, int]]:
    """(dpi of the page image, bytes of the file / pages) for each page of a PDF."""
    out = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
            (image,) = page.get_images().values()
            out.append((int(image.Width) / (width_pt / 72), len(data) // len(pdf.pages)))
    return out


def _ingest(ctx: stages.Context, meta, folder: Path) -> int:  # type: ignore[no-untyped-def]
    """The batch stages over a folder, then the documents joined; the batch id."""
    bid = stages.open_batch(ctx.sessions, meta, folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    for pid in stages.pending_pages(ctx.sessions, bid):
        stages.store_master(ctx, pid)
        stages.store_outputs(ctx, pid, stages.process_page(ctx, pid))
    join_documents(ctx, bid)
    return bid


@pytest.fixture
def approved_book(tmp_path: Path, s3_store):  # type: ignore[no-untyped-def]
    from bench.corpus.synth import render_register_page
    from ocr.tesseract import TesseractEngine

    sessions = make_sessions(tmp_path)
    ctx = stages.Context(
        sessions, s3_store, load_plan(), ProcessOptions(), tmp_path / "w", TesseractEngine()
    )
    folder = tmp_path / "in"
    folder.mkdir()
    img, _ = render_register_page(7, dpi=300, reg_year=1998, n_entries=5)
    img.convert("RGB").save(folder / "trang-01.png", dpi=(300, 300))
    # one book per test: the module's S3 bucket is shared
    book = f"01/1998-{abs(hash(tmp_path.name)) % 10**6}"
    meta = _meta(book_type="khai_sinh", book=book, year_from=1998, year_to=1998)
    bid = _ingest(ctx, meta, folder)
    clerk = add_users(sessions, {"clerk1": "clerk"})["clerk1"]
    with sessions() as s:
        ids = list(s.scalars(RecordRow.__table__.select().with_only_columns(RecordRow.id)))
    assert len(ids) == 5
    for rid in ids[:4]:  # the clerk approves four entries; the fifth waits
        view = load_record(sessions, rid)
        assert view is not None
        typed = {f.name: f.display for f in view.fields}
        assert approve_record(sessions, s3_store, rid, clerk, typed, set(typed)).ok
    return sessions, s3_store, ctx.plan, bid, ids


def test_the_hotich_package_holds_one_row_and_one_pdf_per_approved_registration(
    approved_book, tmp_path: Path
) -> None:
    sessions, store, plan, bid, ids = approved_book
    done = export_hotich(sessions, store, plan, str(bid), tmp_path / "out")
    assert (done.rows, done.pdfs, done.left_out) == (4, 4, 1)

    ws = load_workbook(done.excel)["khai_sinh"]
    header = [c.value for c in ws[1]]
    assert header == [c.name for c in load_template().books["khai_sinh"]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert len(rows) == 4
    with sessions() as s:
        keys = [s.get_one(RecordRow, rid).object_key for rid in ids[:4]]
    for row, key in zip(rows, keys, strict=True):  # round trip: the approved versions' values
        assert key.endswith(".v2.json")
        approved = {k: v["value"] for k, v in json.loads(store.get_bytes(key))["fields"].items()}
        assert row["so"] == approved["so"] and row["nksHoTen"] == approved["ho_ten"]
        y, m, d = approved["ngay_dang_ky"].split("-")
        assert row["ngayDangKy"] == f"{d}/{m}/{y}"
        assert row["nksGioiTinh"] == {"Nam": 1, "Nữ": 2}[approved["gioi_tinh"]]
        assert row["meHoTen"] == approved["ho_ten_me"]

    with zipfile.ZipFile(done.package) as z:
        names = z.namelist()
        assert len(names) == 4 and all(n.endswith(".pdf") for n in names)
        for name in names:
            for dpi, size in _pdf_pages(z.read(name)):
                assert dpi >= 199.5 and size <= 150 * 1024, (name, dpi, size)

    manifest = json.loads(store.get_bytes(done.keys[-1]))
    for obj in manifest["objects"]:
        local = done.excel if obj["key"].endswith(".xlsx") else done.package
        assert store.stat(obj["key"]).sha256 == obj["sha256"]
        assert obj["size"] == local.stat().st_size
    assert "/export/hotich/" in done.keys[0]

    # sohoa verify checks the package against its manifest
    from pipeline.archive.verify import verify_store

    assert not [f for f in verify_store(sessions, store).findings if f.role == "export"]
    store.put_bytes(done.keys[0], b"not the workbook", content_type="application/octet-stream")
    found = [f for f in verify_store(sessions, store).findings if f.role == "export"]
    assert [(f.kind, f.key) for f in found] == [("mismatch", done.keys[0])]


def test_pending_records_are_exported_only_when_asked_and_marked(
    approved_book, tmp_path: Path
) -> None:
    sessions, store, plan, bid, _ids = approved_book
    done = export_hotich(sessions, store, plan, str(bid), tmp_path / "o", include_pending=True)
    ws = load_workbook(done.excel)["khai_sinh"]
    states = [r[-1].value for r in ws.iter_rows(min_row=2)]
    assert ws.cell(1, ws.max_column).value == "trangThaiSoHoa"
    assert sorted(states) == ["chưa duyệt", "đã duyệt", "đã duyệt", "đã duyệt", "đã duyệt"]


def _schema(path: Path):  # type: ignore[no-untyped-def]
    """An XSD with its xlink import served from tests/data/xsd (no network in tests)."""
    from lxml import etree

    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
            if url.endswith("xlink.xsd"):
                return self.resolve_filename(str(XSD / "xlink.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    return etree.XMLSchema(etree.parse(str(path), parser))


def test_a_letter_goes_to_the_archives_as_a_file_whose_xml_validates(
    tmp_path: Path, s3_store
) -> None:
    import metsrw
    from lxml import etree

    from ocr.tesseract import TesseractEngine
    from pipeline.archive.export_archive import export_archive

    sessions = make_sessions(tmp_path)
    ctx = stages.Context(
        sessions, s3_store, load_plan(), ProcessOptions(), tmp_path / "w", TesseractEngine()
    )
    folder, truth = letter_pages(tmp_path)
    year = int(truth["fields"]["ngay_ban_hanh"][:4])
    book = f"VB-{abs(hash(tmp_path.name)) % 10**6}"
    meta = _meta(book_type="tthc", book=book, year_from=year, year_to=year)
    bid = _ingest(ctx, meta, folder)
    clerk = add_users(sessions, {"clerk1": "clerk"})["clerk1"]
    with sessions() as s:
        (rid,) = s.scalars(RecordRow.__table__.select().with_only_columns(RecordRow.id))
    view = load_record(sessions, rid)
    assert view is not None
    typed = {f.name: f.display for f in view.fields}
    assert approve_record(sessions, s3_store, rid, clerk, typed, set(typed)).ok

    from pipeline.archive.export_archive import file_meta_for
    from pipeline.errors import BadInputError
    from pipeline.intake.inventory import import_inventory, parse_inventory

    with pytest.raises(BadInputError, match="mã phông"):
        file_meta_for(sessions, str(bid))
    csv = "agency,book_type,book,years,estimated_pages,phong,muc_luc\n"
    csv += f"A1,tthc,{book},{year},2,H32.10,3\n"
    import_inventory(sessions, ctx.plan, parse_inventory(csv))
    file_meta = file_meta_for(sessions, str(bid), file_code="HS-01", title="Văn bản đi")
    assert (file_meta.fonds, file_meta.catalog, file_meta.access) == ("H32.10", "3", "Hạn chế")
    done = export_archive(
        sessions, s3_store, ctx.plan, str(bid), tmp_path / "out", file_meta, pdfa=True
    )
    assert done.documents == 1 and done.objid.startswith("urn:H32.10:uuid:")

    ws = load_workbook(done.workbook)["VanBan"]
    row = {h.value: c.value for h, c in zip(ws[1], ws[2], strict=True)}
    approved = {
        k: v["value"]
        for k, v in json.loads(s3_store.get_bytes(view.object_key.replace(".v1.", ".v2.")))[
            "fields"
        ].items()
    }
    assert row["Tên loại văn bản"] == approved["loai_van_ban"]
    assert row["Trích yếu nội dung"] == approved["trich_yeu"]
    assert row["Số lượng trang của văn bản"] == 2  # the letter's two pages
    assert row["Mức độ tin cậy"] == "Số hóa"
    assert load_workbook(done.workbook)["HoSo"]["B2"].value == "H32.10"

    mets_xsd = _schema(Path(metsrw.__file__).parent / "resources" / "mets.xsd")
    ead_xsd = _schema(XSD / "ead.xsd")
    with zipfile.ZipFile(done.package) as z:
        names = {n.split("/", 1)[1]: n for n in z.namelist()}
        mets = etree.fromstring(z.read(names["METS.xml"]))
        assert mets_xsd.validate(mets), mets_xsd.error_log
        assert mets.get("OBJID") == done.objid
        ead = etree.fromstring(z.read(names["metadata/descriptive/ead.xml"]))
        assert ead_xsd.validate(ead), ead_xsd.error_log
        premis = etree.fromstring(z.read(names["metadata/preservation/premis.xml"]))
        premis_xsd = _schema(XSD / "premis.xsd")
        assert premis_xsd.validate(premis), premis_xsd.error_log
        ns = {"m": "http://www.loc.gov/METS/", "x": "http://www.w3.org/1999/xlink"}
        for f in mets.iterfind(".//m:file", ns):  # every file's SHA-256 is its content's
            href = f.find("m:FLocat", ns).get("{http://www.w3.org/1999/xlink}href")
            assert f.get("CHECKSUMTYPE") == "SHA-256"
            assert f.get("CHECKSUM") == hashlib.sha256(z.read(names[href])).hexdigest()
        digests = premis.findall(".//{http://www.loc.gov/premis/v3}messageDigest")
        assert len(digests) == 1  # the one document's PDF
        (pdf_name,) = [n for n in names if n.endswith(".pdf")]
        with pikepdf.open(io.BytesIO(z.read(names[pdf_name]))) as pdf:
            meta = pdf.open_metadata()
            assert meta.pdfa_status == "2B" and len(pdf.pages) == 2  # PDF/A, both pages
