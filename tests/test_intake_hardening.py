"""Intake holds against careless and hostile inputs (issue 15, items 2–5 and 17).

Degenerate PDF pages, colliding output names, links out of a batch folder, pixel bombs
and CSV quoting: each is refused or handled with a reason, never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from flows.offline import expand_inputs, output_stems, page_names
from pipeline.config import DEFAULT_PAGE_MEMORY_MB, ProcessOptions, Settings
from pipeline.errors import BadInputError
from pipeline.imaging.io import (
    DOWNSCALED_FROM,
    image_dpi,
    list_page_files,
    load_page,
    pixel_budget,
    read_source,
    scan_folder,
)
from pipeline.intake.inventory import parse_inventory
from scanners.hotfolder import HotFolder, take
from schemas.models import BookMeta

ROOT = Path(__file__).resolve().parents[1]

META = BookMeta(book_type="khai_sinh", agency="A1", book="02/1994", year_from=1994, year_to=1994)
HEADER = "agency,book_type,book,years,estimated_pages\n"


# ---------------------------------------------------------------- inventory CSV (item 17)
def test_inventory_quoted_field_with_doubled_quotes_is_read_as_one_quote():
    text = (
        HEADER
        + '"UBND xã ""Tân An""",khai_sinh,"01/1994, quyển ""A""",1994,120\n'
        + 'UBND,ket_hon,02,1995-1996,"30"\n'
    )
    first, second = parse_inventory(text)
    assert first.agency == 'UBND xã "Tân An"' and first.book == '01/1994, quyển "A"'
    assert (second.book, second.year_to, second.estimated_pages) == ("02", 1996, 30)


def test_inventory_semicolon_with_quotes_and_line_breaks_in_a_field():
    text = (
        "\ufeffagency;book_type;book;years;estimated_pages\r\n"
        '"xã ""B""; huyện C";khai_sinh;"01\n(bản sao)";1994;5\r\n'
    )
    (row,) = parse_inventory(text)
    assert row.agency == 'xã "B"; huyện C' and row.book == "01\n(bản sao)"


def test_inventory_bad_rows_are_reported_by_line_number():
    text = HEADER + '"a\nb",khai_sinh,1,1994,3\n' + "\n" + "x,khai_sinh,2,19x4,3\n"
    with pytest.raises(BadInputError) as exc:
        parse_inventory(text)
    assert exc.value.reason == "bad_inventory" and "dòng 5:" in exc.value.message_vi
    with pytest.raises(BadInputError) as exc:
        parse_inventory(HEADER + "a,khai_sinh,1,1994,3\n" + 'b,khai_sinh,"2,1994,3\n')
    assert "dòng 3" in exc.value.message_vi and "ngoặc kép" in exc.value.message_vi
    with pytest.raises(BadInputError, match="dòng 2: có 6 cột"):
        parse_inventory(HEADER + "a,khai_sinh,1,1994,3,thừa\n")


# ---------------------------------------------------------------- PDF pages (item 2)
def _pdf(*sizes: tuple[float, float]) -> bytes:
    pdf = pikepdf.new()
    for size in sizes:
        pdf.add_blank_page(page_size=size)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_a_pdf_page_at_the_pdf_maximum_is_refused_and_its_neighbour_renders(tmp_path):
    path = tmp_path / "so.pdf"
    path.write_bytes(_pdf((14400, 14400), (595, 842)))  # 200 × 200 inches, then A4
    src, data = read_source(path)
    assert src.pages == 2
    with pytest.raises(BadInputError) as exc:
        load_page(data, "pdf", 0, name="so.pdf")
    assert exc.value.reason == "too_many_pixels" and "Trang 1 của PDF so.pdf" in str(exc.value)
    assert min(load_page(data, "pdf", 1, name="so.pdf").size) > 2400  # A4 at 300 dpi


