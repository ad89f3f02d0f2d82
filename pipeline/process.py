"""One page image → cleaned image, OCR, records: the stages of a page, no DB, no S3."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image

from pipeline.config import ProcessOptions
from pipeline.extract.calibration import Calibration
from pipeline.extract.decree30 import copy_marks
from pipeline.extract.fields import flag_handwritten, flag_suspect_zeros, flag_tiny_text
from pipeline.extract.kinds import detect_kind, extract_page
from pipeline.extract.second import box_reader, second_opinion
from pipeline.extract.signer_titles import with_matched_titles
from pipeline.imaging.clean import (
    CleanPage,
    clean_page,
    half_turn,
    note_orientation,
    osd_asker,
    reads_gray_copy,
    write_png,
)
from pipeline.imaging.glyphs import find_suspect_zeros
from pipeline.imaging.handwriting import hand_model, judge_words
from pipeline.imaging.io import DOWNSCALED_FROM
from pipeline.imaging.orientation import (
    MAX_EXTRA_READS,
    MIN_READ_WORDS,
    Prepared,
    candidates,
    prepare,
    reading_check,
    reading_score,
    reads_turned,
    sideways_turns,
    words_lie_flat,
)
from pipeline.ports import LineReader, OcrEngine, OcrReading
from pipeline.signer_lines import with_signer_lines
from schemas.models import (
    OcrPage,
    OcrWord,
    PageQuality,
    PageResult,
    ProcessingStep,
    Record,
    nfc,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageOutcome:
    """What processing one page produced (files live in the work directory)."""

    result: PageResult
    ocr: OcrReading
    clean_path: Path
    timings: dict[str, float] = field(default_factory=dict)


#: Tesseract page-segmentation mode per layout (``--psm``), measured on the bench corpus:
#: automatic segmentation (3) reads both label-and-value forms and ruled register tables
#: best; tables are then split into cells by pipeline.extract.tables from the word boxes.
LAYOUT_PSM = {"form": 3, "table": 3}
#: At least this many long ruled lines make a page a table.
TABLE_RULES = 8
#: A page enlarged enough to be read from its gray copy (``resolution.GRAY_FROM_UPSCALE``) is
#: read once; any other page whose reading has fewer valid syllables than this share is read
#: from its plain gray copy too ...
PLAIN_BELOW_LEXICON = 0.6
#: ... and the plain reading is kept when it scores this much better (ties keep the binary).
PLAIN_MARGIN = 2.0


def layout_of(page: CleanPage) -> str:
    """The page's layout: a ruled register "table", or a "form" (everything else)."""
    return "table" if page.ruled_lines >= TABLE_RULES else "form"


def _with_check(page: CleanPage, check: dict[str, Any]) -> CleanPage:
    """The page with the reading check that settled (or failed to settle) its orientation."""
    reading = ProcessingStep.of("orientation_reading_check", **check)
    return replace(page, steps=[*page.steps, reading])


def _verified(page: CleanPage, check: dict[str, Any]) -> CleanPage:
    page = _with_check(note_orientation(page, verified_by="reading"), check)
    return replace(page, unverified=False)


Reading = tuple[CleanPage, OcrReading]


@dataclass
class _Attempts:
    """The cleanups and readings of one page while its orientation is settled."""

    im: Image.Image
    stem: str
    workdir: Path
    options: ProcessOptions
    engine: OcrEngine
    prep: Prepared
    clean_s: float
    read_s: float = 0.0
    #: every reading so far: the page, its OCR, its reading check
    tried: list[tuple[CleanPage, OcrReading, dict[str, Any]]] = field(default_factory=list)
    #: the page whose OCR copy is on disk now (later cleanups overwrite it)
    written: CleanPage | None = None

    def clean(self, **kw: Any) -> CleanPage:
        page = clean_page(
            self.im,
            stem=self.stem,
            workdir=self.workdir,
            engine=self.engine,
            keep=self.options.keep_intermediates,
            prepared=self.prep,
            **kw,
        )
        self.clean_s += page.seconds
        return page

    def half_turn(self, page: CleanPage) -> CleanPage:
        flipped = half_turn(page)
        self.clean_s += flipped.seconds
        return flipped

    def read(self, page: CleanPage) -> tuple[OcrReading, dict[str, Any]]:
        t0 = time.perf_counter()
        reading = self.engine.read(
            page.path,
            workdir=self.workdir,
            lang=self.options.lang,
            timeout=self.options.ocr_timeout,
            dpi=round(page.dpi or 300),
            psm=self.options.psm or LAYOUT_PSM[layout_of(page)],
        )
        self.read_s += time.perf_counter() - t0
        return reading, reading_check(reading.page)

    def first_that_reads(self, pages: Iterable[CleanPage]) -> Reading | None:
        """Read each candidate (made lazily) until one reads well; all are kept in ``tried``."""
        for page in pages:
            self.written = page
            ocr, check = self.read(page)
            if check["ok"]:
                return _verified(page, check), ocr
            self.tried.append((page, ocr, check))
        return None


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
    t0 = time.perf_counter()
    prep = prepare(im)
    run = _Attempts(im, stem, workdir, options, engine, prep, time.perf_counter() - t0)
    page, ocr = _settle(run)
    page, ocr = _prefer_plain(run, page, ocr)
    return page, ocr, run.clean_s, run.read_s


