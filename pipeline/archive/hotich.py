"""The civil-status book package's Excel: approved records → the import template's rows (pure).

The template's columns, code lists, date format and file names live in a data file a province
edits (``pipeline/data/exports/hotich.yaml``, or ``SOHOA_HOTICH_TEMPLATE``), checked when it is
loaded: an unknown field, code list, key or book attribute is refused with the line to fix.
Values are the approved values as they are; a date is written as the template wants it, a
coded value is looked up (a value the list lacks stays empty and is reported, never guessed),
a column the pages do not carry stays empty. Every cell goes through
:func:`pipeline.archive.csvsafe.safe_cell` (no formula injection).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Font

from pipeline.archive.csvsafe import safe_cell
from pipeline.errors import ConfigError
from schemas.models import BIRTH_FIELDS, DEATH_FIELDS, ENTRY_EXTRAS, MARRIAGE_FIELDS

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "exports" / "hotich.yaml"
_FIELDS = {"khai_sinh": BIRTH_FIELDS, "khai_tu": DEATH_FIELDS, "ket_hon": MARRIAGE_FIELDS}
_EXTRA = ("ghi_chu", "noi_dang_ky", "ngay_dang_ky")
_KEYS = {"column", "field", "format", "codes", "match", "default", "book", "empty"}
_BOOK_ATTRS = ("book", "agency", "year")
_NAME_KEYS = ("agency", "book_type", "book", "year", "so", "index")
_BAD = "bad_template"


@dataclass(frozen=True)
class Column:
    """One column of the template and where its value comes from."""

    name: str
    fields: tuple[str, ...] = ()
    date: bool = False
    codes: str = ""
    contains: bool = False
    default: Any = None
    book: str = ""


@dataclass(frozen=True)
class Template:
    """The import template: columns per book type, code lists, formats, file names."""

    version: str
    date_format: str
    excel_name: str
    zip_name: str
    pdf_name: str
    pdf_dpi: int
    pdf_page_kb: int
    codes: dict[str, dict[str, int]]
    books: dict[str, tuple[Column, ...]]


@dataclass
class Rows:
    """A book's rows, and the values the code lists could not code (for the report)."""

    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    uncoded: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    nfd = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in nfd if not unicodedata.combining(c)).lower().split())


def _column(spec: Any, book_type: str, codes: Mapping[str, Any], where: str) -> Column:
    if not isinstance(spec, dict) or "column" not in spec:
        raise ConfigError(f"{where}: mỗi cột cần khóa 'column'", reason=_BAD)
    unknown = set(spec) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: khóa lạ {sorted(unknown)}", reason=_BAD)
    raw = spec.get("field", ())
    fields = (raw,) if isinstance(raw, str) else tuple(raw)
    allowed = set(_FIELDS[book_type]) | set(ENTRY_EXTRAS[book_type]) | set(_EXTRA)
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise ConfigError(f"{where}: sổ {book_type} không có trường {bad}", reason=_BAD)
    if spec.get("codes") and spec["codes"] not in codes:
        raise ConfigError(f"{where}: không có bảng mã {spec['codes']!r}", reason=_BAD)
    if spec.get("book") and spec["book"] not in _BOOK_ATTRS:
        raise ConfigError(f"{where}: 'book' chỉ nhận {_BOOK_ATTRS}", reason=_BAD)
    if not (fields or spec.get("book") or spec.get("empty")):
        raise ConfigError(f"{where}: cột không có nguồn (field, book, empty)", reason=_BAD)
    return Column(
        str(spec["column"]),
        fields,
        spec.get("format") == "date",
        str(spec.get("codes") or ""),
        spec.get("match") == "contains",
        spec.get("default"),
        str(spec.get("book") or ""),
    )


