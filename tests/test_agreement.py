"""Two readings of one fact that agree raise both fields' confidence; nothing else does."""

from __future__ import annotations

import pytest

from pipeline.extract.agreement import agree, confirm, id_matches
from schemas.models import FieldValue

THRESHOLD = 0.9


def probability(sig: dict[str, float]) -> float:
    """A stand-in model: only agreement makes a field sure."""
    return 0.95 if sig.get("agree") else 0.6


def field(value: str | None, **signals: float) -> FieldValue:
    sig = {"valid": 1.0, **signals}
    return FieldValue(
        value=value, raw=value or "", confidence=0.6, needs_review=True, provenance=[], signals=sig
    )


@pytest.mark.parametrize(
    ("pid", "sex", "year", "want"),
    [
        ("001094012345", "Nam", 1994, True),
        ("001194012345", "Nữ", 1994, True),
        ("001203012345", "Nam", 2003, True),
        ("001303012345", "Nữ", 2003, True),
        ("001094012345", "Nữ", 1994, False),
        ("001094012345", "Nam", 1995, False),
        ("001203012345", "Nam", 1903, False),
        ("00109401234", "Nam", 1994, None),
        ("001094012345", None, 1994, None),
    ],
)
def test_personal_id_encodes_sex_and_year(pid, sex, year, want):
    assert id_matches(pid, sex, year) is want


def test_confirm_clears_a_field_flagged_only_for_confidence():
    out = confirm(field("Nam"), "x", probability=probability, threshold=THRESHOLD)
    assert out.confidence == 0.95 and not out.needs_review and out.signals["agree"] == 1.0


@pytest.mark.parametrize(
    "bad",
    [
        field("Nguyễn Văn A", repaired=1.0),
        FieldValue(value="x", raw="x", confidence=0.6, needs_review=True, signals={"valid": 0.0}),
        field(None),
    ],
)
def test_confirm_never_clears_invalid_empty_or_repaired_fields(bad):
    assert confirm(bad, "x", probability=probability, threshold=THRESHOLD).needs_review


def test_birth_record_agreements():
    fields = {
        "so_dinh_danh": field("001094012345"),
        "gioi_tinh": field("Nam"),
        "ngay_sinh": field("1994-05-18"),
        "nguoi_di_khai": field("Lê Văn Nhượng"),
        "ho_ten_cha": field("LÊ VĂN NHƯỢNG"),
        "ho_ten_me": field("Trần Thị Hậu"),
        "noi_cu_tru_me": field("Xóm 8, xã Cẩm Lĩnh"),
        "noi_cu_tru_cha": field("Xóm 8, xã Cẩm Lĩnh"),
        "quyen_so": field("01/1994"),
        "ngay_dang_ky": field("1994-06-01"),
    }
    agree(
        fields,
        probability=probability,
        threshold=THRESHOLD,
        declarant="nguoi_di_khai",
        parents=("ho_ten_cha", "ho_ten_me"),
        same_places=(("noi_cu_tru_me", "noi_cu_tru_cha"),),
    )
    unconfirmed = {k for k, f in fields.items() if f.needs_review}
    # the dates share only their year with the ID and the book number: not confirmed by them
    assert unconfirmed == {"ho_ten_me", "ngay_sinh", "ngay_dang_ky"}


def test_disagreeing_readings_confirm_nothing():
    fields = {
        "so_dinh_danh": field("001194012345"),  # a woman's number
        "gioi_tinh": field("Nam"),
        "ngay_sinh": field("1994-05-18"),
        "quyen_so": field("01/1995"),
        "ngay_dang_ky": field("1994-06-01"),
        "noi_cu_tru_chong": field("xã A"),
        "noi_cu_tru_vo": field("xã B"),
    }
    agree(
        fields,
        probability=probability,
        threshold=THRESHOLD,
        same_places=(("noi_cu_tru_chong", "noi_cu_tru_vo"),),
    )
    assert all(f.needs_review for f in fields.values())


def test_implied_sex_of_husband_and_wife():
    fields = {"so_dinh_danh_vo": field("001196012345"), "ngay_sinh_vo": field("1996-01-01")}
    agree(
        fields,
        probability=probability,
        threshold=THRESHOLD,
        person=(("so_dinh_danh_vo", "=Nữ", "ngay_sinh_vo"),),
    )
    assert not fields["so_dinh_danh_vo"].needs_review
    assert fields["ngay_sinh_vo"].needs_review  # the ID carries the year of birth, not the day
