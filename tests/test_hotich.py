"""The civil-status book package's Excel: template file, codes, dates, safe cells (issue 19)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pipeline.archive.hotich import (
    book_rows,
    file_name,
    load_template,
    parse_template,
    workbook_bytes,
)
from pipeline.errors import ConfigError

ENTRY = {
    "so": "12",
    "quyen_so": "01/1998",
    "ho_ten": "Lê Thị Bình",
    "gioi_tinh": "Nữ",
    "ngay_sinh": "1998-03-05",
    "ngay_sinh_bang_chu": "Ngày năm, tháng ba, năm một nghìn chín trăm chín mươi tám",
    "ngay_dang_ky": "1998-04-20",
    "noi_sinh": "Trạm y tế xã Quỳnh Lâm",
    "ho_ten_me": "Trần Thị Mai",
    "nam_sinh_me": "1970",
    "ghi_chu": "Đăng ký quá hạn",
    "nguoi_di_khai": '=HYPERLINK("http://x")',
}
BOOK = {"book": "01/1998", "agency": "UBND xã Quỳnh Lâm", "year": "1998"}


def _cells(rows, column: str, i: int = 0):  # type: ignore[no-untyped-def]
    return rows.rows[i][rows.header.index(column)]


def test_the_shipped_template_loads_for_every_civil_status_book() -> None:
    t = load_template()
    assert set(t.books) == {"khai_sinh", "khai_tu", "ket_hon"}
    for cols in t.books.values():
        names = [c.name for c in cols]
        assert names[:10] == [
            "so",
            "quyenSo",
            "trangSo",
            "ngayDangKy",
            "loaiDangKy",
            "noiDangKy",
            "nguoiKy",
            "chucVuNguoiKy",
            "nguoiThucHien",
            "ghiChu",
        ]


def test_values_dates_and_codes_as_the_template_wants_them() -> None:
    rows = book_rows(load_template(), "khai_sinh", [ENTRY], BOOK)
    assert _cells(rows, "nksHoTen") == "Lê Thị Bình"
    assert _cells(rows, "nksNgaySinh") == "05/03/1998"
    assert _cells(rows, "nksNgaySinhBangChu").startswith("Ngày năm, tháng ba")
    assert _cells(rows, "ngayDangKy") == "20/04/1998"
    assert _cells(rows, "nksGioiTinh") == 2
    assert _cells(rows, "loaiDangKy") == 4  # "Đăng ký quá hạn"
    assert _cells(rows, "meNgaySinh") == "1970"
    assert _cells(rows, "trangSo") is None  # not carried by the page: empty, never invented
    no_remark = book_rows(load_template(), "khai_sinh", [{**ENTRY, "ghi_chu": None}], BOOK)
    assert _cells(no_remark, "loaiDangKy") == 0  # "no information"
    no_book = book_rows(load_template(), "khai_sinh", [{**ENTRY, "quyen_so": None}], BOOK)
    assert _cells(no_book, "quyenSo") == "01/1998"  # the book's own number


def test_a_value_the_code_list_lacks_is_left_empty_and_reported() -> None:
    rows = book_rows(load_template(), "khai_sinh", [{**ENTRY, "gioi_tinh": "Trai"}], BOOK)
    assert _cells(rows, "nksGioiTinh") is None
    assert rows.uncoded == ["dòng 2, cột nksGioiTinh: Trai"]


def test_the_workbook_reads_back_with_formulas_neutralised() -> None:
    rows = book_rows(load_template(), "khai_sinh", [ENTRY], BOOK, status_column=["chưa duyệt"])
    data = workbook_bytes(rows, sheet="khai_sinh", info=[("Quyển", "01/1998")])
    ws = load_workbook(io.BytesIO(data))["khai_sinh"]
    header = [c.value for c in ws[1]]
    assert header[-1] == "trangThaiSoHoa" and header[0] == "so"
    row = {h: c.value for h, c in zip(header, ws[2], strict=True)}
    assert row["nycHoTen"] == '\'=HYPERLINK("http://x")'
    assert row["nksGioiTinh"] == 2 and row["trangThaiSoHoa"] == "chưa duyệt"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"books": {"khai_sinh": [{"column": "x", "field": "ho_ten_ong"}]}}, "ho_ten_ong"),
        ({"books": {"khai_sinh": [{"column": "x", "field": "ho_ten", "codes": "y"}]}}, "bảng mã"),
        ({"books": {"khai_sinh": [{"column": "x"}]}}, "không có nguồn"),
        ({"books": {"khai_sinh": [{"column": "x", "empty": True, "colour": 1}]}}, "khóa lạ"),
        ({"books": {"so_trang": []}}, "loại sổ lạ"),
        ({"pdf_name": "{book}_{ten}.pdf"}, "pdf_name"),
    ],
)
def test_a_wrong_template_is_refused_with_the_place_to_fix(change, says) -> None:
    base = {
        "excel_name": "a.xlsx",
        "zip_name": "a.zip",
        "pdf_name": "{so}.pdf",
        "codes": {},
        "books": {},
    }
    with pytest.raises(ConfigError, match=says):
        parse_template(base | change, "tinh.yaml")


def test_file_names_are_safe_on_every_file_system() -> None:
    name = file_name(
        "{book_type}_{agency}_{book}_{so}.pdf",
        book_type="khai_sinh",
        agency="UBND xã Quỳnh Lâm",
        book="01/1998",
        so="12",
    )
    assert name == "khai_sinh_ubnd-xa-quynh-lam_01-1998_12.pdf"


def test_the_cli_refuses_an_unknown_format_and_a_broken_template(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    run = runner.invoke(app, ["export", "1", "--format", "ead"])
    assert run.exit_code == 2 and "chưa có" in run.output
    bad = tmp_path / "tinh.yaml"
    bad.write_text("books: {khai_sinh: [{column: x}]}\nexcel_name: a\nzip_name: b\npdf_name: c\n")
    monkeypatch.setenv("SOHOA_HOTICH_TEMPLATE", str(bad))
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    run = runner.invoke(app, ["export", "1"])
    assert run.exit_code != 0 and "không có nguồn" in run.output
