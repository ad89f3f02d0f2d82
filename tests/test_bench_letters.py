"""Multi-page Decree-30 documents (#18): the renderer's truth, the capture, the bench's scoring."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from bench import letters as bench
from bench.corpus import letter_scan
from bench.corpus.letters import COPY_MARKS, LAYOUTS, render_letter
from bench.real import norm
from pipeline.imaging.io import read_source

DPI = 100  # small pages: the truth does not depend on the resolution


def _digest(images: list[Image.Image]) -> str:
    h = hashlib.sha256()
    for im in images:
        h.update(im.mode.encode() + im.tobytes())
    return h.hexdigest()


def _text(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def _left_column(lines: list[str]) -> str:
    """Page 1's text with the motto taken out of the header lines it shares."""
    return _text([ln.replace(_MOTTO[0], "").replace(_MOTTO[1], "") for ln in lines])


def test_same_seed_same_pages_and_truth() -> None:
    a_img, a = render_letter(3101, dpi=DPI, pages=2)
    b_img, b = render_letter(3101, dpi=DPI, pages=2)
    assert a == b
    assert _digest(a_img) == _digest(b_img)
    assert render_letter(3102, dpi=DPI, pages=2)[1] != a


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_truth_is_what_the_pages_print(layout: str) -> None:
    images, t = render_letter(3110 + LAYOUTS.index(layout), dpi=DPI, layout=layout)
    f, first = t["fields"], _text(t["page_lines"][0])
    signer = _text(t["page_lines"][t["signer_page"] - 1])
    assert t["kind"] == "document" and t["layout"] == layout
    assert 2 <= t["pages"] == len(images) == len(t["page_lines"])
    assert f"Số: {f['so_ky_hieu']}" in first
    d = date.fromisoformat(f["ngay_ban_hanh"])
    assert f"{f['dia_danh']}, ngày {d.day:02d} tháng" in first and f"năm {d.year}" in first
    left = _left_column(t["page_lines"][0])
    for name in ("co_quan_chu_quan", "co_quan_ban_hanh"):  # a name may run over two lines
        assert f[name] in left
    assert f["trich_yeu"] in first
    if layout == "cong_van":
        assert f["loai_van_ban"] == "Công văn" and f["trich_yeu"].startswith(("V/v", "Về việc"))
    else:
        assert f["loai_van_ban"].upper() in t["page_lines"][0]
    lines = t["page_lines"][t["signer_page"] - 1]
    runs = {" ".join(lines[i : i + k]) for k in (1, 2, 3) for i in range(len(lines))}
    assert f["chuc_vu_nguoi_ky"] in runs  # its title lines, one under the other
    assert (
        f"{f['cap_bac_nguoi_ky']} {f['nguoi_ky']}".strip() in t["page_lines"][t["signer_page"] - 1]
    )
    for item in f["noi_nhan"].split("; "):
        assert item in signer
    assert set(t["field_pages"]) == {k for k, v in f.items() if v}


def test_handwritten_fields_are_listed_and_still_in_the_lines() -> None:
    images, t = render_letter(3120, dpi=DPI, handwritten=("so_ky_hieu", "ngay_ban_hanh"))
    assert sorted(t["handwritten"]) == ["ngay_ban_hanh", "so_ky_hieu"]
    assert images[0].mode == "RGB"
    assert f"Số: {t['fields']['so_ky_hieu']}" in _text(t["page_lines"][0])
    _, typed = render_letter(3120, dpi=DPI, handwritten=())
    assert typed["handwritten"] == [] and typed["fields"] == t["fields"]


@pytest.mark.parametrize("seed", (3130, 3131, 3132))
def test_an_annex_is_a_page_of_the_same_document(seed: int) -> None:
    images, t = render_letter(seed, dpi=DPI, pages=3, annex=True)
    assert t["annex"] is True
    assert t["pages"] == len(images) == 3
    assert t["signer_page"] == 2
    assert "PHỤ LỤC" in t["page_lines"][2]
    assert t["page_lines"][1][0] == "2" and t["page_lines"][2][0] == "3"  # page numbers at top


@pytest.mark.parametrize("kind", COPY_MARKS)
def test_copy_mark_text_is_in_no_field_and_no_line(kind: str) -> None:
    images, t = render_letter(3140, dpi=DPI, copy_mark=kind)
    assert t["copy_mark"] is True and kind in t["marks"]
    assert {"mark": kind, "page": 1} in t["mark_pages"]
    values = " ".join(norm(v) for v in t["fields"].values())
    lines = norm(" ".join(line for page in t["page_lines"] for line in page))
    for word in ("sao y", "bản sao", "ký bởi", "thời gian ký"):
        assert word not in values and word not in lines
    assert images[0].mode == "RGB"


