"""Reading letters as offices print them: signer blocks under seals, misread labels, annexes."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from pipeline.documents import PageInfo, signed_page
from pipeline.extract import bodies, decree30, signer_titles
from pipeline.extract.calibration import packaged
from pipeline.extract.kinds import KIND_REGISTER, detect_kind
from pipeline.extract.respell import recipient_item
from pipeline.extract.signer_block import is_clean_title, looks_like_name, title_parts
from pipeline.extract.tthc import UNTITLED_NOTE, check_issuer, check_title, extract_tthc
from pipeline.ports import LineReading
from schemas.models import BBox
from tests.test_documents import H, W, _page


@pytest.mark.parametrize("text", ["Nơi nhận:", "Nơt nhận:", "Noi nhân:", "Nơi nhậu :"])
def test_the_recipients_label_is_found_with_one_letter_misread(text: str) -> None:
    assert decree30.is_recipients_label(text)


@pytest.mark.parametrize("text", ["Nơi ở: xã An Bình", "- Như trên;", "Người nhận thay: ông"])
def test_other_lines_are_no_recipients_label(text: str) -> None:
    assert not decree30.is_recipients_label(text)


def test_a_misread_label_still_ends_the_document_and_places_its_signer() -> None:
    page = _page(
        ("phối hợp thực hiện./.", 340, 300),
        ("Nơt nhận:", 340, 500),
        ("GIÁM ĐỐC", 1500, 480),
        ("- Như trên;", 340, 560),
        ("BS. Vũ Diễm Uyên", 1420, 900),
    )
    assert decree30.ends_document(page)
    rec = extract_tthc(page, threshold=0.9, calibration=packaged())
    assert rec.fields["nguoi_ky"].value == "Vũ Diễm Uyên"
    assert rec.fields["noi_nhan"].value == "Như trên"


def _info(n: int, *, ends: bool = False, annex: bool = False) -> PageInfo:
    return PageInfo(n, f"p{n}", "tthc", [], ends=ends, annex=annex)


def test_the_signed_page_is_the_one_before_an_annex_when_no_page_shows_its_end() -> None:
    assert signed_page([_info(1), _info(2, annex=True), _info(3)]) == 1
    assert signed_page([_info(1), _info(2), _info(3, annex=True)]) == 2
    assert signed_page([_info(1), _info(2, ends=True), _info(3, annex=True)]) == 2
    assert signed_page([_info(1), _info(2)]) == 2
    annex = _page(("PHỤ LỤC", 1150, 200), ("Danh sách thành viên", 1000, 260))
    assert decree30.is_annex(annex)
    assert not decree30.is_annex(_page(("phụ lục này được lập", 340, 2000)))


def test_a_name_with_no_title_above_is_no_confident_signer() -> None:
    table = _page(
        ("STT Họ và tên Nhiệm vụ", 340, 400),
        ("1 Tạ Huệ Hồng Tổ trưởng", 340, 460),
        ("Lê Minh Hương", 340, 520),
    )
    field = extract_tthc(table, threshold=0.0, calibration=packaged()).fields["nguoi_ky"]
    assert field.needs_review and UNTITLED_NOTE in field.provenance
    signed = _page(("GIÁM ĐỐC", 1500, 480), ("Lê Minh Hương", 1480, 900))
    field = extract_tthc(signed, threshold=0.0, calibration=packaged()).fields["nguoi_ky"]
    assert UNTITLED_NOTE not in field.provenance


# readings of seal-crossed title lines (the page's, then a second reader's), from bilevel scans
DEPUTY = [["K†/FRƯỞNGĐMÒNG", "XỸ,TRƯỞNGPHÒNG"], ["hHÓ TR ÿNG KhÒNG", "PHỎ TRƯỞNG,PHÒNG"]]
BY_ORDER = [["f§lJ. TRƯỜNG PHÒNG", "TƯỜ, TRƯỜNG PHÒNG"], ["` Átj# VÀ PHÒNG", "PHÁNH VĂN PHÒNG"]]


def test_garbled_title_lines_match_the_block_the_grammar_allows() -> None:
    assert signer_titles.match_block(DEPUTY) == ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"]
    # "PHÁNH VĂN PHÒNG" is as near "PHÓ CHÁNH VĂN PHÒNG": unsure; a clear second line decides
    assert signer_titles.match_block(BY_ORDER) is None
    by_order = [BY_ORDER[0], [*BY_ORDER[1], "CHÁNH VĂN PHÒNG"]]
    assert signer_titles.match_block(by_order) == ["TUQ. TRƯỞNG PHÒNG", "CHÁNH VĂN PHÒNG"]
    clean = [["TM. ỦY BAN NHÂN DÂN"], ["KT. CHỦ TỊCH"], ["PHÓ CHỦ TỊCH"]]
    assert signer_titles.match_block(clean) == [t[0] for t in clean]
    # a seal's ring read as specks is stepped over
    assert signer_titles.match_block([["VN S"], *DEPUTY]) == signer_titles.match_block(DEPUTY)


@pytest.mark.parametrize(
    "readings",
    [
        [["Kừ MMAN DAN"]],  # too garbled to decide
        [["VÀ VN"]],  # nothing but specks
        [["PHÓ GIÁM ĐỐC"], ["GIÁM ĐỐC"]],  # no block: a head under a deputy
        [["TM. ỦY BAN NHÂN DÂN"], ["PHO CHU TỊCH"]],  # "KT. CHỦ TỊCH" between them not read
        [["A"], ["B"], ["C"], ["D"], ["TRƯỞNG PHÒNG X"], ["Y Z W"], ["GIÁM ĐỐC"], ["CHỦ TỊCH"]],
    ],
)
def test_readings_that_match_no_block_clearly_are_left_as_read(readings: list[list[str]]) -> None:
    assert signer_titles.match_block(readings) is None


def _signer_page(*titles: tuple[str, int, int]):
    return _page(
        ("phối hợp thực hiện./.", 340, 300),
        ("Nơi nhận:", 340, 500),
        *titles,
        ("- Như trên;", 340, 560),
        ("- Lưu: VT.", 340, 620),
        ("Vũ Nhật Lệ", 1480, 900),
    )


def test_a_garbled_title_is_matched_for_review_with_the_second_readers_lines() -> None:
    page = _signer_page(("K†/FRƯỞNGĐMÒNG", 1450, 470), ("hHÓ TR ÿNG KhÒNG", 1440, 530))
    assert [p.text for p in title_parts(page)] == ["K†/FRƯỞNGĐMÒNG", "hHÓ TR ÿNG KhÒNG"]
    second = dict(zip([p.bbox for p in title_parts(page)], [r[1] for r in DEPUTY], strict=True))

    def read(box: BBox) -> LineReading:
        return LineReading(text=second[box], confidence=0.5, engine="test")

    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    (out,) = signer_titles.with_matched_titles([rec], page, read)
    field = out.fields["chuc_vu_nguoi_ky"]
    assert field.value == "KT. TRƯỞNG PHÒNG PHÓ TRƯỞNG PHÒNG"
    assert field.needs_review and signer_titles.MATCHED_NOTE in field.provenance
    assert field.raw  # what was read stays shown


def test_a_prefix_the_reading_dropped_as_junk_is_matched_back() -> None:
    page = _signer_page(("f§lJ. TRƯỜNG PHÒNG", 1450, 470), ("CHÁNH VĂN PHÒNG", 1440, 530))
    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    assert rec.fields["chuc_vu_nguoi_ky"].value == "TRƯỞNG PHÒNG CHÁNH VĂN PHÒNG"  # no block
    (out,) = signer_titles.with_matched_titles([rec], page, None)
    field = out.fields["chuc_vu_nguoi_ky"]
    assert field.needs_review and field.value.endswith(" TRƯỞNG PHÒNG CHÁNH VĂN PHÒNG")
    assert field.value.split()[0] in ("TL.", "TUQ.")  # the letter left of it decides
    assert "TRƯỞNG PHÒNG CHÁNH VĂN PHÒNG" in field.alternatives  # the reading is still offered


def test_a_title_read_whole_is_never_matched_away() -> None:
    page = _signer_page(("TL. GIÁM ĐỐC", 1500, 470), ("TRƯỞNG PHÒNG TƯ PHÁP", 1440, 530))
    assert is_clean_title("TRƯỞNG PHÒNG TƯ PHÁP") and not is_clean_title("N DÂN")
    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    assert rec.fields["chuc_vu_nguoi_ky"].value == "TL. GIÁM ĐỐC TRƯỞNG PHÒNG TƯ PHÁP"
    (out,) = signer_titles.with_matched_titles([rec], page, None)
    assert out == rec


@pytest.mark.parametrize(
    ("read", "known"),
    [
        ("SỞ THÔNG TIN VÀ TRU YÊN THÔNG", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"),
        ("PHÒNG V TẾ", "PHÒNG Y TẾ"),
    ],
)
def test_an_issuer_with_a_garbled_word_is_the_known_body_for_review(read: str, known: str) -> None:
    checked = check_issuer(read)
    assert checked.value == known and not checked.ok and read in checked.note
    assert check_title("Q. CỤC TRƯỞNG").value == "Q. CỤC TRƯỞNG"  # a title is no body


@pytest.mark.parametrize(
    "read", ["PHÒNG TƯ PHÁP", "ỦY BAN NHÂN DÂN XÃ MƯỜNG TO ONG", "F. N H8)", "SỞ TƯ PHÁP"]
)
def test_an_issuer_read_whole_or_naming_a_unit_is_not_matched_away(read: str) -> None:
    assert bodies.match_body(read) is None


@pytest.mark.parametrize(
    "text",
    ["Đặng Hữu Điệp", "Giàng Seo Phử", "Y Moan Ênuôl", "Ksor Phước", "Kpă Lanh", "Rmah Dừ"],
)
def test_a_name_under_a_signature_is_spelled_in_syllables(text: str) -> None:
    assert looks_like_name(text)


@pytest.mark.parametrize("text", ["L CH", "Nguyẽrrkhánh Quỳnh", "F Tung"])
def test_strokes_read_as_letters_are_no_name(text: str) -> None:
    assert not looks_like_name(text)


def _two_lines_under_a_ring(tops: tuple[int, ...] = (470, 530)) -> tuple[np.ndarray, list[int]]:
    """A page with printed lines in its signer block, a seal's ring over them."""
    gray = np.full((H, W), 255, np.uint8)
    for top in tops:
        cv2.putText(gray, "KT. TRUONG PHONG", (1430, top + 36), cv2.FONT_HERSHEY_DUPLEX, 1.5, 0, 4)
    cv2.circle(gray, (1580, 520), 150, 0, 4)
    return gray, list(tops)