def parse_template(data: Mapping[str, Any], source: str = "mẫu") -> Template:
    """Check a template's content and build it (raises :class:`ConfigError` with the place)."""
    codes = {k: {_fold(w): int(c) for w, c in v.items()} for k, v in data.get("codes", {}).items()}
    books: dict[str, tuple[Column, ...]] = {}
    for book_type, specs in (data.get("books") or {}).items():
        if book_type not in _FIELDS:
            raise ConfigError(f"{source}: loại sổ lạ {book_type!r}", reason=_BAD)
        flat = [s for spec in specs for s in (spec if isinstance(spec, list) else [spec])]
        cols = tuple(
            _column(s, book_type, codes, f"{source}, sổ {book_type}, cột {i + 1}")
            for i, s in enumerate(flat)
        )
        names = [c.name for c in cols]
        if len(set(names)) != len(names):
            raise ConfigError(f"{source}: sổ {book_type} có cột trùng tên", reason=_BAD)
        books[book_type] = cols
    for key in ("excel_name", "zip_name", "pdf_name"):
        bad = set(re.findall(r"{(\w+)}", str(data.get(key, "")))) - set(_NAME_KEYS)
        if bad or not data.get(key):
            raise ConfigError(f"{source}: {key} dùng {sorted(bad)} hoặc trống", reason=_BAD)
    return Template(
        version=str(data.get("version", "")),
        date_format=str(data.get("date_format", "%d/%m/%Y")),
        excel_name=str(data["excel_name"]),
        zip_name=str(data["zip_name"]),
        pdf_name=str(data["pdf_name"]),
        pdf_dpi=int(data.get("pdf_dpi", 200)),
        pdf_page_kb=int(data.get("pdf_page_kb", 100)),
        codes=codes,
        books=books,
    )


@cache
def load_template(path: Path = DEFAULT_TEMPLATE) -> Template:
    """The template file, checked (cached per path)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Không đọc được mẫu xuất {path}", reason=_BAD) from exc
    return parse_template(data or {}, str(path))


def _value(
    col: Column, values: Mapping[str, str | None], book: Mapping[str, str], date_format: str
) -> Any:
    got = next((values[f] for f in col.fields if values.get(f)), None)
    if got is None:
        return book.get(col.book) if col.book else col.default
    if col.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", got):
        return date.fromisoformat(got).strftime(date_format)
    return got


def _coded(col: Column, value: Any, codes: Mapping[str, int]) -> tuple[Any, bool]:
    """(the code, whether the value was coded); the default when there is no value."""
    if value is None or value == col.default:
        return col.default, True
    folded = _fold(str(value))
    if col.contains:
        hit = next((c for w, c in codes.items() if w in folded), None)
        return (hit, True) if hit is not None else (col.default, True)
    return (codes[folded], True) if folded in codes else (None, False)


def book_rows(
    template: Template,
    book_type: str,
    records: Sequence[Mapping[str, str | None]],
    book: Mapping[str, str],
    *,
    status_column: Sequence[str] | None = None,
) -> Rows:
    """The template's rows of a book's records (each a field → approved value mapping).

    ``status_column``: one review state per record, written in an extra last column
    ("trạng thái số hóa") when pending records are exported too.
    """
    cols = template.books[book_type]
    out = Rows([c.name for c in cols] + (["trangThaiSoHoa"] if status_column else []))
    for i, values in enumerate(records):
        row = []
        for col in cols:
            value = _value(col, values, book, template.date_format)
            if col.codes:
                value, ok = _coded(col, value, template.codes[col.codes])
                if not ok:
                    out.uncoded.append(f"dòng {i + 2}, cột {col.name}: {values_of(col, values)}")
            row.append(value)
        out.rows.append(row + ([status_column[i]] if status_column else []))
    return out


def values_of(col: Column, values: Mapping[str, str | None]) -> str:
    """The record's value a column was read from (for a report line)."""
    return next((str(values[f]) for f in col.fields if values.get(f)), "")


def workbook_bytes(rows: Rows, *, sheet: str, info: Sequence[tuple[str, str]]) -> bytes:
    """The .xlsx: the rows on ``sheet`` (header row bold, frozen), ``info`` on a second sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(rows.header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows.rows:
        ws.append([safe_cell(v) if not isinstance(v, int) else v for v in row])
    about = wb.create_sheet("ThongTin")
    for key, value in info:
        about.append([safe_cell(key), safe_cell(value)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def file_name(pattern: str, **parts: object) -> str:
    """A file name from a pattern, each part made safe (ASCII letters, digits, - and _)."""
    safe = {k: _safe_part(str(v)) for k, v in parts.items()}
    return pattern.format(**{k: safe.get(k, "") for k in _NAME_KEYS})


def _safe_part(text: str) -> str:
    ascii_ = _fold(text).replace(" ", "-")
    return re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_).strip("-") or "x"
