"""One page image → cleaned image, OCR, records: the stages of a page, no DB, no S3."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from pipeline.config import ProcessOptions
from pipeline.extract.kinds import calibration, detect_kind, extract_page
from pipeline.imaging.cleanup import Analysis, analyse, make_ocr_copy, osd_frame, page_quality
from pipeline.imaging.glyphs import check_records
from pipeline.imaging.io import DOWNSCALED_FROM, image_dpi, to_gray_array
from pipeline.imaging.page import (
    count_ruled_lines,
)
from pipeline.ports import OcrEngine, OcrReading
from schemas.models import OcrPage, PageResult, nfc

log = logging.getLogger(__name__)

#: OSD must be at least this sure before a page is turned.
MIN_OSD_CONFIDENCE = 2.0


@dataclass(frozen=True)
class PageOutcome:
    """What processing one page produced (files live in the work directory)."""

    result: PageResult
    ocr: OcrReading
    clean_path: Path
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanPage:
    """A page after cleanup: the OCR copy on disk and what was decided on the way."""

    gray: np.ndarray
    path: Path
    dpi: float | None
    orientation: int
    osd_confidence: float
    skew: float
    quality: dict[str, Any]
    seconds: float
    steps: list[dict[str, Any]] = field(default_factory=list)
    #: our own up/down vote was unsure and no second opinion was asked yet
    unverified: bool = False
    #: long ruled lines on the cleaned page (a register table has many)
    ruled_lines: int = 0


def quality_list(quality: dict[str, object], key: str) -> list[str]:
    """A list entry of a quality dict (empty when absent)."""
    value = quality.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def write_png(path: Path, gray: np.ndarray, dpi: float | None) -> Path:
    """Write a gray image losslessly, keeping its resolution."""
    im = Image.fromarray(gray)
    im.save(path, dpi=(dpi, dpi) if dpi else (300, 300), compress_level=1)
    return path


@dataclass
class Prepared:
    """A page's gray image and analysis, computed once and shared by its cleanup attempts."""

    dpi: float | None
    gray: np.ndarray
    analysis: Analysis
    _across: Analysis | None = None

    def across(self) -> Analysis:
        """The analysis with the text lines taken to run the other way (computed once)."""
        if self._across is None:
            horizontal = self.analysis.orientation in (0, 180)
            self._across = analyse(self.gray, lines_horizontal=not horizontal)
        return self._across


def prepare(im: Image.Image) -> Prepared:
    """Gray copy and analysis (orientation vote, skew, borders) of a page image."""
    gray = to_gray_array(im)
    return Prepared(image_dpi(im), gray, analyse(gray))


def _write_bilevel(path: Path, binary: np.ndarray) -> Path:
    """Write a 0/255 image as a 1-bit PNG (fast, small); fail loudly if it cannot be."""
    # run-length deflate suits 1-bit pages: ~1/3 faster than level 1, about the same size
    params = [
        cv2.IMWRITE_PNG_COMPRESSION,
        1,
        cv2.IMWRITE_PNG_BILEVEL,
        1,
        cv2.IMWRITE_PNG_STRATEGY,
        cv2.IMWRITE_PNG_STRATEGY_RLE,
    ]
    if not cv2.imwrite(str(path), binary, params):
        raise OSError(f"cannot write the cleaned page {path}")
    return path


#: Below this confidence in our own up/down vote, Tesseract's OSD settles the orientation.
MIN_OWN_CONFIDENCE = 0.8


def confirm_orientation(
    gray: np.ndarray,
    a: Analysis,
    workdir: Path,
    stem: str,
    engine: OcrEngine,
    *,
    across: Callable[[], Analysis] | None = None,
) -> tuple[Analysis, dict[str, Any]]:
    """Ask the OCR engine's orientation detector (OSD) when our own vote is unsure.

    OSD reads the page in our frame (lines horizontal by our vote); if it cannot tell,
    it is asked again with the other line direction. If it still cannot tell, the page is
    taken as upright (by far the most common case) and flagged ``orientation_unsure``.
    """
    info: dict[str, Any] = {"engine": "tesseract-osd", "tries": []}

    def other() -> Analysis:
        if across is not None:
            return across()
        return analyse(gray, lines_horizontal=a.orientation not in (0, 180))

    for candidate in (a, None):
        candidate = candidate or other()
        frame, base = osd_frame(gray, candidate)
        path = write_png(workdir / f"{stem}_osd.png", frame, None)
        found = engine.orientation(path)
        path.unlink(missing_ok=True)
        info["tries"].append({"frame_turn": base, "result": found})
        if found is not None and found[1] >= MIN_OSD_CONFIDENCE:
            return replace(candidate, orientation=(base + found[0]) % 360), info
    upright = a if a.orientation in (0, 180) else other()
    return replace(upright, orientation=0, notes=[*a.notes, "orientation_unsure"]), info


