from __future__ import annotations

from pipeline.extract.calibration import packaged
from pipeline.extract.forms import extract_birth
from pipeline.extract.kinds import KIND_BIRTH, KIND_REGISTER, KIND_TTHC, detect_kind, formation_year
from pipeline.extract.labels import fold
from pipeline.extract.tthc import extract_tthc
from schemas.models import BIRTH_FIELDS, TTHC_FIELDS
from tests.fakes import page_from_lines

BIRTH = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "TRÍCH LỤC KHAI SINH",
    "Số: 123 Quyển số: 01/2018",
    "Họ, chữ đệm, tên: NGUYỄN VĂN AN",
    "Ngày, tháng, năm sinh: 15/03/2018",
    "ghi bằng chữ: Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám",
    "Giới tính: Nam Dân tộc: Kinh Quốc tịch: Việt Nam",
    "Nơi sinh: Bệnh viện Đa khoa tỉnh Hà Giang",
    "Quê quán: xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang",
    "Số định danh cá nhân: 002218001234",
    "Họ, chữ đệm, tên người mẹ: Trần Thị Hoa",
    "Năm sinh: 1990 Dân tộc: Tày Quốc tịch: Việt Nam",
    "Nơi cư trú: thôn Làng Khòe, xã Phú Linh",
    "Họ, chữ đệm, tên người cha: Nguyễn Văn Bình",
    "Năm sinh: 1988 Dân tộc: Kinh Quốc tịch: Việt Nam",
    "Nơi cư trú: tổ 5, phường Minh Khai, thành phố Hà Giang",
    "Họ, chữ đệm, tên người đi khai sinh: Nguyễn Văn Bình",
    "Nơi đăng ký khai sinh: UBND xã Phú Linh",
    "Ngày, tháng, năm đăng ký: 20/03/2018",
]


def test_fold_removes_marks_and_punctuation():
    assert fold("Họ, chữ đệm, tên:") == "ho chu dem ten"
    assert fold("ĐĂNG KÝ") == "dang ky"


def test_birth_extract_fields_including_repeated_sub_labels():
    rec = extract_birth(page_from_lines(BIRTH), threshold=0.8, calibration=packaged())
    got = {k: v.value for k, v in rec.fields.items()}
    assert set(got) == set(BIRTH_FIELDS)
    assert got["so"] == "123" and got["quyen_so"] == "01/2018"
    assert got["ho_ten"] == "NGUYỄN VĂN AN"
    assert got["ngay_sinh"] == "2018-03-15" and got["ngay_dang_ky"] == "2018-03-20"
    assert got["gioi_tinh"] == "Nam" and got["dan_toc"] == "Kinh" and got["quoc_tich"] == "Việt Nam"
    assert got["dan_toc_me"] == "Tày" and got["nam_sinh_me"] == "1990"
    assert got["dan_toc_cha"] == "Kinh" and got["nam_sinh_cha"] == "1988"
    assert got["noi_cu_tru_me"] == "thôn Làng Khòe, xã Phú Linh"
    assert got["noi_cu_tru_cha"].startswith("tổ 5")
    assert got["so_dinh_danh"] == "002218001234"
    assert got["nguoi_di_khai"] == "Nguyễn Văn Bình"
    assert got["noi_dang_ky"] == "UBND xã Phú Linh"
    assert not rec.needs_review
    assert formation_year(rec) == 2018
    assert "khớp ngày ghi bằng chữ" in rec.fields["ngay_sinh"].provenance


def test_low_confidence_word_sends_field_to_review():
    """At the calibrated auto-accept threshold, one badly read word holds the field back."""
    threshold = packaged().threshold
    rec = extract_birth(
        page_from_lines(BIRTH, low={"Hoa": 0.31}), threshold=threshold, calibration=packaged()
    )
    assert rec.fields["ho_ten_me"].needs_review
    assert not rec.fields["ho_ten_cha"].needs_review
    assert rec.fields["ho_ten_me"].confidence < rec.fields["ho_ten_cha"].confidence


def test_invalid_values_and_cross_checks_go_to_review():
    lines = [
        ln.replace("15/03/2018", "16/03/2018")
        .replace("002218001234", "0022180")
        .replace("20/03/2018", "10/03/2018")
        for ln in BIRTH
    ]
    rec = extract_birth(page_from_lines(lines), threshold=0.5, calibration=packaged())
    assert rec.fields["ngay_sinh"].needs_review  # differs from the date in words
    assert rec.fields["so_dinh_danh"].needs_review and rec.fields["so_dinh_danh"].value is None
    assert rec.fields["ngay_dang_ky"].needs_review  # registered before birth