def test_text_lines_are_found_in_the_pixels_under_a_seals_ring() -> None:
    gray, tops = _two_lines_under_a_ring()
    lines = signer_titles.text_lines(gray, (1300, 380, 700, 380), 40)
    assert len(lines) == 2
    for (_, y, _, h), top in zip(lines, tops, strict=True):
        assert y <= top + 20 < y + h


def test_title_lines_the_reading_lost_are_read_again_from_the_pixels() -> None:
    gray, tops = _two_lines_under_a_ring()
    page = _signer_page(("VN S", 1450, 500))  # the page's reading kept only ring specks
    texts = {tops[0]: "XỸ,TRƯỞNGPHÒNG", tops[1]: "PHỎ TRƯỞNG,PHÒNG"}

    read = _reader(texts)

    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    (alone,) = signer_titles.with_matched_titles([rec], page, read)
    assert alone == rec  # the page's lines hold no title to match
    (out,) = signer_titles.with_matched_titles([rec], page, read, gray)
    assert out.fields["chuc_vu_nguoi_ky"].value == "KT. TRƯỞNG PHÒNG PHÓ TRƯỞNG PHÒNG"
    assert out.fields["chuc_vu_nguoi_ky"].needs_review


def _reader(texts: dict[int, str]) -> Callable[[BBox], LineReading]:
    """A second reader that reads ``texts[top]`` in a box around the line printed at ``top``."""

    def read(box: BBox) -> LineReading:
        middle = box[1] + box[3] / 2
        near = [text for top, text in texts.items() if abs(top + 22 - middle) < 12]
        return LineReading(text=near[0] if near else "", confidence=0.4, engine="test")

    return read


