"""A pen signature over the signer's title lines (issue 17 item 4, issue 18): the block is read
again without the pen's ink; a short wrapped tail of a summary stays in it."""

from __future__ import annotations

import pytest

from pipeline.extract import decree30, signer_block
from schemas.models import OcrLine, OcrPage
from tests.test_documents import H, W, _line


def _page(*lines: OcrLine) -> OcrPage:
    return OcrPage(width=W, height=H, lines=list(lines))


def test_a_summary_wrapped_onto_a_short_line_of_digits_keeps_it() -> None:
    """ "… nhà nước năm" / "2021": a line of digits is lower than one with tone marks."""
    page = _page(
        _line("UBND TỈNH BẠC LIÊU", 300, 180),
        _line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 180),
        _line("VĂN PHÒNG ỦY BAN NHÂN DÂN", 200, 230),
        _line("Độc lập - Tự do - Hạnh phúc", 1420, 230),
        _line("Số: 1383 /BC-VPUBND", 280, 290),
        _line("Bạc Liêu, ngày 29 tháng 12 năm 2020", 1350, 300),
        _line("BÁO CÁO", 1150, 380),
        _line("Kết quả xây dựng dự toán ngân sách nhà nước năm", 700, 440),
        _line("2021", 1190, 494, height=26),
        _line("Thực hiện Công văn số 3495/UBND-TH ngày 19/10/2020, Văn phòng", 345, 590),
    )
    found = {k: v[0] for k, v in decree30.read_header(page).items()}
    assert found["loai_van_ban"] == "Báo cáo"
    assert found["trich_yeu"] == "Kết quả xây dựng dự toán ngân sách nhà nước năm 2021"


def test_the_signer_zone_ends_at_the_name_not_at_a_title_in_capitals() -> None:
    page = _page(
        _line("TM. ỦY BAN NHÂN DÂN", 1450, 470),
        _line("Nơi nhận:", 340, 480),
        _line("KT. CHỦ TỊCH", 1560, 525),
        _line("- Như trên;", 340, 540),
        _line("PHÓ CHỦ TỊCH", 1550, 580),
        _line("Lê Hữu Canh", 1560, 800),
    )
    x, y, w, h = signer_block.signer_zone(page, always=True) or (0, 0, 0, 0)
    assert y + h == 800 and y <= 470
    assert signer_block.signer_zone(page) is None  # its titles were read


@pytest.mark.tesseract
def test_a_signature_across_the_last_title_line_does_not_garble_it(tmp_path) -> None:
    import numpy as np
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    from ocr.tesseract import TesseractEngine
    from pipeline.config import ProcessOptions
    from pipeline.extract.calibration import packaged
    from pipeline.process import process_image

    bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", 30)
    plain = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 30)
    w, h = 1654, 2339  # A4 at 200 dpi, as offices scan
    im = Image.new("RGB", (w, h), (250, 248, 243))
    d = ImageDraw.Draw(im)
    for text, x, y, font in [
        ("ỦY BAN NHÂN DÂN", 250, 160, bold),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 800, 160, bold),
        ("PHƯỜNG LONG XUYÊN", 240, 210, bold),
        ("Độc lập - Tự do - Hạnh phúc", 920, 210, bold),
        ("Số: 569/BB-UBND", 260, 290, plain),
        ("Long Xuyên, ngày 16 tháng 9 năm 2025", 860, 290, plain),
        ("BIÊN BẢN", 740, 400, bold),
        ("Họp về bảo đảm an toàn thông tin mạng", 560, 450, bold),
        ("Biên bản kết thúc vào lúc 16 giờ 30 cùng ngày, đã đọc lại cho các", 320, 560, plain),
        ("thành viên cùng nghe và nhất trí./.", 240, 610, plain),
        ("TM. ỦY BAN NHÂN DÂN", 940, 700, bold),
        ("Nơi nhận:", 240, 710, bold),
        ("KT. CHỦ TỊCH", 1035, 755, bold),
        ("- Công đoàn cơ sở;", 240, 750, plain),
        ("PHÓ CHỦ TỊCH", 1020, 810, bold),
        ("- Lưu: VT.", 240, 790, plain),
        ("Lê Hữu Canh", 1040, 960, bold),
    ]:
        d.text((x, y), text, font=font, fill=(20, 20, 20))
    # a blue pen signature whose loops run up through the last title line; pen over print
    # is darker than either (the inks multiply, as on paper)
    pen = Image.new("RGB", (w, h), (255, 255, 255))
    p = ImageDraw.Draw(pen)
    xs = np.linspace(1000, 1300, 12)
    pts = [(float(x), 900.0 - 95.0 * (i % 2)) for i, x in enumerate(xs)]
    p.line(pts, fill=(40, 60, 190), width=4)
    p.line([(990, 905), (1320, 890)], fill=(40, 60, 190), width=4)
    im = ImageChops.multiply(im, pen)
    out = process_image(
        im,
        stem="s",
        workdir=tmp_path,
        options=ProcessOptions(schema="tthc"),
        engine=TesseractEngine(),
        calibration=packaged(),
    )
    (rec,) = out.result.records
    assert rec.fields["chuc_vu_nguoi_ky"].value == "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH"
    assert rec.fields["nguoi_ky"].value == "Lê Hữu Canh"