def test_missing_label_gives_empty_field_for_review():
    lines = [ln for ln in BIRTH if not ln.startswith("Quê quán")]
    rec = extract_birth(page_from_lines(lines), threshold=0.8, calibration=packaged())
    assert rec.fields["que_quan"].value is None and rec.fields["que_quan"].needs_review


def test_ocr_slips_in_labels_still_match():
    lines = [
        ln.replace("Nơi cư trú:", "Nơi cư tru:").replace("Giới tính:", "Giởi tính:") for ln in BIRTH
    ]
    rec = extract_birth(page_from_lines(lines), threshold=0.8, calibration=packaged())
    assert rec.fields["noi_cu_tru_me"].value == "thôn Làng Khòe, xã Phú Linh"
    assert rec.fields["gioi_tinh"].value == "Nam"


TTHC = [
    "UBND TỈNH HÀ GIANG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "SỞ NỘI VỤ",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 215/QĐ-SNV",
    "Hà Giang, ngày 5 tháng 3 năm 2018",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy phép thành lập hội",
    "Căn cứ Luật Tổ chức chính quyền địa phương;",
    "Điều 1. Cấp giấy phép cho ông Lê Văn Hùng.",
    "GIÁM ĐỐC",
    "Phạm Thị Lan",
]


def test_tthc_fields():
    rec = extract_tthc(page_from_lines(TTHC, x0=150), threshold=0.8, calibration=packaged())
    got = {k: v.value for k, v in rec.fields.items()}
    assert set(got) == set(TTHC_FIELDS)
    assert got["so_ky_hieu"] == "215/QĐ-SNV"
    assert got["ngay_ban_hanh"] == "2018-03-05"
    assert got["dia_danh"] == "Hà Giang"
    assert got["co_quan_chu_quan"] == "UBND TỈNH HÀ GIANG"
    assert got["co_quan_ban_hanh"] == "SỞ NỘI VỤ"
    assert got["loai_van_ban"] == "Quyết định"
    assert got["trich_yeu"] == "Về việc cấp giấy phép thành lập hội"
    assert got["nguoi_ky"] == "Phạm Thị Lan"
    assert formation_year(rec) == 2018


def test_detect_kind():
    assert detect_kind(page_from_lines(BIRTH)) == KIND_BIRTH
    assert detect_kind(page_from_lines(TTHC)) == KIND_TTHC
    assert (
        detect_kind(
            page_from_lines(["SỔ ĐĂNG KÝ KHAI SINH", "Số Họ và tên"]),
            hint="khai_sinh",
            ruled_lines=12,
        )
        == KIND_REGISTER
    )


def test_impossible_dates_and_book_years_are_refused() -> None:
    """ "2903" for "2003" (a digit misread) is shown to a clerk, never accepted."""
    from pipeline.extract.fields import check_field

    for raw in ("10/06/2903", "ngày 04 tháng 11 năm 2924", "01/01/1700"):
        c = check_field("ngay_dang_ky", raw)
        assert c.value is not None and not c.ok, raw
    assert check_field("ngay_sinh", "15/03/1990").ok
    assert not check_field("quyen_so", "02/2093").ok and check_field("quyen_so", "02/2003").ok


def test_names_read_in_mixed_case_are_title_cased() -> None:
    from pipeline.extract.fields import check_field

    assert check_field("ho_ten", "Nguyễn KiẾt Trinh").value == "Nguyễn Kiết Trinh"
    assert check_field("ho_ten", "NGUYỄN VĂN AN").value == "NGUYỄN VĂN AN"
    assert check_field("ho_ten", "H'Hen Niê").value == "H'Hen Niê"


def test_every_field_family_is_a_calibration_input() -> None:
    from pipeline.extract.calibration import SIGNALS
    from pipeline.extract.signals import FAMILIES, field_family

    assert [s.removeprefix("is_") for s in SIGNALS if s.startswith("is_")] == list(FAMILIES)
    assert field_family("ho_ten_me") == "name" and field_family("noi_sinh") == "place"
    assert field_family("gioi_tinh") == "sex" and field_family("ngay_dang_ky") == "date"
    assert field_family("so_dinh_danh_vo") == "pid" and field_family("quyen_so") == "number"


def test_given_names_outside_the_lists_lower_the_reference_fit() -> None:
    from pipeline.extract.signals import reference_fit

    assert reference_fit("ho_ten", "Nguyễn Thị Hồng Xuân")[0] == 1.0
    assert reference_fit("ho_ten", "Nguyễn Thị Hông Xuân")[0] < 1.0  # "Hông": a misread Hồng
    assert reference_fit("ho_ten", "Xyz Văn An")[0] < reference_fit("ho_ten", "Lê Văn Zzz")[0]