def clean_page(
    im: Image.Image,
    *,
    stem: str,
    workdir: Path,
    engine: OcrEngine,
    keep: bool = False,
    ask_osd: bool = True,
    orientation: int | None = None,
    prepared: Prepared | None = None,
) -> CleanPage:
    """Estimate orientation and skew, record them, then build the OCR copy (master untouched).

    When our own up/down vote is unsure, Tesseract's OSD is asked (``ask_osd``), or the
    page is returned ``unverified`` so the caller can check the orientation by how well the
    page reads (see :func:`process_image`), which costs nothing when the vote was right.
    ``orientation`` forces the turn (a candidate the caller wants read). ``prepared`` is
    the gray page and its analysis from an earlier call on the same image (not redone).
    """
    start = time.perf_counter()
    prep = prepared or prepare(im)
    dpi, gray, a = prep.dpi, prep.gray, prep.analysis
    own = {
        "engine": "sohoa-profile",
        "degrees": a.orientation,
        "confidence": a.orientation_confidence,
        "lines": a.lines,
    }
    osd: dict[str, Any] | None = None
    unsure = a.orientation_confidence < MIN_OWN_CONFIDENCE and orientation is None
    if orientation is not None:
        if (orientation % 180 == 0) != (a.orientation % 180 == 0):
            # the lines run the other way: skew and up/down must be measured that way
            a = prep.across()
        a = replace(a, orientation=orientation % 360)
        own["forced"] = orientation % 360
    elif unsure and ask_osd:
        a, osd = confirm_orientation(gray, a, workdir, stem, engine, across=prep.across)
    copy = make_ocr_copy(gray, a, dpi=dpi)
    path = _write_bilevel(workdir / f"{stem}_3_clean.png", copy.binary)
    if keep:
        write_png(workdir / f"{stem}_1_gray.png", gray, dpi)
        write_png(workdir / f"{stem}_2_flat_deskew.png", copy.gray, dpi)
    quality = page_quality(gray, copy, a, dpi=dpi)
    ruled = count_ruled_lines(copy.gray, flat=True)
    if "orientation_unsure" in a.notes:
        quality["flags"].append("orientation_unsure")
    steps: list[dict[str, Any]] = [
        {
            "step": "orientation",
            "result": a.orientation,
            "own": own,
            **({"osd": osd} if osd else {}),
        },
        {"step": "deskew", "method": "projection-profile", "angle_deg": a.skew},
        {
            "step": "borders",
            "content_box": list(a.content_box),
            "border_fraction": round(a.border_fraction, 4),
        },
        {"step": "ocr_copy", **copy.params},
    ]
    return CleanPage(
        copy.gray,
        path,
        dpi,
        a.orientation,
        a.orientation_confidence,
        a.skew,
        quality,
        time.perf_counter() - start,
        steps,
        unverified=unsure and not ask_osd,
        ruled_lines=ruled,
    )


#: A page reads "the right way up" when at least this share of its words are Vietnamese
#: syllables (upright pages read ~0.95, upside-down ones ~0.25 on the bench) ...
MIN_READ_LEXICON = 0.6
#: ... and this share of its longer words are wider than tall (not read sideways).
MIN_READ_UPRIGHT = 0.7
#: Fewer checkable words than this and the reading cannot vouch for the orientation.
MIN_READ_WORDS = 15


def reading_check(page: OcrPage) -> dict[str, Any]:
    """Does an OCR reading look like upright Vietnamese? Lexicon fit and word box shapes."""
    words = [w for ln in page.lines for w in ln.words]
    checked = [w for w in words if w.lexicon is not None]
    longer = [w for w in words if len(w.text) >= 3]
    lexicon = sum(1 for w in checked if w.lexicon) / len(checked) if checked else 0.0
    upright = sum(1 for w in longer if w.bbox[2] >= w.bbox[3]) / len(longer) if longer else 0.0
    ok = len(checked) >= MIN_READ_WORDS and lexicon >= MIN_READ_LEXICON
    return {
        "words": len(checked),
        "lexicon_share": round(lexicon, 3),
        "upright_share": round(upright, 3),
        "ok": ok and upright >= MIN_READ_UPRIGHT,
    }


