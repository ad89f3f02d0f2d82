"""From an OCR page to records: detect the document kind, hand the page to its reader."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from pipeline.extract import decree30
from pipeline.extract.calibration import Calibration, packaged
from pipeline.extract.entry_extras import with_book_extras
from pipeline.extract.fields import check_field, make_field
from pipeline.extract.forms import extract_birth, extract_death, extract_marriage
from pipeline.extract.labels import fold
from pipeline.extract.tables import extract_register
from pipeline.extract.tthc import DOC_TYPES, extract_tthc
from schemas.models import OcrLine, OcrPage, OcrWord, Record

KIND_BIRTH = "khai_sinh"
KIND_TTHC = "tthc"
KIND_REGISTER = "so_khai_sinh"
KIND_UNKNOWN = "unknown"
KIND_MARRIAGE = "ket_hon"
KIND_DEATH = "khai_tu"
#: Kinds ``--schema`` can force.
KINDS = ("khai_sinh", "ket_hon", "khai_tu", "tthc", "so_khai_sinh", "so_ket_hon", "so_khai_tu")
#: Register-book page kinds and the book type of their entries.
REGISTER_KINDS = {KIND_REGISTER: "khai_sinh", "so_ket_hon": "ket_hon", "so_khai_tu": "khai_tu"}

#: One value per kind of reference data the validators and signals consult.
_WARM_UP_VALUES = {
    "noi_sinh": "Trạm y tế xã Quỳnh Lâm, huyện Quỳnh Lưu, tỉnh Nghệ An",
    "dan_toc": "Kinh",
    "quoc_tich": "Việt Nam",
    "ho_ten": "Nguyễn Văn An",
    "ngay_sinh": "15/03/1990",
    "nam_sinh_me": "1965",
}


def warm_up() -> None:
    """Load the reference data (gazetteer, ethnic groups, names, lexicon, calibration) now.

    A long-lived worker pays this once at start rather than on its first page (~0.5 s).
    """
    for name, raw in _WARM_UP_VALUES.items():
        words = [
            OcrWord(text=t, conf=0.9, bbox=(10 * i, 0, 9, 10)) for i, t in enumerate(raw.split())
        ]
        make_field(
            raw,
            words,
            check_field(name, raw),
            threshold=0.99,
            calibration=packaged(),
            why="warm-up",
            name=name,
        )


def detect_kind(page: OcrPage, *, hint: str | None = None, ruled_lines: int = 0) -> str:
    """Tell which kind of document a page is, from its text and ruling."""
    raw_head = " ".join(line.text for line in page.lines[:12])
    head = fold(raw_head)
    # a ruled annex ("PHỤ LỤC", "(Kèm theo Công văn số …)") is part of its letter, no register
    if ruled_lines >= 8 and not decree30.is_annex(page):
        return KIND_REGISTER if hint in (None, "khai_sinh") else f"so_{hint}"
    titled = _title_kind([fold(line.text) for line in page.lines[:12]])
    if titled:
        return titled
    if any(fold(t) in head for t in DOC_TYPES) and re.search(r"\d+\s*/\s*[A-ZĐ]", raw_head):
        return KIND_TTHC
    if decree30.has_header(page):  # motto + number or place-date: digits may be handwritten
        return KIND_TTHC
    if hint == "tthc":
        return KIND_TTHC
    for kind, words in (
        (KIND_BIRTH, "khai sinh"),
        (KIND_MARRIAGE, "ket hon"),
        (KIND_DEATH, "khai tu"),
    ):
        if hint == kind and words in head:
            return kind
    labelled = _label_kind(fold(page.text))
    if labelled:
        return labelled
    # a document's last page ("Nơi nhận:", the signer block): joined to its first page later
    return KIND_TTHC if decree30.ends_document(page) else KIND_UNKNOWN


#: Titles of the civil-status papers (folded), old and new wordings.
_TITLES = (
    (KIND_BIRTH, ("trich luc khai sinh", "giay khai sinh", "ban sao giay khai sinh")),
    (
        KIND_MARRIAGE,
        ("trich luc ket hon", "giay chung nhan ket hon", "ban sao giay chung nhan ket hon"),
    ),
    (KIND_DEATH, ("trich luc khai tu", "giay chung tu", "ban sao giay chung tu")),
)


def _title_kind(lines: Sequence[str]) -> str | None:
    """The kind named by a title line, tolerating OCR slips ("TRÍCH LỤC KHAIT SINH")."""
    best, best_score = None, 0.0
    for line in lines:
        if len(line) < 8:
            continue
        for kind, titles in _TITLES:
            for title in titles:
                score = fuzz.partial_ratio(title, line) if len(line) >= len(title) else 0.0
                if score > best_score:
                    best, best_score = kind, score
    return best if best_score >= 88 else None


#: Labels only one kind of paper carries (folded), for pages whose title is unreadable.
_KIND_LABELS = (
    (KIND_BIRTH, ("ten nguoi me", "ten nguoi cha", "que quan", "nguoi di khai sinh", "noi sinh")),
    (KIND_DEATH, ("da chet vao luc", "noi chet", "nguyen nhan chet", "nguoi di khai tu")),
    (KIND_MARRIAGE, ("ten chong", "ten vo", "ngay dang ky ket hon")),
)


def _label_kind(text: str) -> str | None:
    """The kind whose own labels the page carries (at least three, and more than any other)."""
    votes = sorted(
        ((sum(label in text for label in labels), kind) for kind, labels in _KIND_LABELS),
        reverse=True,
    )
    (top, kind), (second, _) = votes[0], votes[1]
    return kind if top >= 3 and top > second else None


@dataclass(frozen=True)
class PageExtract:
    """What extraction made of a page.

    Attributes:
        records: the records (one for an extract, one per entry of a register page).
        lines: the page text re-ordered for reading (register pages with a table), else None.
        layout_found: False when the page's layout could not be read (no table found on a
            register page, or a kind without an extractor).
        steps: provenance of the layout step (table rows and columns, header matching).
    """

    records: list[Record]
    lines: list[OcrLine] | None = None
    layout_found: bool = True
    steps: tuple[dict[str, object], ...] = ()


def extract_page(
    kind: str,
    page: OcrPage,
    *,
    threshold: float,
    calibration: Calibration,
    gray: np.ndarray | None = None,
    book_type: str | None = None,
) -> PageExtract:
    """Extract a page of the given kind.

    Args:
        kind: from :func:`detect_kind`.
        page: the OCR of the page.
        threshold: fields below this confidence go to review.
        calibration: turns a field's signals into its confidence (see
            :func:`pipeline.extract.calibration.packaged`).
        gray: the cleaned, deskewed page the OCR read (same pixels as the word boxes);
            register pages need it to find their table.
        book_type: the register's book type; by default taken from ``kind``
            ("so_ket_hon" → "ket_hon").
    """
    readers = {
        KIND_BIRTH: extract_birth,
        KIND_TTHC: extract_tthc,
        KIND_MARRIAGE: extract_marriage,
        KIND_DEATH: extract_death,
    }
    if kind in readers:
        return PageExtract([readers[kind](page, threshold=threshold, calibration=calibration)])
    book = book_type or REGISTER_KINDS.get(kind)
    if kind not in REGISTER_KINDS or gray is None or book is None:
        return PageExtract([], layout_found=False)
    reg = extract_register(page, gray, book_type=book, threshold=threshold, calibration=calibration)
    if reg.grid is None:
        return PageExtract([], layout_found=False, steps=({"step": "table", "found": False},))
    step = {
        "step": "table",
        "found": True,
        "rows": reg.rows_found,
        "cols": len(reg.grid.cols),
        "header_rows": reg.header.rows if reg.header else 0,
        "header": "fallback" if reg.header and reg.header.fallback else "matched",
        "columns": dict(sorted(reg.header.columns.items())) if reg.header else {},
        "records": len(reg.records),
        "entry_rows": list(reg.entry_rows),
    }
    records = [with_book_extras(r, page) for r in reg.records]
    return PageExtract(records, reg.lines, True, (step,))


def extract_records(
    kind: str,
    page: OcrPage,
    *,
    threshold: float,
    calibration: Calibration,
    gray: np.ndarray | None = None,
    book_type: str | None = None,
) -> list[Record]:
    """Records of a page of the given kind (register pages need ``gray``: see extract_page)."""
    return extract_page(
        kind,
        page,
        threshold=threshold,
        calibration=calibration,
        gray=gray,
        book_type=book_type,
    ).records


def formation_year(record: Record) -> int | None:
    """Year the record was formed: registration date (civil status) or issue date (TTHC)."""
    key = "ngay_ban_hanh" if record.schema_name == "tthc" else "ngay_dang_ky"
    field = record.fields.get(key)
    if field is None or not field.value:
        return None
    return int(field.value[:4])