def test_what_poppler_renders_is_checked_like_an_image():
    # with memory to spare the page passes the size check, but poppler draws it 1 × 1
    with pytest.raises(BadInputError) as exc:
        load_page(_pdf((14400, 14400)), "pdf", 0, memory_mb=1 << 20)
    assert exc.value.reason == "too_small" and exc.value.message_vi


@pytest.mark.parametrize(
    ("size", "reason"), [((14400, 3), "too_small"), ((14400, 100), "degenerate_page")]
)
def test_degenerate_pdf_pages_have_reasons(size, reason):
    with pytest.raises(BadInputError) as exc:
        load_page(_pdf(size), "pdf", 0, name="x.pdf")
    assert exc.value.reason == reason and "x.pdf" in exc.value.message_vi


def test_degenerate_images_have_reasons(tmp_path):
    path = tmp_path / "strip.png"
    Image.new("L", (4000, 40), 255).save(path)
    with pytest.raises(BadInputError) as exc:
        read_source(path)
    assert exc.value.reason == "degenerate_page"


def test_process_reports_a_bad_pdf_page_and_writes_the_good_one(tmp_path):
    pdf = tmp_path / "hai-trang.pdf"
    pdf.write_bytes(_pdf((14400, 14400), (300, 400)))
    run = _sohoa("process", str(pdf), "--out", str(tmp_path / "out"), home=tmp_path / "home")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "Trang 1 của PDF hai-trang.pdf quá lớn" in " ".join(run.stdout.split())
    names = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert names == ["hai-trang-p0002.json", "hai-trang.json"]  # the page read, the file's list
    whole = json.loads((tmp_path / "out" / "hai-trang.json").read_text(encoding="utf-8"))
    assert [p.get("error", "") != "" for p in whole["pages"]] == [True, False]
    assert "quá lớn" in whole["pages"][0]["error"] and whole["pages"][1]["document"] == 1