#: A page our own vote was sure of is read-checked again only when its reading looks turned:
#: fewer valid syllables than this (upside-down pages read ~0.25, upright ones ~0.95) ...
TURNED_LEXICON = 0.4
#: ... or fewer of its longer words wider than tall than this (read sideways).
TURNED_UPRIGHT = 0.5


def reads_turned(check: dict[str, Any]) -> bool:
    """Does a reading look like a page turned the wrong way (enough words to tell)?"""
    return check["words"] >= MIN_READ_WORDS and (
        check["lexicon_share"] < TURNED_LEXICON or check["upright_share"] < TURNED_UPRIGHT
    )


#: Tesseract page-segmentation mode per layout (``--psm``), measured on the bench corpus:
#: automatic segmentation (3) reads both label-and-value forms and ruled register tables
#: best; tables are then split into cells by pipeline.extract.tables from the word boxes.
LAYOUT_PSM = {"form": 3, "table": 3}
#: At least this many long ruled lines make a page a table.
TABLE_RULES = 8


def layout_of(page: CleanPage) -> str:
    """The page's layout: a ruled register "table", or a "form" (everything else)."""
    return "table" if page.ruled_lines >= TABLE_RULES else "form"


def _read(page: CleanPage, engine: OcrEngine, workdir: Path, options: ProcessOptions) -> Any:
    return engine.read(
        page.path,
        workdir=workdir,
        lang=options.lang,
        timeout=options.ocr_timeout,
        dpi=round(page.dpi or 300),
        psm=options.psm or LAYOUT_PSM[layout_of(page)],
    )


#: Extra readings allowed to settle an orientation that neither our vote nor OSD settled.
MAX_EXTRA_READS = 2


def _candidates(first: CleanPage, check: dict[str, Any], osd: CleanPage) -> list[int]:
    """Orientations worth reading next, most likely first."""
    o = first.orientation
    out = (
        [osd.orientation] if "orientation_unsure" not in quality_list(osd.quality, "flags") else []
    )
    # words read as tall boxes: the lines run the other way; else probably upside down
    out += [(o + 90) % 360, (o + 270) % 360] if check["upright_share"] < 0.5 else [(o + 180) % 360]
    return [c for i, c in enumerate(out) if c != o and c not in out[:i]]


def half_turn(page: CleanPage) -> CleanPage:
    """The cleaned page turned upside down, without cleaning it again.

    Turning and deskewing about the centre commute, and the cleanup is the same either way
    up, so the OCR copy of the page at ``orientation + 180`` is this copy turned by 180°.
    """
    start = time.perf_counter()
    binary = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
    if binary is None:
        raise OSError(f"cannot read back the cleaned page {page.path}")
    _write_bilevel(page.path, cv2.rotate(binary, cv2.ROTATE_180))
    turned = (page.orientation + 180) % 360
    steps = [dict(s) for s in page.steps]
    for step in steps:
        if step.get("step") == "orientation":
            step["result"] = turned
            step["turned_half_by"] = "reading"
    return replace(
        page,
        gray=cv2.rotate(page.gray, cv2.ROTATE_180),
        orientation=turned,
        steps=steps,
        seconds=time.perf_counter() - start,
    )