def test_a_speck_of_the_signature_read_as_a_comma_leaves_the_title() -> None:
    assert signer_block.title_text("KT. CHỦ TỊCH PHÓ,CHỦ TỊCH") == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH"
    assert (
        signer_block.title_text("TL. GIÁM ĐỐC  CHÁNH VĂN PHÒNG") == "TL. GIÁM ĐỐC CHÁNH VĂN PHÒNG"
    )


def test_an_issuer_line_sharing_words_with_the_motto_is_not_the_motto() -> None:
    assert not decree30.is_motto("VÀ XÃ HỘI")
    assert decree30.is_motto("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert decree30.is_motto("Độc lập - Tự do - Hạnh phúc")
    assert decree30.is_motto("CHỦ NGHĨA VIỆT NAM")  # a motto line split by the layout
    page = _page(
        _line("UBND TỈNH HẢI DƯƠNG", 257, 291),
        _line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 291),
        _line("SỞ LAO ĐỘNG - THƯƠNG BINH", 191, 336),
        _line("Độc lập - Tự do - Hạnh phúc", 1420, 344),
        _line("VÀ XÃ HỘI", 367, 383),
        _line("Số: 1045/TTr-SLĐTBXH", 269, 457),
    )
    found = {k: v[0] for k, v in decree30.read_header(page).items()}
    assert found["co_quan_ban_hanh"] == "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"


def test_one_word_under_the_titles_is_a_stroke_not_a_title_line() -> None:
    page = _page(
        _line("KT. GIÁM ĐỐC", 1500, 480),
        _line("Nơi nhận:", 340, 500),
        _line("PHÓ GIÁM ĐỐC", 1480, 540),
        _line("- Như trên;", 340, 560),
        _line("NẠP", 1560, 600),
        _line("Lê Văn Tám", 1500, 800),
    )
    found = {k: v[0] for k, v in signer_block.read_signer(page).items()}
    assert found["chuc_vu_nguoi_ky"] == "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC"
    assert found["nguoi_ky"] == "Lê Văn Tám"


def test_a_title_without_a_title_word_goes_to_the_clerk() -> None:
    from pipeline.extract.tthc import check_title

    for bad in ("VÀ", "TM. ỦY BAN NHÂN DÂN", "N DÂN"):
        checked = check_title(bad)
        assert checked.value == bad and not checked.ok and "chức vụ" in checked.note
    for good in (
        "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC",
        "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH",
        "Q. CỤC TRƯỞNG",
        "TL. GIÁM ĐỐC CHÁNH VĂN PHÒNG",
        "BÍ THƯ",
    ):
        assert check_title(good).ok, good


def test_a_name_read_off_the_centre_of_its_titles_lost_words_and_goes_to_the_clerk() -> None:
    """ "PGS.TS. Trịnh Kiều Anh" under a seal's ring read "Kiều Anh": right of the centre."""
    from pipeline.extract.calibration import packaged
    from pipeline.extract.tthc import OFF_CENTRE_NOTE, extract_tthc

    def page(name: str, x: int) -> OcrPage:
        return _page(
            _line("KT. BỘ TRƯỞNG", 1500, 480),
            _line("Nơi nhận:", 340, 500),
            _line("THỨ TRƯỞNG", 1520, 540),
            _line("- Như trên;", 340, 560),
            _line(name, x, 800),
        )

    lost = extract_tthc(page("Kiều Anh", 1700), threshold=0.0, calibration=packaged())
    field = lost.fields["nguoi_ky"]
    assert field.value == "Kiều Anh" and field.needs_review
    assert any(OFF_CENTRE_NOTE in p for p in field.provenance)
    whole = extract_tthc(page("Trịnh Kiều Anh", 1470), threshold=0.0, calibration=packaged())
    assert not any(OFF_CENTRE_NOTE in p for p in whole.fields["nguoi_ky"].provenance)