# ---------------------------------------------------------------- helpers
def _sohoa(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env={**os.environ, "SOHOA_HOME": str(home), "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _tiny_page(path: Path, shade: int = 0) -> Path:
    im = Image.new("L", (400, 300), 255)
    im.paste(shade, (40, 40 + shade // 4, 360, 70 + shade // 4))
    im.save(path, format="JPEG" if path.suffix == ".jpg" else "PNG")
    return path


# ---------------------------------------------------------------- output names (item 3)
@pytest.mark.tesseract
def test_process_keeps_inputs_of_the_same_stem_or_name_apart(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    inputs = [
        _tiny_page(tmp_path / "a.jpg", 0),
        _tiny_page(tmp_path / "a.png", 40),
        _tiny_page(tmp_path / "x" / "b.png", 80),
        _tiny_page(tmp_path / "y" / "b.png", 120),
        _tiny_page(tmp_path / "c.png", 160),
    ]
    out = tmp_path / "out"
    run = _sohoa("process", *map(str, inputs), "--out", str(out), home=tmp_path / "home")
    assert run.returncode == 0, run.stdout + run.stderr
    sources = {
        p.name: json.loads(p.read_text(encoding="utf-8"))["source"] for p in out.glob("*.json")
    }
    assert sources == {
        "a.jpg.json": str(inputs[0]),
        "a.png.json": str(inputs[1]),
        "x-b.png.json": str(inputs[2]),
        "y-b.png.json": str(inputs[3]),
        "c.json": str(inputs[4]),  # a stem of its own keeps <stem>.json
    }
    assert "Đã ghi 5 tệp JSON" in run.stdout


def test_output_stems_are_unique_and_do_not_depend_on_order():
    paths = [Path("/s/x/a.jpg"), Path("/s/y/a.jpg"), Path("/s/A.png"), Path("/s/b.tif")]
    stems = output_stems(paths)
    assert stems == ["x-a.jpg", "y-a.jpg", "A.png", "b"]
    assert output_stems(paths[::-1]) == stems[::-1]
    assert len({s.casefold() for s in output_stems([Path("a.jpg"), Path("A.JPG")])}) == 2


def test_a_last_resort_number_is_never_another_inputs_name():
    paths = [Path("/s/a.jpg"), Path("/s/A.jpg"), Path("/s/A.jpg-2.png")]
    stems = output_stems(paths)
    assert len({s.casefold() for s in stems}) == 3, stems
    assert stems[0] == "a.jpg" and stems[2] == "A.jpg-2"


def test_page_names_of_a_multi_page_file_never_meet_another_inputs_name():
    names = page_names(["scan", "scan-p0001", "scan-p0001-2"], [2, 1, 1])
    flat = [n.casefold() for row in names for n in row]
    assert len(set(flat)) == len(flat) == 4, names
    assert names[0] == ["scan-p0001", "scan-p0002"] and names[2] == ["scan-p0001-2"]
    assert names == page_names(["scan", "scan-p0001", "scan-p0001-2"], [2, 1, 1])  # always
    assert page_names(["a", "b"], [3, 1]) == [["a-p0001", "a-p0002", "a-p0003"], ["b"]]


def test_expand_inputs_counts_pages_only_where_names_could_meet(tmp_path):
    files = [_tiny_page(tmp_path / n) for n in ("scan.png", "scan-p0001.jpg", "other.png")]
    asked: list[str] = []

    def pages(path: Path) -> int:
        asked.append(path.name)
        return 2 if path.name == "scan.png" else 1

    jobs = expand_inputs(files, count_pages=pages)
    assert sorted(asked) == ["scan-p0001.jpg", "scan.png"]
    written = [j.page_name(i, n) for j, n in zip(jobs, (2, 1, 5), strict=True) for i in range(n)]
    assert len({w.casefold() for w in written}) == len(written) == 8, written
    assert written[:2] == ["scan-p0001", "scan-p0002"] and written[3] == "other-p0001"


def test_one_file_given_under_two_spellings_is_processed_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _tiny_page(tmp_path / "a.jpg")
    (tmp_path / "x").mkdir()
    skipped: list[str] = []
    jobs = expand_inputs(
        [Path("a.jpg"), Path("x/../a.jpg"), tmp_path / "a.jpg"],
        on_skip=lambda s: skipped.append(s.reason),
    )
    assert [(j.path, j.stem) for j in jobs] == [(Path("a.jpg"), "a")]
    assert skipped == ["duplicate", "duplicate"]


@pytest.mark.tesseract
def test_process_writes_a_json_per_page_when_a_page_name_is_another_file(tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(_pdf((300, 400), (300, 400)))
    single = _tiny_page(tmp_path / "scan-p0001.jpg")
    out = tmp_path / "out"
    run = _sohoa("process", str(pdf), str(single), "--out", str(out), home=tmp_path / "home")
    assert run.returncode == 0, run.stdout + run.stderr
    sources = {
        p.name: json.loads(p.read_text(encoding="utf-8"))["source"] for p in out.glob("*.json")
    }
    assert sources == {
        "scan-p0001.json": f"{pdf}#page=1",
        "scan-p0002.json": f"{pdf}#page=2",
        "scan-p0001-2.json": str(single),
        "scan.json": str(pdf),  # the two-page file's documents and page list
    }


# ---------------------------------------------------------------- folder listing (item 4)
@pytest.fixture
def messy(tmp_path) -> Path:
    """A batch folder with a page, a link inside and every kind of entry to leave out."""
    secret = tmp_path / "outside" / "secret.jpg"
    secret.parent.mkdir()
    secret.write_bytes(b"\xff\xd8\xff" + b"not yours" * 10)
    folder = tmp_path / "batch"
    folder.mkdir()
    _tiny_page(folder / "a.png")
    (folder / "b.png").symlink_to("a.png")  # a link that stays inside: read
    (folder / "c.jpg").symlink_to(secret)  # leaves the folder: refused
    (folder / "d.jpg").symlink_to("../outside/secret.jpg")
    (folder / "e.jpg").symlink_to("/proc/self/environ")
    (folder / "f.png").symlink_to("missing.png")  # broken
    for name in (".an.png", "~$g.png", "h.tmp", "Thumbs.db", "i.json"):
        (folder / name).write_bytes(b"x")
    (folder / "sub").mkdir()
    return folder


def test_scan_folder_refuses_links_out_and_says_why_each_entry_is_left_out(messy):
    scan = scan_folder(messy)
    assert [p.name for p in scan.files] == ["a.png", "b.png"]
    reasons = {s.name: s.reason for s in scan.skipped}
    assert reasons == {
        ".an.png": "hidden",
        "Thumbs.db": "system",
        "c.jpg": "link_outside",
        "d.jpg": "link_outside",
        "e.jpg": "link_outside",
        "f.png": "not_a_file",
        "h.tmp": "temporary",
        "i.json": "not_a_page",
        "sub": "folder",
        "~$g.png": "temporary",
    }
    assert all(s.message_vi for s in scan.skipped)
    assert {s.name for s in scan.skipped if s.refused} == {"c.jpg", "d.jpg", "e.jpg"}
    # the listing batch registration uses no longer leads out of the folder either
    assert [p.name for p in list_page_files(messy)] == ["a.png", "b.png"]


def test_process_on_a_folder_names_every_entry_it_leaves_out(messy, tmp_path):
    seen: list[str] = []
    jobs = expand_inputs([messy], on_skip=lambda s: seen.append(s.name))
    assert [j.path.name for j in jobs] == ["a.png"]  # b.png links to it: one file, read once
    assert len(seen) == 11 and seen[-1] == "b.png"
    for name in ("a.png", "b.png"):
        (messy / name).unlink()
    run = _sohoa("process", str(messy), "--out", str(tmp_path / "out"), home=tmp_path / "home")
    assert run.returncode == 2  # nothing left to process
    said = " ".join(run.stderr.split())
    assert "e.jpg: liên kết trỏ ra ngoài thư mục" in said
    assert ".an.png: tệp ẩn" in said and "h.tmp: tệp tạm" in said


def test_hot_folder_fails_links_out_unopened_and_reports_hidden_files(tmp_path):
    inbox, outside = tmp_path / "inbox", tmp_path / "outside.png"
    (inbox / "quyen").mkdir(parents=True)
    _tiny_page(outside)
    (inbox / "ra-ngoai.png").symlink_to(outside)
    (inbox / "quyen" / "env.png").symlink_to("/proc/self/environ")
    (inbox / ".dang-chep.png").write_bytes(b"partial")
    hot = HotFolder(inbox, settle=0.0, default_meta=META)
    found = list(hot.acquire())
    assert {(d.path.name, d.group, d.meta) for d in found} == {
        ("env.png", "refused", None),
        ("ra-ngoai.png", "refused", None),
    }
    assert {(s.name, s.reason) for s in hot.skipped} == {(".dang-chep.png", "hidden")}

    def ingest(folder: Path, meta: BookMeta) -> dict[str, str | None]:
        raise AssertionError("nothing refused may be ingested")

    report = take(hot, found, batches=tmp_path / "batches", ingest=ingest)
    assert (report.failed, report.done) == (2, 0)
    failed = inbox / "failed"
    assert (failed / "ra-ngoai.png").is_symlink() and outside.exists()
    reason = (failed / "quyen" / "env.png.reason.txt").read_text(encoding="utf-8")
    assert "liên kết trỏ ra ngoài thư mục" in reason
    assert not (tmp_path / "batches").exists()


# ---------------------------------------------------------------- pixel budget (item 5)
def _encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _claimed_png(width: int, height: int) -> bytes:
    """A few bytes of PNG whose header claims ``width`` × ``height`` gray pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_page_memory_is_a_setting_passed_down_in_the_process_options(monkeypatch):
    assert ProcessOptions().page_memory_mb == Settings().page_memory_mb == DEFAULT_PAGE_MEMORY_MB
    monkeypatch.setenv("SOHOA_PAGE_MEMORY_MB", "2048")
    assert ProcessOptions.from_settings(Settings()).page_memory_mb == 2048


def test_a3_at_600_dpi_in_colour_is_processed_at_full_size():
    page = Image.new("RGB", (7016, 9921), (250, 248, 240))
    page.paste((20, 20, 20), (700, 900, 6300, 1000))
    data = _encoded(page, "JPEG", quality=80, dpi=(600, 600))
    del page
    im = load_page(data, "jpeg", 0)
    assert im.size == (7016, 9921) and DOWNSCALED_FROM not in im.info
    assert image_dpi(im) == 600


def test_a_jpeg_above_the_budget_is_reduced_by_the_decoder_and_says_so():
    data = _encoded(Image.new("RGB", (3000, 2000), "white"), "JPEG", dpi=(600, 600))
    im = load_page(data, "jpeg", 0, memory_mb=16)  # budget 1.7 MP: half size fits
    assert im.width * im.height <= pixel_budget(16).pixels and im.size == (1500, 1000)
    assert im.info[DOWNSCALED_FROM] == (3000, 2000)
    assert image_dpi(im) == pytest.approx(300)


def test_a_png_above_the_budget_is_reduced_only_when_decoding_it_fits():
    gray = _encoded(Image.new("L", (3000, 2000), 255), "PNG")  # 6 MB to decode
    im = load_page(gray, "png", 0, memory_mb=16)
    assert im.width * im.height <= pixel_budget(16).pixels
    assert im.info[DOWNSCALED_FROM] == (3000, 2000)
    colour = _encoded(Image.new("RGB", (3000, 2000), "white"), "PNG")  # 18 MB to decode
    with pytest.raises(BadInputError) as exc:
        load_page(colour, "png", 0, memory_mb=16)
    assert exc.value.reason == "too_many_pixels" and "SOHOA_PAGE_MEMORY_MB" in str(exc.value)


@pytest.mark.parametrize("size", [(20_000, 20_000), (40_000, 40_000)])
def test_a_header_beyond_the_limit_is_refused_before_decoding(size):
    data = _claimed_png(*size)
    with pytest.raises(BadInputError) as exc:
        load_page(data, "png", 0)
    assert exc.value.reason == "too_many_pixels"


MEASURE = """
import resource, subprocess, sys
from PIL import Image, ImageDraw
page = Image.new("L", (14000, 14000), 255)
draw = ImageDraw.Draw(page)
for y in range(1400, 12600, 350):
    draw.rectangle((1400, y, 11200, y + 35), fill=0)
page.save(sys.argv[1], dpi=(600, 600))
del page, draw
cmd = [sys.executable, "-m", "flows.cli", "process", sys.argv[1], "--out", sys.argv[2]]
code = subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.tesseract
@pytest.mark.timeout(300)
def test_a_huge_sparse_png_is_processed_within_the_page_memory(tmp_path):
    """The PNG of issue 15 (14000 × 14000, a few hundred kB) took 1.5 GB to process."""
    png, out = tmp_path / "lon.png", tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(png), str(out)],
        cwd=ROOT,
        env={**os.environ, "SOHOA_HOME": str(tmp_path / "home"), "SOHOA_PAGE_MEMORY_MB": "512"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    code, peak_kb = map(int, run.stdout.split())
    assert code == 0, run.stderr
    assert png.stat().st_size < 1_000_000
    assert peak_kb < (512 + 300) * 1024  # the page memory plus the interpreter's own
    quality = json.loads((out / "lon.json").read_text(encoding="utf-8"))["quality"]
    assert "downscaled" in quality["flags"] and quality["downscaled_from"] == [14000, 14000]


# ---------------------------------------------------------------- page memory everywhere
def _turned_page(path: Path, size: tuple[int, int] = (900, 600)) -> Path:
    """A gray page whose EXIF says: turn me 90° (orientation 6)."""
    im = Image.new("L", size, 255)
    im.paste(0, (40, 40, 400, 90))
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(path, exif=exif)  # (a TIFF's orientation Pillow applies itself while decoding)
    return path


def test_a_turned_page_is_reduced_before_it_is_turned(tmp_path, monkeypatch):
    src, data = read_source(_turned_page(tmp_path / "p.png"))  # PNG: no reduced decoding
    budget = pixel_budget(2)
    turned: list[int] = []
    real = Image.Image.transpose

    def spy(self, method):  # type: ignore[no-untyped-def]
        turned.append(self.width * self.height)
        return real(self, method)

    monkeypatch.setattr(Image.Image, "transpose", spy)
    im = load_page(data, src.kind, 0, name="p", memory_mb=2)
    assert turned and max(turned) <= budget.pixels  # no full-size turned copy
    assert im.height > im.width and im.info[DOWNSCALED_FROM] == (900, 600)
    assert im.width * im.height <= budget.pixels


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_turned_page_under_the_budget_is_as_before(tmp_path, suffix):
    from PIL import ImageChops, ImageOps

    path = _turned_page(tmp_path / f"p{suffix}")
    src, data = read_source(path)
    im = load_page(data, src.kind, 0, name="p")
    with Image.open(path) as original:
        expected = ImageOps.exif_transpose(original)
    assert im.size == expected.size == (600, 900) and DOWNSCALED_FROM not in im.info
    assert ImageChops.difference(im, expected.convert(im.mode)).getbbox() is None
    if "exif" in im.info:
        exif = Image.Exif()
        exif.load(im.info["exif"])
        assert 0x0112 not in exif


class _SpyLoad:
    """Records the page memory ``load_page`` is called with."""

    def __init__(self) -> None:
        self.memory: list[int] = []

    def __call__(self, *args, memory_mb: int = DEFAULT_PAGE_MEMORY_MB, **kwargs):  # type: ignore[no-untyped-def]
        self.memory.append(memory_mb)
        return load_page(*args, memory_mb=memory_mb, **kwargs)


def test_the_hot_folder_reads_separators_with_its_page_memory(tmp_path, monkeypatch):
    import scanners.hotfolder as hotfolder

    spy = _SpyLoad()
    monkeypatch.setattr(hotfolder, "load_page", spy)
    _tiny_page(tmp_path / "a.png")
    hot = HotFolder(tmp_path, settle=0.0, clock=lambda: 0.0, page_memory_mb=300)
    for _ in range(3):
        list(hot.acquire())
    assert spy.memory and set(spy.memory) == {300}
    assert hotfolder.separator_in(tmp_path / "a.png", memory_mb=1) is None  # reduced, read


def test_archive_pdfs_decode_masters_with_the_page_memory():
    import pipeline.archive.pdfout as pdfout

    buf = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buf, format="PNG")
    im = pdfout.master_page(buf.getvalue(), 0, name="a.png", memory_mb=1)
    assert im.info[DOWNSCALED_FROM] == (400, 300)  # the batch stage saw the same reduced page
    assert DOWNSCALED_FROM not in pdfout.master_page(buf.getvalue(), 0).info


def test_book_checks_hash_pages_with_the_page_memory(tmp_path, monkeypatch):
    import pipeline.intake.bookcheck as bookcheck

    spy = _SpyLoad()
    monkeypatch.setattr(bookcheck, "load_page", spy)
    _tiny_page(tmp_path / "a.png")

    class _Rows:
        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *_exc: object) -> None:
            return None

        def execute(self, _query: object):  # type: ignore[no-untyped-def]
            return self

        def all(self) -> list[tuple]:
            return [(1, "a.png", 0, "sha-a", "processed")]

    hashes = bookcheck.page_hashes(_Rows, 7, tmp_path, memory_mb=300)  # type: ignore[arg-type]
    assert spy.memory == [300] and hashes[0][1]
