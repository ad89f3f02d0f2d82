"""Fields that confirm each other: two independent readings of one fact that agree.

A page often says a fact twice: the date of birth in digits and in words, the parent who
declared the birth and that parent's own line, a personal ID number whose digits encode the
sex and the year of birth, a book number "01/1994" and the year of registration. When both
readings agree, each field's ``agree`` signal is set and its calibrated confidence is worked
out again; disagreements are left to the validators that flag them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.extract.parsers import name_key
from schemas.models import FieldValue

Probability = Callable[[dict[str, float]], float]


def id_matches(pid: str | None, sex: str | None, birth_year: int | None) -> bool | None:
    """Does a 12-digit personal ID agree with the sex and year of birth? None: cannot tell.

    Digit 4 encodes century and sex (0/1: 1900s man/woman, 2/3: 2000s, 4/5: 2100s, 6/7:
    2200s, 8/9: 1800s) and digits 5–6 the last two digits of the year of birth (Circular
    07/2016/TT-BCA, kept by Decree 137/2015 and its successors).
    """
    if not pid or len(pid) != 12 or not pid.isdigit() or sex not in ("Nam", "Nữ"):
        return None
    code, yy = int(pid[3]), int(pid[4:6])
    century = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 8: 1800, 9: 1800}.get(code)
    if century is None:
        return None
    ok_sex = (code % 2 == 0) == (sex == "Nam")
    if birth_year is None:
        return ok_sex
    return ok_sex and century + yy == birth_year


def confirm(
    field: FieldValue, note: str, *, probability: Probability, threshold: float
) -> FieldValue:
    """The field with its ``agree`` signal set and its confidence recomputed.

    A field that was flagged for anything but a low confidence (invalid, empty, repaired
    from reference data) stays flagged.
    """
    if field.value is None or not field.signals:
        return field
    sig = {**field.signals, "agree": 1.0}
    conf = round(max(0.0, min(1.0, probability(sig))), 4)
    only_unsure = sig.get("valid") == 1.0 and not sig.get("repaired")
    needs_review = field.needs_review if not only_unsure else conf < threshold
    return field.model_copy(
        update={
            "signals": sig,
            "confidence": conf,
            "needs_review": needs_review,
            "provenance": [*field.provenance, note],
        }
    )


def _year(value: str | None) -> int | None:
    return int(value[:4]) if value and value[:4].isdigit() else None


def _same_name(a: FieldValue | None, b: FieldValue | None) -> bool:
    return bool(a and b and a.value and b.value and name_key(a.value) == name_key(b.value))


def agree(
    fields: dict[str, FieldValue],
    *,
    probability: Probability,
    threshold: float,
    person: Sequence[tuple[str, str, str]] = (("so_dinh_danh", "gioi_tinh", "ngay_sinh"),),
    declarant: str | None = None,
    parents: Sequence[str] = (),
    same_places: Sequence[tuple[str, str]] = (),
) -> None:
    """Set ``agree`` on every pair of fields of one record that confirm each other (in place).

    Args:
        fields: the record's fields.
        probability: the calibrated model (signals → probability of being right).
        threshold: auto-accept threshold.
        person: (ID, sex, date of birth) field triples checked against each other; the sex
            may be given as ``"=Nam"``/``"=Nữ"`` when the form implies it (husband, wife).
        declarant: the field naming who declared, confirmed by an equal name in ``parents``.
        parents: name fields the declarant may repeat.
        same_places: pairs of place fields read independently that say the same.
    """

    def ok(name: str, note: str) -> None:
        if name in fields:
            fields[name] = confirm(fields[name], note, probability=probability, threshold=threshold)

    for pid, sex, born in person:
        fixed = sex[1:] if sex.startswith("=") else None
        if pid not in fields or (fixed is None and sex not in fields):
            continue
        said = fixed or fields[sex].value
        birth = fields.get(born)
        if id_matches(fields[pid].value, said, _year(birth.value if birth else None)):
            ok(pid, "khớp giới tính và năm sinh")
            if fixed is None:
                ok(sex, "khớp số định danh")
            # the date of birth is not confirmed: the ID carries its year, not its day

    if declarant and declarant in fields:
        for parent in parents:
            if _same_name(fields[declarant], fields.get(parent)):
                ok(declarant, f"trùng {parent}")
                ok(parent, f"trùng {declarant}")
                break
    for a, b in same_places:
        fa, fb = fields.get(a), fields.get(b)
        if fa and fb and fa.value and fb.value and name_key(fa.value) == name_key(fb.value):
            ok(a, f"trùng {b}")
            ok(b, f"trùng {a}")
    book, reg = fields.get("quyen_so"), fields.get("ngay_dang_ky")
    if book and reg and book.value and reg.value and book.value.endswith(f"/{_year(reg.value)}"):
        # only the year is shared: it confirms the book number, not the day of registration
        ok("quyen_so", "năm của quyển khớp ngày đăng ký")