def _clean_and_read(
    im: Image.Image, *, stem: str, workdir: Path, options: ProcessOptions, engine: OcrEngine
) -> tuple[CleanPage, OcrReading, float, float]:
    """Cleanup and OCR, with the orientation of unsure pages verified by the reading.

    A page whose own up/down vote is unsure is read as the vote says; if the reading is
    good Vietnamese the way up is confirmed at no extra cost. If its words lie the right
    way but do not read, the page is most likely upside down: the copy is turned by 180°
    (no new cleanup, no OSD) and read again. Otherwise Tesseract's OSD is asked, and OSD's
    answer and the turns the reading suggests (sideways words → a quarter turn, else a half
    turn) are read; at most ``MAX_EXTRA_READS`` readings after the first in all. The first
    that reads well wins, else the best reading, flagged ``orientation_unsure``. Returns
    the page, the reading, and the seconds spent cleaning and reading.
    """
    keep = options.keep_intermediates
    t0 = time.perf_counter()
    prep = prepare(im)
    clean_s, read_s = time.perf_counter() - t0, 0.0

    def clean(**kw: Any) -> CleanPage:
        nonlocal clean_s
        page = clean_page(
            im, stem=stem, workdir=workdir, engine=engine, keep=keep, prepared=prep, **kw
        )
        clean_s += page.seconds
        return page

    def read(p: CleanPage) -> tuple[OcrReading, dict[str, Any]]:
        nonlocal read_s
        t0 = time.perf_counter()
        reading = _read(p, engine, workdir, options)
        read_s += time.perf_counter() - t0
        return reading, reading_check(reading.page)

    page = clean(ask_osd=False)
    ocr, check = read(page)
    if not page.unverified:
        if not reads_turned(check):
            return page, ocr, clean_s, read_s
        # our vote was sure, yet the words do not read: it can be wrong (a register whose
        # rules outweigh its text); the page is checked like an unsure one
        log.info("page %s: a sure up/down vote, but the page reads as if turned", stem)
    elif check["ok"]:
        return _verified(page, check), ocr, clean_s, read_s
    tried, written = [(page, ocr, check)], page
    if check["words"] >= MIN_READ_WORDS and check["upright_share"] >= 0.5:
        flipped = half_turn(page)
        clean_s += flipped.seconds
        written = flipped
        ocr2, check2 = read(flipped)
        if check2["ok"]:
            return _verified(flipped, check2), ocr2, clean_s, read_s
        tried.append((flipped, ocr2, check2))
    elif check["words"] >= MIN_READ_WORDS:
        # words read as tall boxes: the lines run the other way; our up/down vote on the
        # page turned a quarter (or OSD, if that vote is unsure) picks which way first
        turns, how = _sideways_turns(prep, workdir, stem, engine)
        for turn in [t for t in turns if t != page.orientation]:
            cand = clean(orientation=turn)
            cand = _with_osd_note(cand, how)
            written = cand
            ocr2, check2 = read(cand)
            if check2["ok"]:
                return _verified(cand, check2), ocr2, clean_s, read_s
            tried.append((cand, ocr2, check2))
    if len(tried) > MAX_EXTRA_READS:
        return _best_of(tried, written, clean, stem) + (clean_s, read_s)
    osd = clean(ask_osd=True)
    written = osd
    if check["words"] < MIN_READ_WORDS:  # too little text for readings to judge: trust OSD
        if osd.orientation == page.orientation:
            return _with_step(osd, check), ocr, clean_s, read_s
        ocr2, check2 = read(osd)
        return _with_step(osd, check2), ocr2, clean_s, read_s
    done = {t[0].orientation for t in tried}
    todo = [c for c in _candidates(page, check, osd) if c not in done]
    for turn in todo[: MAX_EXTRA_READS + 1 - len(tried)]:
        cand = osd if turn == osd.orientation else clean(orientation=turn)
        written = cand
        ocr2, check2 = read(cand)
        if check2["ok"]:
            return _verified(cand, check2), ocr2, clean_s, read_s
        tried.append((cand, ocr2, check2))
    page, ocr = _best_of(tried, written, clean, stem)
    return page, ocr, clean_s, read_s


def _best_of(
    tried: list[tuple[CleanPage, OcrReading, dict[str, Any]]],
    written: CleanPage,
    clean: Callable[..., CleanPage],
    stem: str,
) -> tuple[CleanPage, OcrReading]:
    """No orientation read well: keep the best reading, flagged ``orientation_unsure``."""
    best, best_ocr, best_check = max(
        tried, key=lambda t: t[2]["lexicon_share"] * max(t[2]["upright_share"], 0.1)
    )
    log.info("page %s: no orientation reads well; keeping the best reading", stem)
    if best is not written:  # its clean image was overwritten by a later candidate
        best = clean(orientation=best.orientation)
    flags = [*quality_list(best.quality, "flags")]
    if "orientation_unsure" not in flags:
        flags.append("orientation_unsure")
    best = replace(best, quality={**best.quality, "flags": flags})
    return _with_step(best, best_check), best_ocr