def test_tone_marks_of_a_unit_name_in_an_issuer_line_come_back_from_the_gazetteer() -> None:
    from pipeline.extract.bodies import restore_marks

    assert restore_marks("UBND THÀNH PHỐ CÂN THƠ") == ("UBND THÀNH PHỐ CẦN THƠ", ["CÂN→CẦN"])
    fixed, _ = restore_marks("ỦY BAN NHÂN DÂN TỈNH BÀ RỊA - VỮNG TÀU")
    assert fixed == "ỦY BAN NHÂN DÂN TỈNH BÀ RỊA - VŨNG TÀU"
    # a unit's pair ("ĐAN PHƯỢNG") never respells a body's word beside another spelling
    fixed, _ = restore_marks("ỦY BAN NHÂN DÂN PHƯỜNG LONG XUYỂN")
    assert fixed == "ỦY BAN NHÂN DÂN PHƯỜNG LONG XUYÊN"
    # both words of the pair misread: nothing decides, nothing changes
    assert restore_marks("CÂN THÓ")[1] == []


def test_a_rank_before_the_name_is_part_of_the_centred_line() -> None:
    from pipeline.extract.calibration import packaged
    from pipeline.extract.tthc import OFF_CENTRE_NOTE, extract_tthc

    page = _page(
        _line("KT. TRƯỞNG PHÒNG", 1480, 480),
        _line("Nơi nhận:", 340, 500),
        _line("PHÓ TRƯỞNG PHÒNG", 1460, 540),
        _line("Trung tá Ngô Văn Công", 1420, 800),
    )
    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    assert rec.fields["nguoi_ky"].value == "Ngô Văn Công"
    assert not any(OFF_CENTRE_NOTE in p for p in rec.fields["nguoi_ky"].provenance)


def test_a_number_line_read_as_garble_still_places_the_summary_under_it() -> None:
    """ "số: 049 ,exp" (the symbol unreadable) and "V/w" for "V/v": the summary is found, and
    the number line is kept as read for the clerk."""
    page = _page(
        _line("BỘ XÂY DỰNG", 324, 163),
        _line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 161),
        _line("Độc lập - Tự do - Hạnh phúc", 1420, 214),
        _line("số: 049 ,exp", 309, 260),
        _line("Hà Nội, ngày 27 tháng 12 năm 2023", 1350, 283),
        _line("V/w triển khai công tác phòng,", 213, 334),
        _line("chống thiên tai và tìm kiếm cứu", 199, 376),
        _line("nạn năm 2023", 339, 418),
        _line("Kính gửi: Ủy ban nhân dân các xã, phường, thị trấn.", 516, 497),
    )
    found = {k: v[0] for k, v in decree30.read_header(page).items()}
    assert found["so_ky_hieu"] == "số: 049 ,exp"
    assert found["loai_van_ban"] == "Công văn"
    assert found["trich_yeu"] == (
        "V/v triển khai công tác phòng, chống thiên tai và tìm kiếm cứu nạn năm 2023"
    )
    assert found["co_quan_ban_hanh"] == "BỘ XÂY DỰNG"


def test_a_speck_between_title_lines_is_stepped_over_and_junk_after_them_ends_them() -> None:
    low = _line("ửy T", 1162, 560, height=16)
    page = _page(
        _line("TM. ỦY BAN NHÂN DÂN", 1450, 470),
        _line("Nơi nhận:", 340, 480),
        _line("KT. CHỦ TỊCH", 1560, 520),
        low,
        _line("PHÓ CHỦ TỊCH", 1550, 580),
        _line("“Í - RE)", 1580, 640),
        _line("Huỳnh Hoàng Giang", 1500, 800),
    )
    found = {k: v[0] for k, v in signer_block.read_signer(page).items()}
    assert found["chuc_vu_nguoi_ky"] == "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH"
    assert found["nguoi_ky"] == "Huỳnh Hoàng Giang"


