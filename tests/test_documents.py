"""Documents, not pages: the Decree-30 layouts as offices print them, pages joined (issue 18)."""

from __future__ import annotations

import pytest

from pipeline.documents import PageInfo, group_pages, is_continuation
from pipeline.extract import decree30, signer_block
from pipeline.extract.bodies import restore_marks
from pipeline.extract.calibration import packaged
from pipeline.extract.tthc import check_body, check_issue_date, check_number, extract_tthc
from schemas.models import FieldValue, OcrLine, OcrPage, OcrWord, Record

W, H = 2480, 3508


def _line(text: str, x: int, y: int, *, height: int = 40) -> OcrLine:
    words, cur = [], x
    for token in text.split():
        w = 22 * len(token)
        words.append(OcrWord(text=token, conf=0.95, bbox=(cur, y, w, height)))
        cur += w + 18
    return OcrLine(words=words, bbox=(x, y, cur - x, height))


def _page(*lines: tuple[str, int, int]) -> OcrPage:
    return OcrPage(width=W, height=H, lines=[_line(t, x, y) for t, x, y in lines])


#: A công văn: the issuer over three lines, no title, "V/v" wrapped under the number, a side
#: note beside it, a margin mark before it.
CONG_VAN = _page(
    ("UBND TỈNH QUẢNG NAM", 260, 150),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 150),
    ("SỞ TÀI NGUYÊN", 330, 205),
    ("Độc lập - Tự do - Hạnh phúc", 1420, 205),
    ("VÀ MÔI TRƯỜNG", 330, 260),
    ("Số: 215 /STNMT-QLĐĐ", 280, 360),
    ("Quảng Nam, ngày 12 tháng 6 năm 2019", 1350, 360),
    ("V/v rà soát hồ sơ cấp giấy", 300, 430),
    ("chứng nhận quyền sử dụng đất", 300, 485),
    ("Kính gửi: Ủy ban nhân dân các huyện", 600, 620),
    ("Thực hiện Kế hoạch số 12/KH-UBND của Ủy ban nhân dân tỉnh", 350, 760),
)


def test_a_cong_van_header_is_read_as_printed() -> None:
    found = {k: v[0] for k, v in decree30.read_header(CONG_VAN).items()}
    assert found["co_quan_chu_quan"] == "UBND TỈNH QUẢNG NAM"
    assert found["co_quan_ban_hanh"] == "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
    assert found["loai_van_ban"] == "Công văn"
    assert found["trich_yeu"] == "V/v rà soát hồ sơ cấp giấy chứng nhận quyền sử dụng đất"
    assert found["dia_danh"] == "Quảng Nam"
    assert decree30.has_header(CONG_VAN)


def test_a_body_over_two_lines_is_one_issuer_and_a_title_brings_its_summary() -> None:
    page = _page(
        ("ỦY BAN NHÂN DÂN", 330, 150),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 150),
        ("THÀNH PHỐ ĐÀ NẴNG", 300, 205),
        ("Số: 58/TTr-UBND", 330, 330),
        ("Đà Nẵng, ngày 3 tháng 1 năm 2020", 1350, 330),
        ("TỜ TRÌNH", 1120, 480),
        ("Về việc phê duyệt kế hoạch", 950, 540),
        ("Kính gửi: Hội đồng nhân dân thành phố", 700, 640),
    )
    found = {k: v[0] for k, v in decree30.read_header(page).items()}
    assert found["co_quan_ban_hanh"] == "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG"
    assert "co_quan_chu_quan" not in found
    assert found["loai_van_ban"] == "Tờ trình"
    assert found["trich_yeu"] == "Về việc phê duyệt kế hoạch"


LAST_PAGE = _page(
    ("trước ngày 25/8/2019./.", 340, 300),
    ("Nơi nhận:", 340, 500),
    ("KT. GIÁM ĐỐC", 1500, 480),
    ("- Như trên;", 340, 560),
    ("PHÓ GIÁM ĐỐC", 1480, 540),
    ("- Lưu: VT, CTrTT.", 340, 620),
    ("Trung tá Ngô Văn Công", 1420, 900),
    ("SAO Y BẢN CHÍNH", 1500, 1100),
)


