"""Which way up a page is: our own vote, OSD as second opinion, the reading check.

The reading check asks whether the OCR of the page looks like upright Vietnamese.

Pure decisions on images and readings; the engine's orientation detector is passed in as a
function of a page frame (:data:`AskOsd`), so nothing here writes files or runs OCR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from pipeline.imaging.cleanup import Analysis, analyse, osd_frame
from pipeline.imaging.ink import separate_inks
from pipeline.imaging.io import image_dpi, to_array, to_gray_array
from schemas.models import OcrPage

#: OSD must be at least this sure before a page is turned.
MIN_OSD_CONFIDENCE = 2.0
#: Below this confidence in our own up/down vote, Tesseract's OSD settles the orientation.
MIN_OWN_CONFIDENCE = 0.8
#: A page reads "the right way up" when at least this share of its words are Vietnamese
#: syllables (upright pages read ~0.95, upside-down ones ~0.25 on the bench) ...
MIN_READ_LEXICON = 0.6
#: ... and this share of its longer words are wider than tall (not read sideways).
MIN_READ_UPRIGHT = 0.7
#: Fewer checkable words than this and the reading cannot vouch for the orientation.
MIN_READ_WORDS = 15
#: A page our own vote was sure of is read-checked again only when its reading looks turned:
#: fewer valid syllables than this (upside-down pages read ~0.25, upright ones ~0.95) ...
TURNED_LEXICON = 0.4
#: ... or fewer of its longer words wider than tall than this (read sideways).
TURNED_UPRIGHT = 0.5
#: Extra readings allowed to settle an orientation that neither our vote nor OSD settled.
MAX_EXTRA_READS = 2

#: The engine's orientation detector on a page frame: (degrees turned counter-clockwise,
#: confidence), or None when it cannot tell.
AskOsd = Callable[[np.ndarray], tuple[int, float] | None]


@dataclass
class Prepared:
    """A page's gray image and analysis, computed once and shared by its cleanup attempts."""

    dpi: float | None
    gray: np.ndarray
    analysis: Analysis
    _across: Analysis | None = None
    #: coloured ink of a colour page (:mod:`pipeline.imaging.ink`), or None
    colours: np.ndarray | None = None

    def across(self) -> Analysis:
        """The analysis with the text lines taken to run the other way (computed once)."""
        if self._across is None:
            horizontal = self.analysis.orientation in (0, 180)
            self._across = analyse(self.gray, lines_horizontal=not horizontal)
        return self._across


def prepare(im: Image.Image) -> Prepared:
    """Gray copy and analysis (orientation vote, skew, borders) of a page image.

    A colour page's gray copy has its red seal ink lifted to paper, and its blue and red ink
    are mapped (:func:`pipeline.imaging.ink.separate_inks`).
    """
    if im.mode == "L":
        gray, colours = to_gray_array(im), None
    else:
        gray, colours = separate_inks(to_array(im))
    return Prepared(image_dpi(im), gray, analyse(gray), colours=colours)


def vote_unsure(a: Analysis) -> bool:
    """Is our own up/down vote too unsure to be taken without a second opinion?"""
    return a.orientation_confidence < MIN_OWN_CONFIDENCE


def osd_try(gray: np.ndarray, a: Analysis, ask: AskOsd) -> tuple[int | None, dict[str, Any]]:
    """Ask OSD on the page in the frame of ``a`` (lines horizontal by that analysis).

    Returns the orientation OSD settles (None when it is not sure enough) and the try.
    """
    frame, base = osd_frame(gray, a)
    found = ask(frame)
    settled = None
    if found is not None and found[1] >= MIN_OSD_CONFIDENCE:
        settled = (base + found[0]) % 360
    return settled, {"frame_turn": base, "result": found}


def confirm_orientation(prep: Prepared, a: Analysis, ask: AskOsd) -> tuple[Analysis, dict]:
    """Ask the OCR engine's orientation detector (OSD) when our own vote is unsure.

    OSD reads the page in our frame (lines horizontal by our vote); if it cannot tell,
    it is asked again with the other line direction. If it still cannot tell, the page is
    taken as upright (by far the most common case) and flagged ``orientation_unsure``.
    """
    info: dict[str, Any] = {"engine": "tesseract-osd", "tries": []}
    for candidate in (a, None):
        candidate = candidate or prep.across()
        settled, tried = osd_try(prep.gray, candidate, ask)
        info["tries"].append(tried)
        if settled is not None:
            return replace(candidate, orientation=settled), info
    upright = a if a.orientation in (0, 180) else prep.across()
    return replace(upright, orientation=0, notes=[*a.notes, "orientation_unsure"]), info


def sideways_turns(prep: Prepared, ask: AskOsd) -> tuple[list[int], dict[str, Any] | None]:
    """The two orientations with the lines the other way, most likely first.

    Our own up/down vote on the page turned a quarter decides when it is sure; otherwise
    OSD is asked on that frame (once). Returns the turns and OSD's note (None if not asked).
    """
    across = prep.across()
    first = across.orientation
    osd: dict[str, Any] | None = None
    if vote_unsure(across):
        settled, tried = osd_try(prep.gray, across, ask)
        osd = {"engine": "tesseract-osd", "tries": [tried]}
        if settled is not None:
            first = settled
    return [first, (first + 180) % 360], osd


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


def reading_score(page: OcrPage) -> float:
    """How much good Vietnamese a reading holds: valid syllables, less the words that are not.

    Counts rather than shares, so a reading that drops a line scores lower; words the lexicon
    cannot judge (numbers, symbols) count for nothing, a confident engine only breaks ties.
    """
    words = [w for ln in page.lines for w in ln.words if w.lexicon is not None]
    valid = sum(1 for w in words if w.lexicon)
    confidence = sum(w.conf for w in words) / len(words) if words else 0.0
    return valid - (len(words) - valid) + 0.5 * confidence


def reads_turned(check: dict[str, Any]) -> bool:
    """Does a reading look like a page turned the wrong way (enough words to tell)?"""
    return check["words"] >= MIN_READ_WORDS and (
        check["lexicon_share"] < TURNED_LEXICON or check["upright_share"] < TURNED_UPRIGHT
    )


def words_lie_flat(check: dict[str, Any]) -> bool:
    """Are most of the read words wider than tall (the lines run the way they were read)?"""
    return check["upright_share"] >= 0.5


def candidates(first: int, check: dict[str, Any], osd: int | None) -> list[int]:
    """Orientations worth reading after ``first``, most likely first.

    ``osd`` is the orientation OSD settled (None when it could not tell).
    """
    out = [osd] if osd is not None else []
    # words read as tall boxes: the lines run the other way; else probably upside down
    if words_lie_flat(check):
        out += [(first + 180) % 360]
    else:
        out += [(first + 90) % 360, (first + 270) % 360]
    return [c for i, c in enumerate(out) if c != first and c not in out[:i]]