def _at_risk(page: CleanPage, ocr: OcrReading) -> bool:
    """Might binarising have hurt this page (a poor reading of a binarised copy)?"""
    if reads_gray_copy(page):  # enlarged small text: already read from its gray copy
        return False
    check = reading_check(ocr.page)
    return check["words"] >= MIN_READ_WORDS and check["lexicon_share"] < PLAIN_BELOW_LEXICON


def _prefer_plain(run: _Attempts, page: CleanPage, ocr: OcrReading) -> Reading:
    """Never worse than the gray page: on a page at risk, read the plain copy too, keep the better.

    The plain copy is the flattened, deskewed gray the binary copy was made from (same pixels,
    so the word boxes match). The choice and both scores are recorded as a step.
    """
    if not _at_risk(page, ocr):
        return page, ocr
    plain_path = write_png(run.workdir / f"{run.stem}_3_plain.png", page.gray, page.dpi)
    plain_ocr, _ = run.read(replace(page, path=plain_path))
    binarised, plain = reading_score(ocr.page), reading_score(plain_ocr.page)
    kept = "plain" if plain > binarised + PLAIN_MARGIN else "binarised"
    step = ProcessingStep.of(
        "reading_choice", kept=kept, binarised=round(binarised, 1), plain=round(plain, 1)
    )
    log.info("page %s: binarised reading %.1f, plain %.1f: %s", run.stem, binarised, plain, kept)
    if kept == "plain":  # the plain copy becomes the page's OCR copy (previews, PDF)
        plain_path.replace(page.path)
        return replace(page, steps=[*page.steps, step]), plain_ocr
    plain_path.unlink(missing_ok=True)
    for extra in run.workdir.glob(f"{run.stem}_3_plain_ocr.*"):  # the losing reading's files
        extra.unlink(missing_ok=True)
    return replace(page, steps=[*page.steps, step]), ocr


def _settle(run: _Attempts) -> Reading:
    """The page read the way up our vote says, or the way its readings settle."""
    page = run.clean(ask_osd=False)
    run.written = page
    ocr, check = run.read(page)
    if not page.unverified:
        if not reads_turned(check):
            return page, ocr
        # our vote was sure, yet the words do not read: it can be wrong (a register whose
        # rules outweigh its text); the page is checked like an unsure one
        log.info("page %s: a sure up/down vote, but the page reads as if turned", run.stem)
    elif check["ok"]:
        return _verified(page, check), ocr
    run.tried.append((page, ocr, check))
    found = run.first_that_reads(_turns_read_suggests(run, page, check))
    if found is None and len(run.tried) <= MAX_EXTRA_READS:
        found = _settle_with_osd(run, page, ocr, check)
    return found or _best_of(run)


def _turns_read_suggests(
    run: _Attempts, page: CleanPage, check: dict[str, Any]
) -> Iterator[CleanPage]:
    """The turns a first reading with enough words suggests, made as they are asked for.

    Words lying flat that do not read: the copy turned upside down. Words read as tall
    boxes: the lines run the other way; our up/down vote on the page turned a quarter (or
    OSD, if that vote is unsure) picks which way first.
    """
    if check["words"] < MIN_READ_WORDS:
        return
    if words_lie_flat(check):
        yield run.half_turn(page)
        return
    turns, how = sideways_turns(run.prep, osd_asker(run.engine, run.workdir, run.stem))
    for turn in [t for t in turns if t != page.orientation]:
        cand = run.clean(orientation=turn)
        yield cand if how is None else note_orientation(cand, osd=how)


def _settle_with_osd(
    run: _Attempts, page: CleanPage, ocr: OcrReading, check: dict[str, Any]
) -> Reading | None:
    """Ask OSD, then read its answer and the turns the first reading suggests."""
    osd = run.clean(ask_osd=True)
    run.written = osd
    if check["words"] < MIN_READ_WORDS:  # too little text for readings to judge: trust OSD
        if osd.orientation == page.orientation:
            return _with_check(osd, check), ocr
        ocr2, check2 = run.read(osd)
        return _with_check(osd, check2), ocr2
    done = {t[0].orientation for t in run.tried}
    settled = None if "orientation_unsure" in osd.quality.flags else osd.orientation
    todo = [c for c in candidates(page.orientation, check, settled) if c not in done]
    todo = todo[: MAX_EXTRA_READS + 1 - len(run.tried)]
    return run.first_that_reads(
        osd if turn == osd.orientation else run.clean(orientation=turn) for turn in todo
    )