def test_the_signer_block_and_recipients_of_the_last_page() -> None:
    found = {k: v[0] for k, v in signer_block.read_signer(LAST_PAGE).items()}
    assert found["chuc_vu_nguoi_ky"] == "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC"
    assert found["nguoi_ky"] == "Ngô Văn Công" and found["cap_bac_nguoi_ky"] == "Trung tá"
    assert found["noi_nhan"] == "Như trên; Lưu: VT, CTrTT"
    beside = _page(("Nơi nhận: - Giám đốc Sở (để b/c);", 340, 500), ("- Lưu: VT.", 340, 560))
    assert signer_block.read_signer(beside)["noi_nhan"][0] == "Giám đốc Sở (để b/c); Lưu: VT"
    assert decree30.copy_marks(LAST_PAGE) == ["SAO Y BẢN CHÍNH"]
    assert not any("SAO Y" in v for v in found.values())
    assert decree30.ends_document(LAST_PAGE) and not decree30.has_header(LAST_PAGE)


@pytest.mark.parametrize("token", ["»š", "“‡", "¬", "_~", "|"])
def test_margin_specks_are_junk_and_vietnamese_is_not(token: str) -> None:
    assert decree30.is_junk(token)
    assert not any(decree30.is_junk(t) for t in ("Đà", "Nẵng,", "V/v", "15/CV-PA83", "(Chương)."))


def test_partial_readings_keep_what_was_read() -> None:
    number = check_number("Số: ¿¿ /SGDĐT-CTrTT")
    assert number.value is None and "/SGDĐT-CTrTT" in number.note
    assert check_number("Số: 1535 /SGDĐT-CTrTT").value == "1535/SGDĐT-CTrTT"
    day = check_issue_date("Đà Nẵng, ngày 84 tháng 5 năm 2019")
    assert day.value is None and "tháng 5 năm 2019" in day.note


def _info(n: int, page: OcrPage, kind: str = "tthc") -> PageInfo:
    rec = extract_tthc(page, threshold=0.9, calibration=packaged())
    ends = decree30.ends_document(page)
    return PageInfo(n, f"p{n}", kind, [rec], header=decree30.has_header(page), ends=ends)


def test_a_letter_over_pages_is_one_document_and_one_record() -> None:
    body = _page(("các đơn vị thực hiện nghiêm túc nội dung trên", 340, 300))
    docs = group_pages([_info(1, CONG_VAN), _info(2, body, "unknown"), _info(3, LAST_PAGE)])
    assert [[p.number for p in d.pages] for d in docs] == [[1, 2, 3]]
    (rec,) = docs[0].records
    assert rec.fields["co_quan_ban_hanh"].value == "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
    assert rec.fields["co_quan_ban_hanh"].page == 1
    assert rec.fields["nguoi_ky"].value == "Ngô Văn Công" and rec.fields["nguoi_ky"].page == 3
    assert docs[0].contract(1)["pages"] == [1, 2, 3]
    annex = _page(
        ("PHỤ LỤC", 1150, 200),
        ("DANH SÁCH THÀNH VIÊN", 1000, 260),
        ("Nguyễn Văn Bình", 1500, 900),
    )
    (rec,) = group_pages([_info(1, CONG_VAN), _info(2, LAST_PAGE), _info(3, annex)])[0].records
    assert rec.fields["nguoi_ky"].value == "Ngô Văn Công"  # the annex's table is no signer


def test_a_new_header_or_a_civil_status_paper_starts_a_document() -> None:
    extract = Record(schema="khai_sinh", fields={"ho_ten": FieldValue(value="Lê An")})
    pages = [
        _info(1, CONG_VAN),
        _info(2, LAST_PAGE),
        _info(3, CONG_VAN),
        PageInfo(4, "p4", "khai_sinh", [extract]),
        PageInfo(5, "p5", "khai_sinh", [extract]),
        PageInfo(6, "sep", "unknown", [], separator=True),
        _info(7, LAST_PAGE),
    ]
    docs = group_pages(pages)
    assert [[p.number for p in d.pages] for d in docs] == [[1, 2], [3], [4], [5], [7]]
    assert [d.kind for d in docs] == ["tthc", "tthc", "khai_sinh", "khai_sinh", "tthc"]
    assert docs[2].records[0].fields["ho_ten"].page == 4


def test_lost_tone_marks_of_an_issuer_come_back_from_a_pair_of_known_words() -> None:
    checked = check_body("PHONG AN CHINH TRỊ NỘI BỘ")
    assert checked.value == "PHÒNG AN CHÍNH TRỊ NỘI BỘ" and checked.repaired
    assert check_body("UBND THÀNH PHÓ ĐÀ NẴNG").value == "UBND THÀNH PHỐ ĐÀ NẴNG"
    kept = check_body("SỞ GIÁO DỤC VÀ ĐÀO TẠO")
    assert kept.value == "SỞ GIÁO DỤC VÀ ĐÀO TẠO" and not kept.repaired
    # one word alone decides nothing; lower case (not an issuer line) is left alone
    assert restore_marks("PHONG")[1] == [] and restore_marks("phong an ninh")[1] == []


