"""Archive copies of a page's intermediate outputs: the cleaned image and ALTO XML.

Both are written (and verified by the store) before the page is marked processed,
and their keys are recorded on the page, so ``sohoa verify`` knows to expect them.
Keys are deterministic (``<book>/clean/pNNNNN.png``, ``<book>/ocr/pNNNNN.alto.xml``)
and the bytes depend only on the page, so a rerun stores nothing twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.alto import hocr_to_alto
from pipeline.db.models import Page
from pipeline.ports import ObjectStore

log = logging.getLogger(__name__)


def clean_key_for(ocr_base: str) -> str:
    """``phase-N/…/ocr/p00001`` → ``phase-N/…/clean/p00001.png``."""
    head, _, name = ocr_base.rpartition("/ocr/")
    return f"{head}/clean/{name}.png"


def store_page_extras(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    page_id: int,
    result_path: Path,
    ocr_base: str,
    metadata: dict[str, str] | None = None,
) -> dict[str, str]:
    """Store the cleaned image and the ALTO of one page; record their keys.

    Args:
        sessions: database sessions.
        store: object store.
        page_id: the page.
        result_path: ``<work>/<stem>_result.json``; siblings hold the outputs.
        ocr_base: key stem of the page's OCR objects (``…/ocr/pNNNNN``).
        metadata: the page's identity, stored on both objects.

    Returns:
        Key → SHA-256 of what was written (an output the work dir lacks is left out).
    """
    stem = result_path.name.removesuffix("_result.json")
    clean = result_path.with_name(f"{stem}_3_clean.png")
    hocr = result_path.with_name(f"{stem}_ocr.hocr")
    clean_key = alto_key = None
    written: dict[str, str] = {}
    if clean.exists():
        clean_key = clean_key_for(ocr_base)
        written[clean_key] = store.put_bytes(
            clean_key, clean.read_bytes(), content_type="image/png", metadata=metadata
        ).sha256
    else:
        log.warning("page %s: no cleaned image to archive", page_id)
    if hocr.exists():
        alto_key = f"{ocr_base}.alto.xml"
        alto = hocr_to_alto(
            hocr.read_text(encoding="utf-8"), image_name=f"{Path(ocr_base).name}.png"
        )
        written[alto_key] = store.put_bytes(
            alto_key,
            alto.encode("utf-8"),
            content_type="application/xml; charset=utf-8",
            metadata=metadata,
        ).sha256
    with sessions.begin() as s:
        page = s.get_one(Page, page_id)
        page.clean_key, page.alto_key = clean_key, alto_key
    return written