def test_personal_id_with_an_unknown_province_code_is_refused() -> None:
    """The first three digits are the province code: "081…" for "001…" is a misread."""
    from pipeline.extract.fields import check_field

    bad = check_field("so_dinh_danh_chong", "081097296609")
    assert bad.value == "081097296609" and not bad.ok and "081" in bad.note
    assert check_field("so_dinh_danh_chong", "001097296609").ok


def test_registration_long_after_the_event_sends_both_dates_to_review() -> None:
    """Registered six years after birth: a late registration or a misread digit — a clerk looks."""
    from pipeline.extract.fields import check_registration_delay
    from schemas.models import FieldValue

    def date_field(value: str) -> FieldValue:
        return FieldValue(value=value, raw=value, confidence=0.999, needs_review=False)

    fields = {"ngay_sinh": date_field("2001-10-20"), "ngay_dang_ky": date_field("2007-11-09")}
    check_registration_delay(fields)
    assert fields["ngay_sinh"].needs_review and fields["ngay_dang_ky"].needs_review
    assert "kiểm tra" in fields["ngay_sinh"].provenance[-1]
    on_time = {"ngay_sinh": date_field("2007-10-20"), "ngay_dang_ky": date_field("2007-11-09")}
    check_registration_delay(on_time)
    assert not on_time["ngay_sinh"].needs_review and not on_time["ngay_dang_ky"].needs_review
    # a death register: the deceased's birth is decades before; the death date is the event
    death = {
        "ngay_sinh": date_field("1930-01-01"),
        "ngay_chet": date_field("2001-05-02"),
        "ngay_dang_ky": date_field("2001-05-10"),
    }
    check_registration_delay(death)
    assert not any(f.needs_review for f in death.values())


def test_tthc_number_and_place_date_read_as_one_line() -> None:
    """ "Số: 58/QĐ-STP Lào Cai, ngày …": the number is not part of the place."""
    lines = [*TTHC[:4], "Số: 215/QĐ-SNV Hà Giang, ngày 5 tháng 3 năm 2018", *TTHC[6:]]
    rec = extract_tthc(page_from_lines(lines, x0=150), threshold=0.8, calibration=packaged())
    assert rec.fields["so_ky_hieu"].value == "215/QĐ-SNV"
    assert rec.fields["dia_danh"].value == "Hà Giang"
    assert rec.fields["ngay_ban_hanh"].value == "2018-03-05"


def test_a_place_cut_short_is_refused() -> None:
    from pipeline.extract.fields import check_field

    for cut in (
        "Ấp 6, xã Vĩnh Trạch, huyện Thoại Sơn, tỉnh",
        "Trạm y tế xã Vĩnh Trạch, huyện Thoại Sơn, tỉnh An",
    ):
        c = check_field("noi_cu_tru", cut)
        assert not c.ok and "bị cắt" in c.note, cut
    assert check_field("noi_cu_tru", "Ấp 6, xã Vĩnh Trạch, huyện Thoại Sơn, tỉnh An Giang").ok
    # a city with no province after it is not cut short
    assert check_field("noi_cu_tru", "phường Lê Lợi, thành phố Vinh").ok


def test_label_longer_wording_wins_over_a_shorter_exact_one() -> None:
    """ "Nơi cư trú cuối càng:" — its last words are not left at the head of the value."""
    from pipeline.extract.labels import LabelSpec, split_line

    spec = LabelSpec("noi_cu_tru", ("Nơi cư trú cuối cùng", "Nơi cư trú"))
    page = page_from_lines(["Nơi cư trú cuối càng: Thôn 8, xã Ngọc Sơn", "Nơi cư trú: Thôn 9"])
    assert [split_line(ln, [spec])[0].raw for ln in page.lines] == [
        "Thôn 8, xã Ngọc Sơn",
        "Thôn 9",
    ]


def test_tthc_number_and_date_are_never_auto_accepted_on_one_reading() -> None:
    """Offices write the number and the day in by hand after signing (issue 17)."""
    rec = extract_tthc(page_from_lines(TTHC, x0=150), threshold=0.5, calibration=packaged())
    for name in ("so_ky_hieu", "ngay_ban_hanh"):
        f = rec.fields[name]
        assert f.value and f.needs_review, name  # read, kept, sent to the clerk
        assert any("viết tay" in note for note in f.provenance)
    assert not rec.fields["co_quan_ban_hanh"].needs_review  # typed header fields unaffected
