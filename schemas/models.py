"""Pydantic models exchanged between stages: OCR words, fields, records, page results."""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from schemas.enums import BookType

SCHEMA_VERSION = "1"

#: (left, top, width, height) in pixels of the processed (deskewed) page image.
BBox = tuple[int, int, int, int]

#: Field names of a birth registration (extract or register entry), DESIGN.md.
BIRTH_FIELDS: tuple[str, ...] = (
    "so",
    "quyen_so",
    "ho_ten",
    "gioi_tinh",
    "ngay_sinh",
    "ngay_sinh_bang_chu",
    "dan_toc",
    "quoc_tich",
    "noi_sinh",
    "que_quan",
    "so_dinh_danh",
    "ho_ten_me",
    "nam_sinh_me",
    "dan_toc_me",
    "quoc_tich_me",
    "noi_cu_tru_me",
    "ho_ten_cha",
    "nam_sinh_cha",
    "dan_toc_cha",
    "quoc_tich_cha",
    "noi_cu_tru_cha",
    "nguoi_di_khai",
    "noi_dang_ky",
    "ngay_dang_ky",
)

#: Field names of a marriage registration (Trích lục kết hôn / register entry).
MARRIAGE_FIELDS: tuple[str, ...] = (
    "so",
    "quyen_so",
    "ho_ten_chong",
    "ngay_sinh_chong",
    "dan_toc_chong",
    "quoc_tich_chong",
    "noi_cu_tru_chong",
    "so_dinh_danh_chong",
    "ho_ten_vo",
    "ngay_sinh_vo",
    "dan_toc_vo",
    "quoc_tich_vo",
    "noi_cu_tru_vo",
    "so_dinh_danh_vo",
    "noi_dang_ky",
    "ngay_dang_ky",
)

#: Field names of a death registration (Trích lục khai tử / register entry).
DEATH_FIELDS: tuple[str, ...] = (
    "so",
    "quyen_so",
    "ho_ten",
    "gioi_tinh",
    "ngay_sinh",
    "dan_toc",
    "quoc_tich",
    "so_dinh_danh",
    "noi_cu_tru",
    "ngay_chet",
    "gio_chet",
    "noi_chet",
    "nguyen_nhan_chet",
    "nguoi_di_khai",
    "noi_dang_ky",
    "ngay_dang_ky",
)

#: Fields of a registration some pages print and the Ministry's import template asks for
#: (issue 19): the book's page, how the registration was made, the entry's signer, the
#: parents' dates of birth and residence type, the declarant's relation and identity paper.
#: A record holds one only when its page printed it: never invented, never an empty box to fill.
ENTRY_COMMON_EXTRAS: tuple[str, ...] = ("trang_so", "loai_dang_ky", "nguoi_ky", "chuc_vu_nguoi_ky")
DECLARANT_EXTRAS: tuple[str, ...] = (
    "quan_he_nguoi_di_khai",
    "giay_to_nguoi_di_khai",
    "so_giay_to_nguoi_di_khai",
    "ngay_cap_giay_to_nguoi_di_khai",
    "noi_cap_giay_to_nguoi_di_khai",
)
ENTRY_EXTRAS: dict[str, tuple[str, ...]] = {
    "khai_sinh": (
        *ENTRY_COMMON_EXTRAS,
        "ngay_sinh_me",
        "loai_cu_tru_me",
        "ngay_sinh_cha",
        "loai_cu_tru_cha",
        *DECLARANT_EXTRAS,
    ),
    "ket_hon": (*ENTRY_COMMON_EXTRAS, "loai_cu_tru_chong", "loai_cu_tru_vo"),
    "khai_tu": (*ENTRY_COMMON_EXTRAS, "loai_cu_tru", *DECLARANT_EXTRAS),
}