def test_a_signer_block_the_reading_lost_is_located_for_a_second_look() -> None:
    lost = _page(
        ("Nơi nhận:", 340, 500),
        ("- Như trên;", 340, 560),
        ("- Lưu: VT.", 340, 620),
        ("Trần Nguyễn Minh Thành", 1420, 1000),
    )
    x, y, w, h = signer_block.signer_zone(lost) or (0, 0, 0, 0)
    assert x == W // 2 and y < 500 and y + h == 1000 and w == W - W // 2
    assert signer_block.signer_zone(LAST_PAGE) is None  # its titles were read
    assert signer_block.signer_zone(CONG_VAN) is None  # no "Nơi nhận"


def test_a_later_page_of_a_letter_is_no_record_of_its_own_in_the_batch_flow() -> None:
    signer_only = extract_tthc(LAST_PAGE, threshold=0.9, calibration=packaged())
    assert is_continuation(signer_only)
    assert not is_continuation(extract_tthc(CONG_VAN, threshold=0.9, calibration=packaged()))
    birth = Record(schema="khai_sinh", fields={"ho_ten": FieldValue(value=None)})
    assert not is_continuation(birth)


@pytest.mark.tesseract
def test_a_sparse_page_reads_and_its_copy_mark_is_provenance_not_a_field(tmp_path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from ocr.tesseract import TesseractEngine
    from pipeline.config import ProcessOptions
    from pipeline.process import process_image

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 34)
    im = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(im)
    for text, x, y in [
        ("SỞ TƯ PHÁP", 330, 200),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 200),
        ("Độc lập - Tự do - Hạnh phúc", 1420, 260),
        ("Số: 58/STP-HCTP", 300, 360),
        ("Lào Cai, ngày 5 tháng 3 năm 2020", 1350, 360),
        ("V/v hướng dẫn đăng ký hộ tịch", 300, 430),
        ("SAO Y BẢN CHÍNH", 1500, 600),
        ("Kính gửi: Ủy ban nhân dân các huyện", 600, 760),
    ]:
        d.text((x, y), text, font=font, fill=0)
    out = process_image(
        im,
        stem="c",
        workdir=tmp_path,
        options=ProcessOptions(),
        engine=TesseractEngine(),
        calibration=packaged(),
    )
    # eight lines on an A4 page are ~0.3 % ink: not blank, not blurry, not overexposed
    assert out.result.quality.flags == []
    marks = [s for s in out.result.provenance if s["step"] == "copy_marks"]
    assert marks and "SAO Y" in marks[0]["marks"][0]
    (rec,) = out.result.records
    assert rec.fields["so_ky_hieu"].value == "58/STP-HCTP"
    assert rec.fields["loai_van_ban"].value == "Công văn"
    assert not any("SAO" in (f.value or "") for f in rec.fields.values())


@pytest.mark.tesseract
def test_a_blank_page_is_still_flagged_blank(tmp_path) -> None:
    import numpy as np
    from PIL import Image

    from ocr.tesseract import TesseractEngine
    from pipeline.config import ProcessOptions
    from pipeline.process import process_image

    paper = np.full((H // 2, W // 2), 235, np.uint8)
    paper[np.random.default_rng(1).random(paper.shape) < 0.0002] = 40  # a few specks
    out = process_image(
        Image.fromarray(paper),
        stem="b",
        workdir=tmp_path,
        options=ProcessOptions(),
        engine=TesseractEngine(),
        calibration=packaged(),
    )
    assert "blank" in out.result.quality.flags and not out.result.records


def test_a_three_line_signer_title_beside_a_full_width_body_line() -> None:
    page = _page(
        ("Ủy ban nhân dân tỉnh yêu cầu các cơ quan, đơn vị nghiêm túc thực hiện./.", 340, 400),
        ("TM. ỦY BAN NHÂN DÂN", 1450, 470),
        ("KT. CHỦ TỊCH", 1560, 525),
        ("Nơi nhận:", 340, 560),
        ("PHÓ CHỦ TỊCH", 1550, 580),
        ("- Như trên;", 340, 620),
        ("- Lưu: VT.", 340, 680),
        ("ThS. Lê Thị Hoa", 1520, 900),
    )
    found = {k: v[0] for k, v in signer_block.read_signer(page).items()}
    assert found["chuc_vu_nguoi_ky"] == "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH"
    assert found["nguoi_ky"] == "Lê Thị Hoa" and found["cap_bac_nguoi_ky"] == "ThS."
    rec = extract_tthc(page, threshold=0.9, calibration=packaged())
    assert rec.fields["nguoi_ky"].value == "Lê Thị Hoa"  # never a "Nơi nhận" item
