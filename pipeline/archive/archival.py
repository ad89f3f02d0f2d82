"""The archive package of a file (hồ sơ): the TT 02/2019 workbook, METS + EAD + PREMIS (pure).

What archivists key by hand today, column by column (Thông tư 02/2019/TT-BNV, input metadata
of digitized archives), filled from the approved records: one row for the file, one row per
document (type, number, symbol, day/month/year, issuer, summary, language, page count, "Số
hóa" as the confidence level). And the information package of Thông tư 05/2025/TT-BNV, after
the EU CSIP layout: ``METS.xml`` (written by ``metsrw``, the Archivematica team's library;
``OBJID`` ``urn:{mã phông}:uuid:{UUID}``, every file with its SHA-256), the description as
EAD 2002 (``metadata/descriptive/ead.xml``), the preservation record as PREMIS 3
(``metadata/preservation/premis.xml``: each file's fixity, the digitization event, the agent),
and the documents' PDFs (``representations/rep1/data/``).
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import metsrw
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Font

from pipeline.archive.csvsafe import safe_cell

EAD_NS = "urn:isbn:1-931666-22-9"
PREMIS_NS = "http://www.loc.gov/premis/v3"
XLINK_NS = "http://www.w3.org/1999/xlink"
CONFIDENCE = "Số hóa"  # TT 02/2019: the confidence level of a digitized copy

FILE_COLUMNS = (
    "STT", "Phông", "Mục lục", "Hộp số", "Số và ký hiệu hồ sơ", "Tiêu đề hồ sơ",
    "Thời hạn bảo quản", "Chế độ sử dụng", "Ngôn ngữ", "Ngày bắt đầu", "Tháng bắt đầu",
    "Năm bắt đầu", "Ngày kết thúc", "Tháng kết thúc", "Năm kết thúc",
    "Tổng số văn bản trong hồ sơ", "Chú giải", "Ký hiệu thông tin", "Từ khóa", "Số lượng tờ",
    "Tình trạng vật lý", "Mức độ tin cậy", "Mã hồ sơ giấy gốc", "Ghi chú",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "Số và ký hiệu hồ sơ", "Số thứ tự văn bản trong hồ sơ", "Tên loại văn bản",
    "Số của văn bản", "Ký hiệu của văn bản", "Ngày", "Tháng", "Năm",
    "Tên cơ quan, tổ chức ban hành văn bản", "Trích yếu nội dung", "Ngôn ngữ",
    "Số lượng trang của văn bản", "Ghi chú", "Ký hiệu thông tin", "Từ khóa", "Chế độ sử dụng",
    "Mức độ tin cậy", "Bút tích", "Tình trạng vật lý", "Quy trình xử lý", "Tờ số",
    "Loại tài liệu", "Đường dẫn file",
)  # fmt: skip


@dataclass(frozen=True)
class FileMeta:
    """The archival settings of a file (hồ sơ): from the CLI, an inventory or the UI."""

    fonds: str  #: mã phông
    file_code: str  #: số và ký hiệu hồ sơ
    title: str  #: tiêu đề hồ sơ
    catalog: str = ""  #: mục lục
    box: str = ""  #: hộp số
    retention: str = "Vĩnh viễn"  #: thời hạn bảo quản
    access: str = "Hạn chế"  #: chế độ sử dụng (civil status holds personal data)
    language: str = "Tiếng Việt"


@dataclass
class Document:
    """One document of the file, as the archive records it."""

    type_name: str
    number: str
    notation: str
    issued: date | None
    organ: str
    subject: str
    pages: int
    pdf: bytes
    pdf_name: str = ""


@dataclass
class Package:
    """The files written: the workbook and the information package (a zip)."""

    objid: str
    workbook: bytes
    package: bytes
    files: dict[str, str] = field(default_factory=dict)  # path in the package → SHA-256


def split_number(so_ky_hieu: str) -> tuple[str, str]:
    """("58", "TTr-UBND") from "58/TTr-UBND"; ("", symbol) without digits before the slash."""
    number, _, notation = so_ky_hieu.partition("/")
    return (number.strip(), notation.strip()) if number.strip().isdigit() else ("", so_ky_hieu)


def _dmy(d: date | None) -> tuple[Any, Any, Any]:
    return (f"{d.day:02d}", f"{d.month:02d}", d.year) if d else (None, None, None)


def _file_row(meta: FileMeta, docs: Sequence[Document]) -> list[Any]:
    dates = [d.issued for d in docs if d.issued]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    # fmt: off
    return [
        1, meta.fonds, meta.catalog, meta.box, meta.file_code, meta.title, meta.retention,
        meta.access, meta.language, *_dmy(first), *_dmy(last), len(docs), None, None, None,
        sum(d.pages for d in docs), None, CONFIDENCE, None, None,
    ]
    # fmt: on


def _document_row(meta: FileMeta, i: int, d: Document) -> list[Any]:
    # fmt: off
    return [
        meta.file_code, i, d.type_name, d.number, d.notation, *_dmy(d.issued), d.organ,
        d.subject, meta.language, d.pages, None, None, None, meta.access, CONFIDENCE, None,
        None, None, None, "Bản số hóa", f"representations/rep1/data/{d.pdf_name}",
    ]
    # fmt: on


def workbook(meta: FileMeta, docs: Sequence[Document]) -> bytes:
    """The TT 02/2019 workbook: sheet "HoSo" (the file), sheet "VanBan" (its documents)."""
    wb = Workbook()
    files = wb.active
    files.title = "HoSo"
    files.append(list(FILE_COLUMNS))
    files.append(_file_row(meta, docs))
    sheet = wb.create_sheet("VanBan")
    sheet.append(list(DOCUMENT_COLUMNS))
    for i, d in enumerate(docs, start=1):
        sheet.append(_document_row(meta, i, d))
    return _saved(wb)


def _saved(wb: Workbook) -> bytes:
    """The workbook's bytes: header rows bold, text cells neutralised (no formulas)."""
    for ws in wb.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.value = safe_cell(cell.value) if isinstance(cell.value, str) else cell.value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text:
        el.text = text
    return el


