"""The signer block of a document's last page, read again alone where the page reading failed it.

Seals and signatures over the title lines ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH") make Tesseract's page
layout drop or garble them. The block right of "Nơi nhận:" is then read again as one block
(``--psm 6``) from the OCR copy, with the pen's ink lifted to paper when the page's colour map
shows pen strokes in it (the signature is a pen's; the titles and the name are print). Red seal
ink is already lifted from the whole OCR copy (:mod:`pipeline.imaging.ink`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import ProcessOptions
from pipeline.extract.labels import union_bbox
from pipeline.extract.signer_block import read_signer, signer_zone
from pipeline.extract.tthc import check_title
from pipeline.imaging.clean import CleanPage, write_png
from pipeline.imaging.handwriting import blue_is_a_pen
from pipeline.imaging.ink import BLUE
from pipeline.ports import OcrEngine, OcrReading
from schemas.models import OcrLine, OcrPage

log = logging.getLogger(__name__)

#: Pen pixels (share of the zone) from which a signer block is read again even when its titles
#: were read: a signature that touches a title line garbles it without losing it.
MIN_PEN_SHARE = 0.002


@dataclass(frozen=True)
class _Reread:
    """A reading with extra lines put in: the page's words are what extraction reads."""

    page: OcrPage
    hocr: str


def pen_in(page: CleanPage, zone: tuple[int, int, int, int]) -> np.ndarray | None:
    """The pen pixels of ``zone`` (a mask) when there are enough to matter, else None."""
    if page.colours is None or not blue_is_a_pen(page.gray, page.colours):
        return None  # no colour, or a page printed in blue (ribbon, carbon): no pen to lift
    x, y, w, h = zone
    mask = page.colours[y : y + h, x : x + w] == BLUE
    if not mask.size or mask.mean() < MIN_PEN_SHARE:
        return None
    return mask


def with_signer_lines(
    ocr: OcrReading, page: CleanPage, engine: OcrEngine, options: ProcessOptions, workdir: Path
) -> OcrReading:
    """The reading with the signer's title lines read again where the page reading failed them.

    Titles not found: the zone's new lines are added to the page's. Titles found but a pen's
    strokes in the zone: the zone is read again without the pen's ink and its lines replace
    the page's lines there (the name under the signature stays as the page read it).
    """
    zone = signer_zone(ocr.page, always=True)
    if zone is None:
        return ocr
    pen = pen_in(page, zone)
    if pen is None and signer_zone(ocr.page) is None:
        return ocr  # titles read, no pen over them
    replace = pen is not None
    x, y, w, h = zone
    crop = page.gray[y : y + h, x : x + w].copy()
    if pen is not None:
        crop[pen] = 255
    found = _read_crop(crop, page, engine, options, workdir)
    if found is None:
        return ocr
    found = [_moved(ln, x, y) for ln in found]
    how = " without pen ink" if pen is not None else ""
    log.info("signer block read again%s: %d lines", how, len(found))
    kept = [_outside(ln, zone) for ln in ocr.page.lines] if replace else list(ocr.page.lines)
    lines = sorted([*(ln for ln in kept if ln), *found], key=lambda ln: ln.bbox[1])
    again = ocr.page.model_copy(update={"lines": lines})
    if replace and not _better_titles(again, ocr.page):
        log.info("signer block read again without pen ink: kept the page's reading")
        return ocr
    return _Reread(again, ocr.hocr)


def _better_titles(again: OcrPage, before: OcrPage) -> bool:
    """Does the page read again give a signer title at least as good as the page's own?

    A title that passes :func:`check_title` beats one that does not; between two that pass,
    the one with as many words or more ("KT. CHỦ TỊCH PHÓ CHỦ TỊCH" over "KT. CHỦ TỊCH Ủ/TICH"
    is a tie broken for the new reading; "GIÁM ĐỐC" does not replace "KT. GIÁM ĐỐC PHÓ GIÁM
    ĐỐC").
    """
    new = read_signer(again).get("chuc_vu_nguoi_ky")
    old = read_signer(before).get("chuc_vu_nguoi_ky")
    if new is None or not check_title(new[0]).ok:
        return False
    if old is None or not check_title(old[0]).ok:
        return True
    return len(new[0].split()) >= len(old[0].split())


def _read_crop(
    crop: np.ndarray, page: CleanPage, engine: OcrEngine, options: ProcessOptions, workdir: Path
) -> list[OcrLine] | None:
    """The lines of one crop read as a block, or None when the reading failed."""
    path = write_png(workdir / f"{page.path.stem}_signer_zone.png", crop, page.dpi)
    try:
        again = engine.read(
            path,
            workdir=workdir,
            lang=options.lang,
            timeout=options.ocr_timeout,
            dpi=round(page.dpi or 300),
            psm=6,
        ).page
    except Exception as e:  # noqa: BLE001 - a second look that fails changes nothing
        log.warning("signer block re-read failed: %s", e)
        return None
    finally:
        path.unlink(missing_ok=True)
    return [ln for ln in again.lines if ln.words]


def _centre_in(box: tuple[int, int, int, int], zone: tuple[int, int, int, int]) -> bool:
    x, y, w, h = zone
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return x <= cx < x + w and y <= cy < y + h


def _outside(line: OcrLine, zone: tuple[int, int, int, int]) -> OcrLine | None:
    """The line without its words inside ``zone`` (None when none is left).

    A page line may run across both columns ("Các phòng chuyên môn;" beside a title).
    """
    words = [w for w in line.words if not _centre_in(w.bbox, zone)]
    if len(words) == len(line.words):
        return line
    if not words:
        return None
    box = union_bbox([w.bbox for w in words])
    return line.model_copy(update={"words": words, "bbox": box})


def _moved(line: OcrLine, dx: int, dy: int) -> OcrLine:
    """A line read on a crop, in the page's pixels."""
    words = [
        w.model_copy(update={"bbox": (w.bbox[0] + dx, w.bbox[1] + dy, w.bbox[2], w.bbox[3])})
        for w in line.words
    ]
    x, y, w, h = line.bbox
    return line.model_copy(update={"words": words, "bbox": (x + dx, y + dy, w, h)})