#: Field names of a TTHC result (Decree 30/2020 Annex VI, DESIGN.md).
TTHC_FIELDS: tuple[str, ...] = (
    "so_ky_hieu",
    "ngay_ban_hanh",
    "dia_danh",
    "co_quan_chu_quan",
    "co_quan_ban_hanh",
    "loai_van_ban",
    "trich_yeu",
    "chuc_vu_nguoi_ky",
    "cap_bac_nguoi_ky",
    "nguoi_ky",
    "noi_nhan",
)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the only form sohoa stores."""
    return unicodedata.normalize("NFC", text)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OcrWord(_Model):
    """One word as the OCR engine read it."""

    text: str
    conf: float = Field(ge=0.0, le=1.0)
    bbox: BBox
    block: int = 0
    par: int = 0
    line: int = 0
    #: True/False when the word is Vietnamese letters checked against the lexicon, else None
    lexicon: bool | None = None
    #: what the engine read, when a lexicon-confirmed confusion fix changed it
    corrected_from: str | None = None

    @field_validator("text")
    @classmethod
    def _nfc(cls, v: str) -> str:
        return nfc(v)


class OcrLine(_Model):
    """A text line: words in reading order."""

    words: list[OcrWord]
    bbox: BBox

    @property
    def text(self) -> str:
        """Words joined by single spaces."""
        return " ".join(w.text for w in self.words)


class OcrPage(_Model):
    """OCR result of one page image."""

    width: int
    height: int
    lines: list[OcrLine]
    engine: str = "tesseract"
    engine_version: str = ""
    lang: str = "vie"
    psm: int = 3
    warnings: list[str] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """Page text, lines in reading order, NFC."""
        return nfc("\n".join(line.text for line in self.lines))

    @property
    def words(self) -> list[OcrWord]:
        """All words in reading order."""
        return [w for line in self.lines for w in line.words]


class FieldValue(_Model):
    """One extracted field with where it came from and how sure we are."""

    value: str | None
    raw: str = ""
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    bbox: BBox | None = None
    page: int | None = None
    needs_review: bool = True
    provenance: list[str] = Field(default_factory=list)
    #: the numbers the calibrated confidence was computed from (pipeline.extract.calibration)
    signals: dict[str, float] = Field(default_factory=dict)
    #: some of the value's ink is handwritten (never auto-accepted on one reading; "viết tay")
    handwritten: bool = False
    #: what another reader read where it disagreed with the value (the clerk's suggestions)
    alternatives: list[str] = Field(default_factory=list)

    @field_validator("value", "raw")
    @classmethod
    def _nfc(cls, v: str | None) -> str | None:
        return None if v is None else nfc(v)


class Record(_Model):
    """One dossier record (an extract, a register entry or a TTHC result)."""

    schema_name: str = Field(alias="schema")
    schema_version: str = SCHEMA_VERSION
    fields: dict[str, FieldValue]
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property
    def needs_review(self) -> bool:
        """True when any field is flagged for a clerk."""
        return any(f.needs_review for f in self.fields.values())

    def contract(self) -> dict[str, Any]:
        """The record as in the offline ``sohoa process`` contract."""
        keep = ("value", "raw", "confidence", "bbox", "needs_review", "handwritten")
        return {
            "schema": self.schema_name,
            "schema_version": self.schema_version,
            "fields": {k: {n: getattr(f, n) for n in keep} for k, f in self.fields.items()},
        }


class BookMeta(_Model):
    """What the operator declares about the book a batch comes from."""

    book_type: BookType
    agency: str = Field(min_length=1, max_length=64)
    book: str = Field(min_length=1, max_length=64)
    year_from: int = Field(ge=1900, le=2100)
    year_to: int = Field(ge=1900, le=2100)

    @field_validator("agency", "book")
    @classmethod
    def _clean(cls, v: str) -> str:
        return nfc(v.strip())

    @model_validator(mode="after")
    def _years_ordered(self) -> BookMeta:
        if self.year_to < self.year_from:
            raise ValueError("year_to < year_from")
        return self


class ProcessingStep(BaseModel):
    """One step applied to a page, named by ``step``, then what it decided, in order.

    Each step carries its own keys (angle, thresholds, engine and version, the orientation
    votes), so they are kept as given (``extra="allow"``) and dumped in the order given.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    step: str

    @classmethod
    def of(cls, step: str, **details: Any) -> ProcessingStep:
        """The step named ``step`` with ``details`` in the order given."""
        return cls.model_validate({"step": step, **details})

    def __getitem__(self, key: str) -> Any:
        """A key of the step as in its JSON (``step["angle_deg"]``)."""
        return self.step if key == "step" else (self.model_extra or {})[key]

    def noted(self, **notes: Any) -> ProcessingStep:
        """The step with ``notes`` added (a key already there keeps its place)."""
        return self.model_copy(update=notes)


class PageQuality(_Model):
    """Quality measures of a cleaned page and the flags an operator acts on."""

    dpi: float | None
    sharpness: float
    ink_ratio: float
    paper_level: float
    ink_level: float
    line_height_px: float | None
    border_fraction: float
    flags: list[str] = Field(default_factory=list)
    #: (width, height) before the page was reduced on decode to the memory budget
    downscaled_from: list[int] | None = None
    #: what the OCR engine warned about while reading the page
    ocr_warnings: list[str] | None = None

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dump without ``downscaled_from`` / ``ocr_warnings`` when they do not apply."""
        data: dict[str, Any] = handler(self)
        for key in ("downscaled_from", "ocr_warnings"):
            if data.get(key) is None:
                data.pop(key, None)
        return data

    def flagged(self, *flags: str) -> PageQuality:
        """The quality with ``flags`` added (each once, in order)."""
        more = [f for i, f in enumerate(flags) if f not in self.flags and f not in flags[:i]]
        return self.model_copy(update={"flags": [*self.flags, *more]})


class PageResult(_Model):
    """The per-page result: what ``sohoa process`` writes as ``<stem>.json``."""

    source: str
    text: str
    skew_deg: float
    orientation_deg: int
    quality: PageQuality
    records: list[Record] = Field(default_factory=list)
    kind: str = "unknown"
    provenance: list[ProcessingStep] = Field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        """JSON-ready dict in the DESIGN.md contract shape (plus kind and provenance)."""
        return {
            "source": self.source,
            "text": nfc(self.text),
            "skew_deg": round(self.skew_deg, 3),
            "orientation_deg": self.orientation_deg,
            "quality": self.quality.model_dump(),
            "kind": self.kind,
            "records": [r.contract() for r in self.records],
            "provenance": [step.model_dump() for step in self.provenance],
        }
