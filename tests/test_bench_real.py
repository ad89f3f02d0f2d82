"""The real pages row: scoring, reading sohoa's output files, skipping without the folder."""

from __future__ import annotations

import json
from pathlib import Path

from bench.real import fields_of, norm, real_dir, render_real, run_real, score_document

SPEC = {
    "file": "letter.pdf",
    "handwritten": ["so_ky_hieu", "ngay_ban_hanh"],
    "fields": {
        "so_ky_hieu": "1535/SGDĐT-CTrTT",
        "ngay_ban_hanh": "2019-05-31",
        "dia_danh": "Đà Nẵng",
        "nguoi_ky": "Trần Nguyễn Minh Thành",
    },
}


def _fv(value: str | None, needs_review: bool) -> dict:
    return {"value": value, "raw": value or "", "needs_review": needs_review}


def test_norm_like_the_real_check() -> None:
    assert norm("SỞ GIÁO DỤC\u00a0 VÀ  ĐÀO TẠO.") == norm("sở giáo dục và đào tạo")
    assert norm("\u00d0à Nẵng") == norm("Đà Nẵng")
    assert norm("Đà Nẵng") != norm("Đà Năng")


def test_score_document_counts_wrong_and_handwritten_auto_accepts() -> None:
    got = {
        "so_ky_hieu": _fv("4635/SGDĐT-CTrTT", False),  # handwritten digits misread, accepted
        "ngay_ban_hanh": _fv("2019-05-31", True),
        "dia_danh": _fv("Ðà Nẵng", False),
    }
    s = score_document(got, SPEC)
    assert (s["fields"], s["right"], s["accepted"], s["wrong_accepted"]) == (4, 2, 2, 1)
    assert (s["hand_fields"], s["hand_accepted"], s["hand_wrong_accepted"]) == (2, 1, 1)
    assert s["wrong"] == [("so_ky_hieu", "4635/SGDĐT-CTrTT", "1535/SGDĐT-CTrTT")]
    md = "\n".join(render_real({"dir": "x", "documents": {"letter": s}, "photos": {}}))
    assert s["typed_right"] == 1  # the place; the right date was written by hand
    assert "| letter | 2/4 | 1/2 (50.0 %) | 2 | 1 | 1 of 2 (1) |" in md
    assert "`so_ky_hieu` read “4635/SGDĐT-CTrTT”" in md


def test_fields_of_takes_the_first_page_that_has_a_value(tmp_path: Path) -> None:
    def page(n: int, fields: dict) -> None:
        rec = {"records": [{"schema": "tthc", "fields": fields}]}
        (tmp_path / f"letter-p000{n}.json").write_text(json.dumps(rec), encoding="utf-8")

    page(1, {"nguoi_ky": _fv(None, True), "dia_danh": _fv("Đà Nẵng", False)})
    page(2, {"nguoi_ky": _fv("Trần Nguyễn Minh Thành", True), "dia_danh": _fv("Huế", False)})
    got = fields_of(tmp_path, "letter")
    assert got["dia_danh"]["value"] == "Đà Nẵng"
    assert got["nguoi_ky"]["value"] == "Trần Nguyễn Minh Thành"
    # A document-level file wins over the pages.
    whole = {"records": [{"schema": "tthc", "fields": {"dia_danh": _fv("Hà Nội", True)}}]}
    (tmp_path / "letter.json").write_text(json.dumps(whole), encoding="utf-8")
    assert fields_of(tmp_path, "letter") == {"dia_danh": _fv("Hà Nội", True)}


def test_real_row_skips_cleanly_on_an_empty_folder(tmp_path: Path) -> None:
    folder = real_dir({"SOHOA_REAL_DIR": str(tmp_path)})
    assert folder == tmp_path
    result = run_real(folder)
    assert result == {"dir": str(tmp_path), "skipped": f"no truth.json in {tmp_path}"}
    md = "\n".join(render_real(result))
    assert "## Real pages (../shared/real, development set)" in md
    assert "Skipped: no truth.json" in md and "SOHOA_REAL_DIR" in md


def test_real_dir_defaults_beside_the_checkout() -> None:
    assert real_dir({}).parts[-2:] == ("shared", "real")