def test_a_document_is_one_file_after_its_capture(tmp_path: Path) -> None:
    images, t = render_letter(3150, dpi=DPI, pages=2, annex=False)
    recipe = [{"op": "noise", "sigma": 3.0}, {"op": "scan_bilevel_200", "threshold": 160}]
    pages, t2 = letter_scan.degrade_pages(images, t, 3150, recipe)
    assert t2["dpi"] == 200 and all(p.mode == "1" for p in pages)
    assert [s[-1]["op"] for s in t2["degradations"]] == ["scan_bilevel_200"] * len(pages)
    for suffix in (".tif", ".pdf"):
        path = tmp_path / f"doc{suffix}"
        letter_scan.save_document(pages, path, t2["dpi"])
        assert read_source(path)[0].pages == len(pages)


def _scored(right: bool, accepted: bool, hand: bool = False, page: str = "first") -> dict:
    return {
        "want": "x",
        "got": "x" if right else "y",
        "right": right,
        "accepted": accepted,
        "hand": hand,
        "page": page,
    }


def test_score_reads_the_document_holding_page_one() -> None:
    truth = {
        "id": "doc001",
        "layout": "cong_van",
        "pages": 2,
        "handwritten": ["so_ky_hieu"],
        "fields": {
            "so_ky_hieu": "12/SXD",
            "nguoi_ky": "Lê Văn An",
            "cap_bac_nguoi_ky": "",
            "co_quan_ban_hanh": "SỞ XÂY DỰNG",
        },
        "field_pages": {"so_ky_hieu": 1, "nguoi_ky": 2, "co_quan_ban_hanh": 1},
    }
    fv = lambda v, review: {"value": v, "needs_review": review}  # noqa: E731
    got = {
        "documents": [[1, 2]],
        "fields": {
            "so_ky_hieu": fv("12/SXD", True),
            "nguoi_ky": fv("Lê Văn Án", False),
            "co_quan_ban_hanh": fv("Sở  Xây dựng.", False),
        },
    }
    s = bench.score(truth, got)
    assert s["one_document"] is True and "cap_bac_nguoi_ky" not in s["fields"]
    assert s["fields"]["so_ky_hieu"] == {
        **_scored(True, False, hand=True),
        "want": "12/SXD",
        "got": "12/SXD",
    }
    assert s["fields"]["co_quan_ban_hanh"]["right"] and s["fields"]["co_quan_ban_hanh"]["accepted"]
    assert s["fields"]["nguoi_ky"]["page"] == "last" and not s["fields"]["nguoi_ky"]["right"]
    assert bench.score(truth, {**got, "documents": [[1], [2]]})["one_document"] is False


def test_report_counts_and_section(tmp_path: Path) -> None:
    row = {
        "id": "doc001",
        "layout": "cong_van",
        "pages": 2,
        "capture": "clean",
        "copy_mark": False,
        "found": [[1, 2]],
        "one_document": True,
        "copy_in_fields": [],
        "seconds": 4.0,
        "error": "",
        "fields": {
            "nguoi_ky": _scored(True, True, page="last"),
            "trich_yeu": _scored(False, True),
            "so_ky_hieu": _scored(False, False, hand=True),
        },
    }
    text = bench.render([row], seed=31, command="python -m bench.letters", wall=9.0)
    assert text.startswith(bench.HEADER)
    assert "Typed fields right: 1/2 (50.0 %" in text and "precision 50.0 %" in text
    assert "| nguoi_ky | 1/1 (100.0 %) | 1 (100.0 %) | 0 | 100.0 % |" in text
    assert "| so_ky_hieu | 0/1 (0.0 %) | 0 (0.0 %) | 0 | – |" in text
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# B\n\n## History\n\nx\n\n## Scaling (#9)\n\ny\n", encoding="utf-8")
    bench.write_section(md, text)
    bench.write_section(md, text.replace("1/2", "2/2"))
    out = md.read_text(encoding="utf-8")
    assert out.count(bench.HEADER) == 1 and "2/2" in out
    assert out.index("## History") < out.index(bench.HEADER) < out.index("## Scaling (#9)")


def test_seeds_of_other_benches_are_refused() -> None:
    for seed in (7, 2020, 9):
        assert bench.main(["--seed", str(seed), "--docs", "1"]) == 2


@pytest.mark.tesseract
def test_the_product_reads_a_small_document_whole(tmp_path: Path) -> None:
    from flows.offline import process_one
    from pipeline.config import ProcessOptions

    images, t = render_letter(
        3160,
        dpi=200,
        layout="quyet_dinh",
        pages=2,
        annex=False,
        handwritten=(),
        marks=("signature",),
        copy_mark="",
        face="serif",
    )
    path = tmp_path / "doc.tif"
    letter_scan.save_document(images, path, 200)
    out = tmp_path / "out"
    out.mkdir()
    assert process_one(path, out, ProcessOptions(), tmp_path / "work")[1] == ""
    got = bench.read_document(out, "doc")
    assert got["documents"] == [list(range(1, t["pages"] + 1))]
    s = bench.score(t | {"id": "doc"}, got)
    for name in ("co_quan_ban_hanh", "loai_van_ban", "nguoi_ky"):
        assert s["fields"][name]["right"], (name, s["fields"][name])
