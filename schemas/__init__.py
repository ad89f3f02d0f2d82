"""Typed contracts shared by every sohoa package (no internal imports)."""

from schemas.models import (
    BIRTH_FIELDS,
    DEATH_FIELDS,
    MARRIAGE_FIELDS,
    SCHEMA_VERSION,
    TTHC_FIELDS,
    BBox,
    BookMeta,
    BookType,
    FieldValue,
    OcrLine,
    OcrPage,
    OcrWord,
    PageResult,
    PageStatus,
    Record,
    RecordStatus,
)

__all__ = [
    "BIRTH_FIELDS",
    "DEATH_FIELDS",
    "MARRIAGE_FIELDS",
    "SCHEMA_VERSION",
    "TTHC_FIELDS",
    "BBox",
    "BookMeta",
    "BookType",
    "FieldValue",
    "OcrLine",
    "OcrPage",
    "OcrWord",
    "PageResult",
    "PageStatus",
    "Record",
    "RecordStatus",
]