def ead(meta: FileMeta, docs: Sequence[Document], objid: str) -> etree._Element:
    """The file and its documents as an EAD 2002 finding aid (level "file", items below)."""
    e = f"{{{EAD_NS}}}"
    root = etree.Element(f"{e}ead", nsmap={None: EAD_NS, "xlink": XLINK_NS})
    header = _el(root, f"{e}eadheader")
    _el(header, f"{e}eadid", objid, countrycode="VN")
    _el(_el(_el(header, f"{e}filedesc"), f"{e}titlestmt"), f"{e}titleproper", meta.title)
    arch = _el(root, f"{e}archdesc", level="file")
    did = _el(arch, f"{e}did")
    _el(did, f"{e}unittitle", meta.title)
    _el(did, f"{e}unitid", meta.fonds, label="Phông", type="phong")
    _el(did, f"{e}unitid", meta.file_code, label="Số và ký hiệu hồ sơ", type="ho-so")
    dates = sorted(d.issued for d in docs if d.issued)
    if dates:
        span = f"{dates[0].isoformat()}/{dates[-1].isoformat()}"
        _el(did, f"{e}unitdate", f"{dates[0]:%d/%m/%Y} – {dates[-1]:%d/%m/%Y}", normal=span)
    lang = _el(did, f"{e}langmaterial")
    _el(lang, f"{e}language", meta.language, langcode="vie")
    _el(_el(did, f"{e}physdesc"), f"{e}extent", f"{len(docs)} văn bản")
    dsc = _el(arch, f"{e}dsc")
    for i, d in enumerate(docs, start=1):
        c = _el(dsc, f"{e}c", level="item", id=f"vb{i:04d}")
        cd = _el(c, f"{e}did")
        _el(cd, f"{e}unittitle", d.subject or d.type_name)
        _el(cd, f"{e}unitid", "/".join(p for p in (d.number, d.notation) if p) or str(i))
        if d.issued:
            _el(cd, f"{e}unitdate", f"{d.issued:%d/%m/%Y}", normal=d.issued.isoformat())
        if d.organ:
            _el(_el(cd, f"{e}origination"), f"{e}corpname", d.organ)
        _el(_el(cd, f"{e}physdesc"), f"{e}extent", f"{d.pages} trang")
        dao = _el(cd, f"{e}dao")
        dao.set(f"{{{XLINK_NS}}}href", f"representations/rep1/data/{d.pdf_name}")
        _el(_el(dao, f"{e}daodesc"), f"{e}p", "Bản số hóa (PDF)")
    return root