def test_a_name_printed_in_capitals_ends_the_titles() -> None:
    page = _page(
        _line("KT. GIÁM ĐỐC", 1500, 480),
        _line("Nơi nhận:", 340, 500),
        _line("PHÓ GIÁM ĐỐC", 1480, 540),
        _line("- Như trên;", 340, 560),
        _line("NGUYỄN VĂN AN", 1470, 800),
    )
    found = {k: v[0] for k, v in signer_block.read_signer(page).items()}
    assert found["chuc_vu_nguoi_ky"] == "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC"
    assert found["nguoi_ky"] == "NGUYỄN VĂN AN"


def test_body_and_unit_pairs_keep_correct_names() -> None:
    from pipeline.extract.bodies import restore_marks

    for right in (
        "BỘ QUỐC PHÒNG",
        "BAN THI ĐUA KHEN THƯỞNG",
        "BAN ĐẠI DIỆN",
        "ỦY BAN NHÂN DÂN XÃ THƯỢNG BÌNH",
        "UBND PHƯỜNG HOÀNG VĂN THỤ",
    ):
        assert restore_marks(right) == (right, []), right
    fixed, _ = restore_marks("SỞ LAO ĐỘNG - THƯƠNG BINH VA XA HOI")
    assert fixed == "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"


def test_common_titles_pass_the_title_check() -> None:
    from pipeline.extract.tthc import check_title

    for title in ("TỔNG BIÊN TẬP", "HIỆU PHÓ", "CHỦ NHIỆM", "KT. THỦ TƯỚNG PHÓ THỦ TƯỚNG"):
        assert check_title(title).ok, title


class _Engine:
    """A fake OCR engine (beside the real-Tesseract test above): returns the lines it is given."""

    def __init__(self, lines: list[OcrLine]) -> None:
        self.lines = lines
        self.calls = 0

    def read(self, image, **_: object):  # noqa: ANN001, ANN201 - the port's shape
        from pipeline.signer_lines import _Reread

        self.calls += 1
        return _Reread(OcrPage(width=800, height=400, lines=self.lines), "")


def _clean_page(tmp_path, colours):  # noqa: ANN001, ANN202
    import numpy as np

    from pipeline.imaging.clean import CleanPage
    from schemas.models import PageQuality

    gray = np.full((H, W), 255, np.uint8)
    gray[470:600, 1450:1800] = 0  # the titles' ink
    quality = PageQuality(
        dpi=300, sharpness=1, ink_ratio=0.01, paper_level=250, ink_level=10,
        line_height_px=40, border_fraction=0,
    )  # fmt: skip
    return CleanPage(
        gray=gray, path=tmp_path / "p.png", dpi=300, orientation=0, osd_confidence=1,
        skew=0, quality=quality, seconds=0, colours=colours,
    )  # fmt: skip


def test_a_pen_reading_that_loses_the_titles_keeps_the_pages_and_blue_print_is_no_pen(
    tmp_path,
) -> None:
    import numpy as np

    from pipeline.config import ProcessOptions
    from pipeline.imaging.ink import BLUE
    from pipeline.signer_lines import _Reread, with_signer_lines

    page = _page(
        _line("KT. GIÁM ĐỐC", 1500, 480),
        _line("Nơi nhận:", 340, 500),
        _line("PHÓ GIÁM ĐỐC", 1480, 540),
        _line("- Như trên;", 340, 560),
        _line("Lê Văn Tám", 1500, 800),
    )
    ocr = _Reread(page, "")
    pen = np.zeros((H, W), np.uint8)
    pen[600:620, 1400:1700] = BLUE  # a signature under the titles
    empty = _Engine([])  # the re-read finds nothing: the page's titles stay
    out = with_signer_lines(ocr, _clean_page(tmp_path, pen), empty, ProcessOptions(), tmp_path)
    assert empty.calls == 1 and out is ocr
    printed = np.zeros((H, W), np.uint8)
    printed[:, :] = BLUE  # the whole page printed in blue (a ribbon): no pen to lift
    blue = _Engine([])
    out = with_signer_lines(ocr, _clean_page(tmp_path, printed), blue, ProcessOptions(), tmp_path)
    assert blue.calls == 0 and out is ocr