def _sideways_turns(
    prep: Prepared, workdir: Path, stem: str, engine: OcrEngine
) -> tuple[list[int], dict[str, Any] | None]:
    """The two orientations with the lines the other way, most likely first.

    Our own up/down vote on the page turned a quarter decides when it is sure; otherwise
    Tesseract's OSD is asked on that frame (once).
    """
    across = prep.across()
    first = across.orientation
    osd: dict[str, Any] | None = None
    if across.orientation_confidence < MIN_OWN_CONFIDENCE:
        frame, base = osd_frame(prep.gray, across)
        path = write_png(workdir / f"{stem}_osd.png", frame, None)
        found = engine.orientation(path)
        path.unlink(missing_ok=True)
        osd = {"engine": "tesseract-osd", "tries": [{"frame_turn": base, "result": found}]}
        if found is not None and found[1] >= MIN_OSD_CONFIDENCE:
            first = (base + found[0]) % 360
    return [first, (first + 180) % 360], osd


def _with_osd_note(page: CleanPage, osd: dict[str, Any] | None) -> CleanPage:
    if osd is None:
        return page
    steps = [dict(s) for s in page.steps]
    for step in steps:
        if step.get("step") == "orientation":
            step["osd"] = osd
    return replace(page, steps=steps)


def _with_step(page: CleanPage, check: dict[str, Any]) -> CleanPage:
    return replace(page, steps=[*page.steps, {"step": "orientation_reading_check", **check}])


def _verified(page: CleanPage, check: dict[str, Any]) -> CleanPage:
    steps = [dict(s) for s in page.steps]
    for step in steps:
        if step.get("step") == "orientation":
            step["verified_by"] = "reading"
    steps.append({"step": "orientation_reading_check", **check})
    return replace(page, steps=steps, unverified=False)


def _provenance(page: CleanPage, ocr: OcrReading, kind: str, threshold: float) -> list[dict]:
    return [
        *page.steps,
        {
            "step": "ocr",
            "engine": ocr.page.engine,
            "version": ocr.page.engine_version,
            "lang": ocr.page.lang,
            "psm": ocr.page.psm,
        },
        {"step": "extract", "kind": kind, "threshold": threshold},
    ]


def process_image(
    im: Image.Image,
    *,
    stem: str,
    workdir: Path,
    options: ProcessOptions,
    engine: OcrEngine,
    hint: str | None = None,
) -> PageOutcome:
    """Run cleanup, OCR and extraction on one page image."""
    workdir.mkdir(parents=True, exist_ok=True)
    page, ocr, clean_s, read_s = _clean_and_read(
        im, stem=stem, workdir=workdir, options=options, engine=engine
    )
    t1 = time.perf_counter()
    kind = options.schema or detect_kind(ocr.page, hint=hint, ruled_lines=page.ruled_lines)
    threshold = (
        options.review_threshold
        if options.review_threshold is not None
        else calibration().threshold
    )
    # page.path is the binarised page.gray: the word boxes are in page.gray's pixels
    extract = extract_page(kind, ocr.page, threshold=threshold, gray=page.gray)
    records = check_records(extract.records, ocr.page, page.gray)
    quality = dict(page.quality)
    if DOWNSCALED_FROM in im.info:  # reduced on decode to the page memory budget
        quality["flags"] = [*quality_list(quality, "flags"), "downscaled"]
        quality["downscaled_from"] = list(im.info[DOWNSCALED_FROM])
    if not extract.layout_found:
        quality["flags"] = [*quality_list(quality, "flags"), "layout_not_extracted"]
    if ocr.page.warnings:
        quality["ocr_warnings"] = ocr.page.warnings
    log.info(
        "page %s: orientation=%s skew=%.2f kind=%s records=%d",
        stem,
        page.orientation,
        page.skew,
        kind,
        len(records),
    )
    text = ocr.page.text if extract.lines is None else "\n".join(ln.text for ln in extract.lines)
    result = PageResult(
        source=stem,
        text=nfc(text),
        skew_deg=page.skew,
        orientation_deg=page.orientation,
        quality=quality,
        records=records,
        kind=kind,
        provenance=[
            *_provenance(page, ocr, kind, threshold),
            *extract.steps,
        ],
    )
    timings = {"cleanup": clean_s, "ocr": read_s, "extract": time.perf_counter() - t1}
    return PageOutcome(result=result, ocr=ocr, clean_path=page.path, timings=timings)