def test_a_whole_title_that_lost_a_line_is_completed_from_the_pixels() -> None:
    gray, tops = _two_lines_under_a_ring((470, 530, 590))
    page = _signer_page(("TM. ỦY BAN NHÂN DÂN", 1400, 470), ("PHÓ CHỦ TỊCH", 1480, 590))
    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    assert rec.fields["chuc_vu_nguoi_ky"].value == "TM. ỦY BAN NHÂN DÂN PHÓ CHỦ TỊCH"
    lines = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    read = _reader(dict(zip(tops, lines, strict=True)))
    (out,) = signer_titles.with_matched_titles([rec], page, read, gray)
    value = out.fields["chuc_vu_nguoi_ky"].value
    assert value == "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH"


def test_a_whole_title_is_never_changed_by_what_the_pixels_match() -> None:
    gray, tops = _two_lines_under_a_ring()
    page = _signer_page(("TL. GIÁM ĐỐC", 1500, 470), ("TRƯỞNG PHÒNG TƯ PHÁP", 1440, 530))
    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    lost = ["TL. GIÁM ĐỐC", "TRƯỞNG PHÒNG"]  # the second reader lost words
    read = _reader(dict(zip(tops, lost, strict=True)))
    (out,) = signer_titles.with_matched_titles([rec], page, read, gray)
    assert out.fields["chuc_vu_nguoi_ky"].value == "TL. GIÁM ĐỐC TRƯỞNG PHÒNG TƯ PHÁP"