def _best_of(run: _Attempts) -> Reading:
    """No orientation read well: keep the best reading, flagged ``orientation_unsure``."""
    best, best_ocr, best_check = max(
        run.tried, key=lambda t: t[2]["lexicon_share"] * max(t[2]["upright_share"], 0.1)
    )
    log.info("page %s: no orientation reads well; keeping the best reading", run.stem)
    if best is not run.written:  # its clean image was overwritten by a later candidate
        best = run.clean(orientation=best.orientation)
    best = replace(best, quality=best.quality.flagged("orientation_unsure"))
    return _with_check(best, best_check), best_ocr


def _provenance(
    page: CleanPage, ocr: OcrReading, kind: str, threshold: float
) -> list[ProcessingStep]:
    return [
        *page.steps,
        ProcessingStep.of(
            "ocr",
            engine=ocr.page.engine,
            version=ocr.page.engine_version,
            lang=ocr.page.lang,
            psm=ocr.page.psm,
        ),
        ProcessingStep.of("extract", kind=kind, threshold=threshold),
    ]


def _page_quality(page: CleanPage, im: Image.Image, ocr: OcrReading, found: bool) -> PageQuality:
    """The cleaned page's quality with what decoding, OCR and extraction noticed."""
    quality = page.quality
    if DOWNSCALED_FROM in im.info:  # reduced on decode to the page memory budget
        quality = quality.flagged("downscaled")
        quality = quality.model_copy(update={"downscaled_from": list(im.info[DOWNSCALED_FROM])})
    if not found:
        quality = quality.flagged("layout_not_extracted")
    if ocr.page.warnings:
        quality = quality.model_copy(update={"ocr_warnings": ocr.page.warnings})
    return quality


def _hand_words(
    page: CleanPage, ocr: OcrReading, records: list[Record]
) -> list[tuple[OcrWord, str]]:
    """The handwritten words of the lines that hold a field's value, with the reason why."""
    boxes = [f.bbox for r in records for f in r.fields.values() if f.bbox and f.value]
    lines = [ln for ln in ocr.page.lines if any(_overlaps(ln.bbox, b) for b in boxes)]
    judged = judge_words(page.gray, lines, model=hand_model(), colours=page.colours)
    return [(j.word, j.reason) for j in judged]


def _cross_checked(
    records: list[Record], page: CleanPage, ocr: OcrReading, second: LineReader | None
) -> list[Record]:
    """The records with the fields the pixels put in doubt sent to review.

    Slashed zeros, handwriting, a second reading that disagrees (or none), text too small for
    its tone marks.
    """
    records = flag_suspect_zeros(records, find_suspect_zeros(ocr.page, page.gray))
    records = flag_handwritten(records, _hand_words(page, ocr, records))
    reader = None if second is None else box_reader(page.gray, second)
    records = second_opinion(records, reader, lines=[ln.bbox for ln in ocr.page.lines])
    records = with_matched_titles(records, ocr.page, reader, page.gray)
    return flag_tiny_text(records, _upscale(page))


def _upscale(page: CleanPage) -> float:
    """How much the page's text was enlarged for OCR (1.0: not)."""
    steps = [s.model_extra or {} for s in page.steps if s.step == "ocr_copy"]
    return max((float(s.get("upscale", 1.0)) for s in steps), default=1.0)


def _copy_step(page: OcrPage) -> list[ProcessingStep]:
    """The copy's provenance: "SAO Y", "BẢN SAO" or digital-signature lines found on the page."""
    marks = copy_marks(page)
    return [ProcessingStep.of("copy_marks", marks=marks)] if marks else []


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def process_image(
    im: Image.Image,
    *,
    stem: str,
    workdir: Path,
    options: ProcessOptions,
    engine: OcrEngine,
    calibration: Calibration,
    hint: str | None = None,
    second: LineReader | None = None,
) -> PageOutcome:
    """Run cleanup, OCR and extraction on one page image.

    ``calibration`` scores the fields (its threshold unless ``options.review_threshold``);
    ``second`` reads the key fields again (:mod:`pipeline.extract.second`); without one no
    key field is auto-accepted.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    page, ocr, clean_s, read_s = _clean_and_read(
        im, stem=stem, workdir=workdir, options=options, engine=engine
    )
    t1 = time.perf_counter()
    kind = options.schema or detect_kind(ocr.page, hint=hint, ruled_lines=page.ruled_lines)
    threshold = (
        options.review_threshold if options.review_threshold is not None else calibration.threshold
    )
    if kind == "tthc":
        ocr = with_signer_lines(ocr, page, engine, options, workdir)
    # page.path is the binarised page.gray: the word boxes are in page.gray's pixels
    extract = extract_page(
        kind, ocr.page, threshold=threshold, calibration=calibration, gray=page.gray
    )
    records = _cross_checked(extract.records, page, ocr, second)
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
        quality=_page_quality(page, im, ocr, extract.layout_found),
        records=records,
        kind=kind,
        provenance=[
            *_provenance(page, ocr, kind, threshold),
            *(ProcessingStep.model_validate(s) for s in extract.steps),
            *_copy_step(ocr.page),
        ],
    )
    timings = {"cleanup": clean_s, "ocr": read_s, "extract": time.perf_counter() - t1}
    return PageOutcome(result=result, ocr=ocr, clean_path=page.path, timings=timings)