def premis(files: dict[str, str], sizes: dict[str, int], when: datetime) -> etree._Element:
    """PREMIS 3: each file's fixity (SHA-256) and size, the digitization event, sohoa."""
    p = f"{{{PREMIS_NS}}}"
    root = etree.Element(f"{p}premis", nsmap={"premis": PREMIS_NS}, version="3.0")
    for path, sha in files.items():
        obj = _el(root, f"{p}object")
        obj.set("{http://www.w3.org/2001/XMLSchema-instance}type", "premis:file")
        ident = _el(obj, f"{p}objectIdentifier")
        _el(ident, f"{p}objectIdentifierType", "local")
        _el(ident, f"{p}objectIdentifierValue", path)
        chars = _el(obj, f"{p}objectCharacteristics")
        fixity = _el(chars, f"{p}fixity")
        _el(fixity, f"{p}messageDigestAlgorithm", "SHA-256")
        _el(fixity, f"{p}messageDigest", sha)
        _el(chars, f"{p}size", str(sizes[path]))
        _el(_el(_el(chars, f"{p}format"), f"{p}formatDesignation"), f"{p}formatName", "PDF")
    event = _el(root, f"{p}event")
    eid = _el(event, f"{p}eventIdentifier")
    _el(eid, f"{p}eventIdentifierType", "UUID")
    _el(eid, f"{p}eventIdentifierValue", str(uuid.uuid4()))
    _el(event, f"{p}eventType", "digitization")
    _el(event, f"{p}eventDateTime", when.isoformat())
    detail = "Số hóa bằng sohoa: quét, OCR tiếng Việt, cán bộ duyệt từng trường"
    _el(_el(event, f"{p}eventDetailInformation"), f"{p}eventDetail", detail)
    agent = _el(root, f"{p}agent")
    aid = _el(agent, f"{p}agentIdentifier")
    _el(aid, f"{p}agentIdentifierType", "software")
    _el(aid, f"{p}agentIdentifierValue", "sohoa")
    _el(agent, f"{p}agentName", "sohoa")
    _el(agent, f"{p}agentType", "software")
    return root


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "vanban"


def build_package(meta: FileMeta, docs: Sequence[Document]) -> Package:
    """The workbook and the information package of one file (hồ sơ)."""
    uid = str(uuid.uuid4())
    objid = f"urn:{meta.fonds}:uuid:{uid}"
    when = datetime.now(UTC).replace(microsecond=0)
    for i, d in enumerate(docs, start=1):
        d.pdf_name = d.pdf_name or f"{i:04d}_{_safe(d.number + '-' + d.notation)}.pdf"
    data = {f"representations/rep1/data/{d.pdf_name}": d.pdf for d in docs}
    shas = {path: hashlib.sha256(b).hexdigest() for path, b in data.items()}
    sizes = {path: len(b) for path, b in data.items()}
    descriptive = etree.tostring(ead(meta, docs, objid), xml_declaration=True, encoding="UTF-8")
    preservation = etree.tostring(premis(shas, sizes, when), xml_declaration=True, encoding="UTF-8")
    data["metadata/descriptive/ead.xml"] = descriptive
    data["metadata/preservation/premis.xml"] = preservation
    for path in ("metadata/descriptive/ead.xml", "metadata/preservation/premis.xml"):
        shas[path] = hashlib.sha256(data[path]).hexdigest()
    mets = _mets(objid, meta, shas, descriptive)
    data["METS.xml"] = mets
    shas["METS.xml"] = hashlib.sha256(mets).hexdigest()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path, content in data.items():
            z.writestr(f"{uid}/{path}", content)
    return Package(objid, workbook(meta, docs), buf.getvalue(), shas)


def _mets(objid: str, meta: FileMeta, shas: dict[str, str], descriptive: bytes) -> bytes:
    """METS.xml through metsrw: the files with SHA-256, the EAD as the file's description."""
    doc = metsrw.METSDocument()
    doc.objid = objid
    children = [
        metsrw.FSEntry(path=path, file_uuid=str(uuid.uuid4()), checksum=sha, checksumtype="SHA-256")
        for path, sha in shas.items()
    ]
    root = metsrw.FSEntry.dir(meta.title, children)
    root.add_dmdsec(etree.fromstring(descriptive), "EAD")
    doc.append_file(root)
    return bytes(doc.tostring(fully_qualified=True, pretty_print=True, encoding="UTF-8"))