def test_a_summarys_last_word_read_in_capitals_stays_in_the_summary() -> None:
    page = _page(
        ("UBND HUYỆN ĐIỆN BIÊN ĐÔNG", 200, 150),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1250, 150),
        ("PHÒNG Y TẾ", 330, 205),
        ("Độc lập - Tự do - Hạnh phúc", 1420, 205),
        ("Số: 1093/TTr-PYT", 280, 300),
        ("Điện Biên Đông, ngày 17 tháng 8 năm 2017", 1250, 300),
        ("TỜ TRÌNH", 1130, 420),
        ("Đề nghị ban hành Kế hoạch góp ý dự thảo", 700, 480),
        ("VIỆC", 1180, 535),
        ("Kính gửi: Ủy ban nhân dân huyện", 800, 640),
    )
    rec = extract_tthc(page, threshold=0.9, calibration=packaged())
    assert rec.fields["trich_yeu"].value == "Đề nghị ban hành Kế hoạch góp ý dự thảo việc"
    assert rec.fields["trich_yeu"].needs_review  # lowered from "VIỆC": a repair, for review
    ended = _page(
        *[
            (t, x, y)
            for t, x, y in [
                ("TỜ TRÌNH", 1130, 420),
                ("Đề nghị ban hành Kế hoạch góp ý dự thảo.", 700, 480),
                ("QUYẾT", 1180, 535),
            ]
        ]
    )
    summary = extract_tthc(ended, threshold=0.9, calibration=packaged()).fields["trich_yeu"]
    assert "QUYẾT" not in (summary.value or "") and "quyết" not in (summary.value or "")


def test_a_ruled_annex_is_part_of_its_letter_not_a_register_page() -> None:
    rows = [(f"{i} Kiểm tra, giám sát tại cơ sở Quý {i}/2020", 340, 600 + 60 * i) for i in range(8)]
    annex = _page(("PHỤ LỤC", 1150, 200), ("(Kèm theo Công văn số 423/STTTT)", 800, 330), *rows)
    assert detect_kind(annex, ruled_lines=12) != KIND_REGISTER
    assert detect_kind(_page(*rows), ruled_lines=12) == KIND_REGISTER


def test_a_ministers_deputy_is_a_thu_truong_not_a_head_of_anything() -> None:
    minister = [["K1 BỘ TRƯỞNG"], ["THỦ TRƯỞNG"]]  # "KT. BỘ TRƯỞNG / THỨ TRƯỞNG", tones slipped
    assert signer_titles.match_block(minister) == ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"]


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("Giám đốc Sở (đề bíc)", "Giám đốc Sở (để b/c)"),
        ("Giám đốc Sở (để bc)", "Giám đốc Sở (để b/c)"),
        ("UBND tỉnh (để h/C)", "UBND tỉnh (để b/c)"),
        ("UBND tỉnh (đề bí/c)", "UBND tỉnh (để b/c)"),
        ("[Lưu VT, UBND", "Lưu VT, UBND"),
        ("Như Điều3", "Như Điều 3"),
        ("UBND tỉnh (để biết)", "UBND tỉnh (để biết)"),  # another remark stays
    ],
)
def test_the_recipients_conventional_words_are_put_back(read: str, fixed: str) -> None:
    assert recipient_item(read)[0] == fixed


def test_review_findings_hold() -> None:
    # a title read whole is only ever completed, even with a seal's specks beside it
    page = _signer_page(("TRƯỞNG CÔNG AN XÃ", 1480, 470), ("KẾ HO", 1400, 750))
    rec = extract_tthc(page, threshold=0.0, calibration=packaged())
    (out,) = signer_titles.with_matched_titles([rec], page, None)
    assert out.fields["chuc_vu_nguoi_ky"].value == "TRƯỞNG CÔNG AN XÃ"
    # a register form's template line is no annex
    form = _page(("(Kèm theo Thông tư số 08.a/2010/TT-BTP)", 800, 200))
    assert not decree30.is_annex(form)
    # "Tôi nhận:" is no "Nơi nhận:"
    assert not decree30.is_recipients_label("Tôi nhận: hồ sơ")
    # no line height, no lines (and no division by zero)
    assert signer_titles.text_lines(np.zeros((50, 50), np.uint8), (0, 0, 50, 50), 0) == []
    # pages numbered with a gap: the page before the annex is the one listed before it
    assert signed_page([_info(3), _info(5), _info(8, annex=True)]) == 5


def test_an_acronym_under_a_summary_is_left_as_printed() -> None:
    page = _page(
        ("TỜ TRÌNH", 1130, 420),
        ("Về việc báo cáo kết quả của", 700, 480),
        ("UBND", 1180, 535),
    )
    value = extract_tthc(page, threshold=0.9, calibration=packaged()).fields["trich_yeu"].value
    assert "ubnd" not in (value or "")
