# Over 500 lines: test material, the page renderers share their drawing helpers.
"""Synthetic Vietnamese civil-status and TTHC pages with ground truth.

Every ``render_*`` function is pure: it takes a ``seed`` (and options), draws one page with
Pillow and returns ``(image, truth)``. The same seed gives the same pixels and the same truth
on the same Pillow/FreeType build. The only files read are fonts and the small reference tables
in ``pipeline/data`` (see its README for sources and licences).

Truth shape (all strings NFC)::

    {"kind": "khai_sinh" | "ket_hon" | "khai_tu" | "tthc" | "so_khai_sinh",
     "lines": [...],        # text lines in reading order; cells on one baseline joined by " "
     "fields": {...},       # DESIGN.md field names; dates ISO, years YYYY, other values as printed
     "entries": [...],      # register pages only: one dict of fields per entry
     "font": "serif", "font_file": "NotoSerif-Regular.ttf", "dpi": 300, "seed": 1,
     "skew_deg": 0.0, "orientation_deg": 0, "degradations": []}

With ``handwritten=`` (values written by a clerk's pen) or, on decisions, ``marks=`` (seal,
signature, margin note, copy stamp) the page is RGB and the truth gains ``mode``,
``handwritten``, ``hand_face``, ``hand_boxes``, ``marks`` and ``mark_boxes`` (see
:mod:`bench.corpus.inked`); register entries gain ``handwritten``. ``lines`` stay the text a
reader reads: handwritten values are in them, the marks' text never is.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import random
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bench.corpus import extras, inked
from bench.corpus import names as unlisted
from bench.corpus.handwriting import Hand
from pipeline.errors import MissingToolError

DATA_DIR = Path(__file__).resolve().parents[2] / "pipeline" / "data"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/andika"),
)
FACES = ("serif", "mono", "sans")
#: Faces drawn only when their font package is installed (see :func:`face_available`).
OPTIONAL_FACES = ("hand",)
STYLES = ("regular", "bold", "italic", "bolditalic")
# Per face, candidate families in order of preference: (regular, bold, italic, bold italic).
# A family is used only if it draws every Vietnamese letter (never Liberation: no ệ, ử).
FONT_FILES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "serif": (
        (
            "NotoSerif-Regular.ttf",
            "NotoSerif-Bold.ttf",
            "NotoSerif-Italic.ttf",
            "NotoSerif-BoldItalic.ttf",
        ),
        (
            "DejaVuSerif.ttf",
            "DejaVuSerif-Bold.ttf",
            "DejaVuSerif-Italic.ttf",
            "DejaVuSerif-BoldItalic.ttf",
        ),
    ),
    "sans": (
        (
            "NotoSans-Regular.ttf",
            "NotoSans-Bold.ttf",
            "NotoSans-Italic.ttf",
            "NotoSans-BoldItalic.ttf",
        ),
        (
            "DejaVuSans.ttf",
            "DejaVuSans-Bold.ttf",
            "DejaVuSans-Oblique.ttf",
            "DejaVuSans-BoldOblique.ttf",
        ),
    ),
    # DejaVu Sans Mono lacks the hook-above letters (ả, ổ, ử ...); Noto Sans Mono has no italic.
    "mono": (
        (
            "NotoSansMono-Regular.ttf",
            "NotoSansMono-Bold.ttf",
            "NotoSansMono-Regular.ttf",
            "NotoSansMono-Bold.ttf",
        ),
    ),
    # Handwriting-like: Andika (SIL, a "literacy" face with hand-printed letter shapes and full
    # Vietnamese coverage), drawn slanted with a wobbling baseline. The script faces packaged
    # by Debian (Dancing Script, Comic Neue, Kristi, ...) lack ơ, ư and the dot-below letters.
    "hand": (
        (
            "Andika-Italic.ttf",
            "Andika-BoldItalic.ttf",
            "Andika-Italic.ttf",
            "Andika-BoldItalic.ttf",
        ),
    ),
}
_FONT_PACKAGES = {"hand": "fonts-sil-andika"}
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_LOWER = (
    string.ascii_lowercase
    + "đ"
    + "".join(unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in _TONES if t)
    + "ăâêôơư"
)
VIETNAMESE_LETTERS = _LOWER + _LOWER.upper()
"""Every letter of Vietnamese (and ASCII) in both cases, NFC."""

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_UNIT_TYPES = ("Thành phố", "Thị trấn", "Thị xã", "Tỉnh", "Quận", "Huyện", "Xã", "Phường")
_ETHNIC_MIX = {  # province code -> weights of ethnic groups (names as in ethnic_groups.csv)
    "01": {"Kinh": 95, "Mường": 4, "Dao": 1},
    "37": {"Kinh": 97, "Mường": 3},
    "40": {"Kinh": 72, "Thái": 22, "Thổ": 6},
    "89": {"Kinh": 90, "Khơ-me": 6, "Chăm": 2, "Hoa": 2},
}
_MIN_REG_YEAR, _MAX_REG_YEAR = 1992, 2024
_MIN_TTHC_YEAR = 2016


# ---------------------------------------------------------------- numbers and dates in words


@dataclass(frozen=True)
class DateWords:
    """How numbers are spelled in a date written in words ("ghi bằng chữ").

    The defaults are the standard written forms; each field names the regional variant
    it may be swapped for.
    """

    mung: str = "mùng"  # before days 1–10; "mồng" (north, older books)
    linh: str = "linh"  # empty tens place (2005); "lẻ" (south)
    nghin: str = "nghìn"  # thousand; "ngàn" (south)
    lam: str = "lăm"  # 5 after a tens word (25); "nhăm" (north, spoken style)
    tu: str = "tư"  # 4 after "mươi" (24); "bốn"
    mot: str = "mốt"  # 1 after "mươi" (21); "một"

    @classmethod
    def regional(cls, rng: random.Random, region: str) -> DateWords:
        """A spelling a registrar of ``region`` ("north", "central", "south") might use."""
        south = region == "south"
        return cls(
            mung=rng.choice(("mùng", "mùng", "mồng")) if not south else "mùng",
            linh=("lẻ" if rng.random() < 0.85 else "linh")
            if south
            else ("linh" if rng.random() < 0.9 else "lẻ"),
            nghin=rng.choice(("ngàn", "nghìn")) if south else "nghìn",
            lam="nhăm" if region == "north" and rng.random() < 0.2 else "lăm",
            tu=rng.choice(("tư", "bốn")) if south else ("tư" if rng.random() < 0.85 else "bốn"),
            mot="một" if rng.random() < 0.15 else "mốt",
        )


def number_in_words(n: int, *, linh: str = "linh", style: DateWords | None = None) -> str:
    """Spell 0 ≤ n < 10000 the way dates are spelled on Vietnamese civil-status papers.

    Args:
        n: the number.
        linh: word for an empty tens place ("linh" in the north, "lẻ" in the south);
            shorthand for ``DateWords(linh=linh)`` when ``style`` is None.
        style: the spelling variants to use.

    Returns:
        e.g. 2005 → "hai nghìn không trăm linh năm", 24 → "hai mươi tư".
    """
    style = style or DateWords(linh=linh)
    if not 0 <= n < 10000:
        raise ValueError(f"out of range: {n}")
    if n == 0:
        return _DIGITS[0]
    thousands, rest = divmod(n, 1000)
    hundreds, tail = divmod(rest, 100)
    parts = [f"{_DIGITS[thousands]} {style.nghin}"] if thousands else []
    if hundreds or (thousands and tail):
        parts.append(f"{_DIGITS[hundreds]} trăm")
    if tail:
        parts.append(_two_digits(tail, after_hundred=bool(thousands or hundreds), style=style))
    return " ".join(parts)


def _two_digits(n: int, *, after_hundred: bool, style: DateWords) -> str:
    tens, units = divmod(n, 10)
    if tens == 0:
        return f"{style.linh} {_DIGITS[units]}" if after_hundred else _DIGITS[units]
    head = "mười" if tens == 1 else f"{_DIGITS[tens]} mươi"
    if units == 0:
        return head
    tail = {
        1: style.mot if tens > 1 else "một",
        4: style.tu if tens > 1 else "bốn",
        5: style.lam if tens > 1 else "lăm",
    }
    return f"{head} {tail.get(units, _DIGITS[units])}"


def date_in_words(d: date, *, linh: str = "linh", style: DateWords | None = None) -> str:
    """Write a date in words as on a civil-status extract ("ghi bằng chữ").

    Args:
        d: the date.
        linh: "linh" or "lẻ" for years such as 2005 (shorthand when ``style`` is None).
        style: the spelling variants to use (mùng/mồng, linh/lẻ, nghìn/ngàn, lăm/nhăm, ...).

    Returns:
        e.g. "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám"; days 1–10 take
        "mùng", month 4 is "tư".
    """
    style = style or DateWords(linh=linh)
    day = number_in_words(d.day, style=style)
    day = f"{style.mung} {day}" if d.day <= 10 else day
    month = "tư" if d.month == 4 else number_in_words(d.month, style=style)
    return f"Ngày {day} tháng {month} năm {number_in_words(d.year, style=style)}"


def pick_date_words(option: DateWords | str | None, *, seed: int, region: str) -> DateWords | None:
    """Resolve a renderer's ``date_words`` option.

    Args:
        option: None (no date in words), "standard" (the region's usual spelling: "lẻ" in
            the south, "linh" elsewhere), "regional" (a random regional variant drawn from
            its own generator, so the page's other content does not change) or a style.
        seed: the page's seed.
        region: "north", "central" or "south".
    """
    if option is None or isinstance(option, DateWords):
        return option
    if option == "standard":
        return DateWords(linh="lẻ" if region == "south" else "linh")
    if option == "regional":
        return DateWords.regional(random.Random(f"date-words-{seed}"), region)
    raise ValueError(f"unknown date_words option: {option!r}")


# ---------------------------------------------------------------- reference data


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: unicodedata.normalize("NFC", v) for k, v in r.items()} for r in rows]


@cache
def _surnames(region: str) -> tuple[list[str], list[float]]:
    rows = [r for r in _read_csv("surnames.csv") if r["region"] == region]
    return [r["surname"] for r in rows], [float(r["weight_percent_estimate"]) for r in rows]


@cache
def _given_names(gender: str) -> list[str]:
    text = (DATA_DIR / f"given_names_{gender}.txt").read_text(encoding="utf-8")
    return [unicodedata.normalize("NFC", s.strip()) for s in text.splitlines() if s.strip()]


@cache
def _middle_names(gender: str, region: str) -> list[str]:
    rows = _read_csv("middle_names.csv")
    return [r["middle_name"] for r in rows if r["gender"] == gender and r["region"] == region]


@cache
def ethnic_group_names() -> frozenset[str]:
    """Return the names of the 54 ethnic groups (and the two extra codes) from QĐ 121-TCTK."""
    return frozenset(r["name"] for r in _read_csv("ethnic_groups.csv"))


@cache
def _wards() -> tuple[dict[str, str], ...]:
    return tuple(_read_csv("wards_sample.csv"))


@cache
def _provinces() -> dict[str, str]:
    return {r["code"]: r["name"] for r in _read_csv("provinces_pre2025.csv")}


@cache
def _tthc_templates() -> dict[str, Any]:
    text = (DATA_DIR / "tthc_templates.json").read_text(encoding="utf-8")
    return json.loads(unicodedata.normalize("NFC", text))


# ---------------------------------------------------------------- fonts


def _find_font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    return next(Path("/usr/share/fonts").rglob(name), None)


@cache
def font_files(face: str) -> tuple[Path, Path, Path, Path]:
    """Find the regular, bold, italic and bold-italic files of a face.

    The first candidate family that is installed and draws every Vietnamese letter wins.

    Args:
        face: "serif", "mono" or "sans".

    Raises:
        MissingToolError: when no candidate family qualifies.
    """
    for family in FONT_FILES[face]:
        found = [_find_font_file(name) for name in family]
        paths = tuple(p for p in found if p is not None)
        if len(paths) == 4 and not any(_missing_in(p, VIETNAMESE_LETTERS) for p in paths):
            return paths[0], paths[1], paths[2], paths[3]
    package = _FONT_PACKAGES.get(face, "fonts-noto-core, fonts-noto-mono")
    raise MissingToolError(
        f"Không có phông chữ '{face}' đủ chữ tiếng Việt (cài {package})",
        reason="missing_font",
    )


def face_available(face: str) -> bool:
    """Whether ``face`` has an installed family that draws every Vietnamese letter."""
    try:
        font_files(face)
    except MissingToolError:
        return False
    return True


@lru_cache(maxsize=256)
def _font_at(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.BASIC)


def _font(face: str, style: str, size_px: int) -> ImageFont.FreeTypeFont:
    return _font_at(font_files(face)[STYLES.index(style)], size_px)


def _glyph_bitmap(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    size = int(font.size)
    img = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(img).text((size, size), ch, font=font, fill=255)
    return img.tobytes()


@lru_cache(maxsize=64)
def _missing_in(path: Path, text: str) -> tuple[str, ...]:
    """Characters of text that the font file draws as its missing-glyph box."""
    font = _font_at(path, 48)
    notdef = _glyph_bitmap(font, "\U0010fffd")
    return tuple(sorted({c for c in text if not c.isspace() and _glyph_bitmap(font, c) == notdef}))


def missing_glyphs(face: str, text: str) -> list[str]:
    """List the characters of ``text`` that some style of ``face`` cannot draw.

    Args:
        face: "serif", "mono" or "sans".
        text: characters to check (whitespace is ignored).
    """
    return sorted({c for path in set(font_files(face)) for c in _missing_in(path, text)})


# ---------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Run:
    text: str
    bold: bool = False
    italic: bool = False
    tag: str = ""  # the field a value belongs to; handwritten when the canvas says so


@dataclass(frozen=True)
class _Cell:
    runs: tuple[_Run, ...]
    x: float
    align: str = "l"  # "l": x is the left edge, "c": the centre, "r": the right edge


def _cell(
    text: str, x: float, align: str = "l", *, bold: bool = False, italic: bool = False
) -> _Cell:
    return _Cell((_Run(text, bold, italic),), x, align)


class _Canvas:
    """A page being drawn, with a vertical cursor and the truth lines drawn so far."""

    def __init__(self, size_mm: tuple[float, float], *, dpi: int, face: str, rng: random.Random):
        self.dpi, self.face = dpi, face
        self.paper, self.ink = rng.randint(244, 255), rng.randint(0, 40)
        # handwriting wobbles; its own generator so the page content does not depend on it
        self.wobble = random.Random(rng.random()) if face == "hand" else None
        self.img = Image.new("L", (self.px(size_mm[0]), self.px(size_mm[1])), self.paper)
        self.draw = ImageDraw.Draw(self.img)
        self.lines: list[str] = []
        self.y = 0
        # handwritten values (see bench.corpus.inked): runs whose tag is in hand_tags are
        # left blank here and recorded in hand_runs, to be written in ink when the page is done
        self.hand: Hand | None = None
        self.hand_tags: set[str] = set()
        self.hand_runs: list[dict[str, Any]] = []
        self.hand_context: dict[str, Any] = {}
        self.anchors: dict[str, Any] = {}  # where marks go (e.g. the signer block)

    def px(self, mm: float) -> int:
        """Convert millimetres to pixels."""
        return round(mm / 25.4 * self.dpi)

    def font(self, pt: float, run: _Run | None = None) -> ImageFont.FreeTypeFont:
        """Font for a run (regular when None) at a size in points."""
        run = run or _Run("")
        style = ("bold" if run.bold else "") + ("italic" if run.italic else "") or "regular"
        return _font(self.face, style, round(pt * self.dpi / 72))

    def width(self, runs: Sequence[_Run], pt: float) -> float:
        """Advance width of runs in pixels."""
        return sum(self._advance(r, pt) for r in runs)

    def _is_hand(self, run: _Run) -> bool:
        return self.hand is not None and bool(run.tag) and run.tag in self.hand_tags

    def _advance(self, run: _Run, pt: float) -> float:
        """A run's width; a handwritten value takes its ink's width plus a blank each side."""
        if self.hand is not None and self._is_hand(run) and run.text.strip():
            lead = self._lead(run, pt)
            return lead + self.hand.width(run.text.strip()) + 0.5 * self.hand.size_px
        return float(self.font(pt, run).getlength(run.text))

    def _lead(self, run: _Run, pt: float) -> float:
        """Width of the typed spaces before a run's text."""
        spaces = run.text[: len(run.text) - len(run.text.lstrip())]
        return float(self.font(pt, run).getlength(spaces))

    def fit(self, runs: Sequence[_Run], pt: float, max_width: float) -> float:
        """Largest size ≤ pt (in half points) at which runs fit in max_width."""
        while pt > 6 and self.width(runs, pt) > max_width:
            pt -= 0.5
        return pt

    def put(self, cells: Sequence[_Cell], pt: float, *, lead: float = 1.5) -> int:
        """Draw cells on one baseline at the cursor, record the line, move down; return baseline."""
        baseline = self.y + self.font(pt).getmetrics()[0]
        placed = []
        for cell in cells:
            w = self.width(cell.runs, pt)
            x = cell.x - {"l": 0.0, "c": w / 2, "r": w}[cell.align]
            placed.append((x, "".join(r.text for r in cell.runs)))
            for run in cell.runs:
                if self._is_hand(run) and run.text.strip():
                    self.hand_runs.append(
                        {"tag": run.tag, "text": run.text.strip(), "baseline": baseline}
                        | {"x": x + self._lead(run, pt)}
                        | self.hand_context
                    )
                else:
                    self._text(x, baseline, run.text, self.font(pt, run))
                x += self._advance(run, pt)
        text = " ".join(t for _, t in sorted(placed) if t.strip())
        if text:
            self.lines.append(" ".join(text.split()))
        self.y += round(pt * self.dpi / 72 * lead)
        return baseline

    def _text(self, x: float, baseline: float, text: str, font: ImageFont.FreeTypeFont) -> None:
        """Draw text at a baseline; handwriting moves each word a little up or down."""
        if self.wobble is None:
            self.draw.text((x, baseline), text, font=font, fill=self.ink, anchor="ls")
            return
        size, space = float(font.size), font.getlength(" ")
        for word in text.split(" "):
            if word:
                dy = self.wobble.gauss(0.0, 0.035 * size)
                dx = self.wobble.uniform(-0.04, 0.04) * size
                self.draw.text((x + dx, baseline + dy), word, font=font, fill=self.ink, anchor="ls")
            x += font.getlength(word) + space

    def wrap(
        self,
        runs: Sequence[_Run],
        pt: float,
        *,
        left: float,
        right: float,
        first_indent: float = 0.0,
        lead: float = 1.5,
    ) -> None:
        """Draw runs as a left-aligned paragraph wrapped between left and right."""
        for i, line in enumerate(self.split_lines(runs, pt, right - left, first_indent)):
            self.put([_Cell(tuple(line), left + (first_indent if i == 0 else 0))], pt, lead=lead)

    def split_lines(
        self, runs: Sequence[_Run], pt: float, width: float, first_indent: float = 0.0
    ) -> list[list[_Run]]:
        """Greedy word wrap of runs into lines no wider than width."""
        lines: list[list[_Run]] = [[]]
        used = 0.0
        for word in (_Run(w, r.bold, r.italic, r.tag) for r in runs for w in r.text.split()):
            size = self.width([word], pt)
            gap = self.width([_Run(" ", word.bold, word.italic)], pt) if lines[-1] else 0.0
            limit = width - (first_indent if len(lines) == 1 else 0)
            if lines[-1] and used + gap + size > limit:
                lines.append([])
                used, gap = 0.0, 0.0
            lines[-1].append(word)
            used += gap + size
        return [_join_words(line) for line in lines if line]

    def rule(self, x0: float, x1: float, y: float, *, width: int = 2) -> None:
        """Draw a horizontal line."""
        self.draw.line([(x0, y), (x1, y)], fill=self.ink, width=width)


def _join_words(words: Sequence[_Run]) -> list[_Run]:
    """Merge words into runs of equal style, separated by single spaces."""
    out: list[_Run] = []
    for i, w in enumerate(words):
        text = w.text if i == 0 else " " + w.text
        if out and (out[-1].bold, out[-1].italic, out[-1].tag) == (w.bold, w.italic, w.tag):
            out[-1] = _Run(out[-1].text + text, w.bold, w.italic, w.tag)
        else:
            out.append(_Run(text, w.bold, w.italic, w.tag))
    return out


def _labelled(label: str, value: str, *, bold: bool = False, key: str = "") -> tuple[_Run, ...]:
    return (_Run(f"{label} "), _Run(value, bold=bold, tag=key))


def _tab_cells(
    canvas: _Canvas, groups: Sequence[Sequence[_Run]], stops: Sequence[float], pt: float
) -> list[_Cell]:
    """Place groups of runs at tab stops, pushing a group right if the previous one is long."""
    cells, end = [], 0.0
    for runs, stop in zip(groups, stops, strict=True):
        x = max(stop, end + canvas.px(6))
        cells.append(_Cell(tuple(runs), x))
        end = x + canvas.width(runs, pt)
    return cells


def _header(
    canvas: _Canvas,
    left: Sequence[_Run],
    left2: Sequence[_Run],
    *,
    pt: float,
    margins: tuple[float, float],
    split: float = 0.4,
) -> None:
    """Two-column header: issuing bodies on the left, the national motto on the right."""
    x0, x1 = margins
    lc, rc = x0 + (x1 - x0) * split / 2, x0 + (x1 - x0) * (split + 1) / 2
    motto = [_Run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)]
    motto2 = [_Run("Độc lập - Tự do - Hạnh phúc", bold=True)]
    rpt = canvas.fit(motto, pt, (x1 - x0) * (1 - split))
    lpt = min(canvas.fit(left, pt, (x1 - x0) * split), canvas.fit(left2, pt, (x1 - x0) * split))
    pt = min(rpt, lpt)
    canvas.put([_Cell(tuple(left), lc, "c"), _Cell(tuple(motto), rc, "c")], pt, lead=1.3)
    base = canvas.put([_Cell(tuple(left2), lc, "c"), _Cell(tuple(motto2), rc, "c")], pt, lead=1.3)
    under = base + round(pt * canvas.dpi / 72 * 0.55)
    w2, wl = canvas.width(motto2, pt), canvas.width(left2, pt) / 3
    canvas.rule(rc - w2 / 2, rc + w2 / 2, under)
    canvas.rule(lc - wl / 2, lc + wl / 2, under)
    canvas.y += round(pt * canvas.dpi / 72 * 0.6)


# ---------------------------------------------------------------- people and places


def _person(rng: random.Random, region: str, gender: str, surname: str | None = None) -> str:
    names, weights = _surnames(region)
    # Bench only: ~12 % of persons get a name the product's name lists lack (the reference
    # signal must not see every right name as "known"); marked in the truth's "unlisted".
    if unlisted.active() and rng.random() < unlisted.PERSON_SHARE:
        return unlisted.unlisted_person(rng, gender, surname, rng.choices(names, weights)[0])
    surname = surname or rng.choices(names, weights)[0]
    given = rng.choice(_given_names(gender))
    if gender == "female" and rng.random() < 0.35:
        given = f"Thị {given}"
    elif gender == "male" and rng.random() < 0.3:
        given = f"{rng.choice(_middle_names('male', region))} {given.split()[-1]}"
    return f"{surname} {given}"


def _lower_type(name: str) -> str:
    """'Xã Kim Định' → 'xã Kim Định' (unit type in lower case, as inside an address)."""
    for t in _UNIT_TYPES:
        if name.lower().startswith(t.lower() + " "):
            return t.lower() + name[len(t) :]
    return name


@cache
def _province_history() -> tuple[dict[str, str], ...]:
    return tuple(_read_csv("province_history.csv"))


def _province_at(ward: dict[str, str], when: date) -> str:
    """Name of the ward's province on a date (e.g. Ba Vì was in Hà Tây until 1 Aug 2008)."""
    for row in _province_history():
        same = row["province_code"] == ward["province_code"]
        if same and row["district_code"] in ("*", ward["district_code"]):
            if when < date.fromisoformat(row["valid_until"]):
                return row["name"]
    return ward["province"]


def _address(ward: dict[str, str], when: date, *, hamlet: str = "") -> str:
    parts = [
        hamlet,
        _lower_type(ward["ward"]),
        _lower_type(ward["district"]),
        _lower_type(_province_at(ward, when)),
    ]
    return ", ".join(p for p in parts if p)


def _hamlet(rng: random.Random, ward: dict[str, str]) -> str:
    if ward["ward"].startswith("Phường"):
        return f"Tổ {rng.randint(1, 30)}"
    word = {"north": "Xóm", "central": "Thôn", "south": "Ấp"}[ward["region"]]
    return f"{word} {rng.randint(1, 12)}"


def _birth_place(rng: random.Random, ward: dict[str, str], when: date) -> str:
    if unlisted.active() and rng.random() < unlisted.PLACE_SHARE:  # bench: commune not listed
        ward = unlisted.unlisted_ward(rng, ward)
    r = rng.random()
    if r < 0.45:
        return f"Trạm y tế {_address(ward, when)}"
    if r < 0.8:
        district = _lower_type(ward["district"])
        return f"Bệnh viện đa khoa {district}, {_lower_type(_province_at(ward, when))}"
    return _address(ward, when)


def _ethnic(rng: random.Random, ward: dict[str, str]) -> str:
    mix = _ETHNIC_MIX.get(ward["province_code"], {"Kinh": 1})
    return rng.choices(list(mix), list(mix.values()))[0]


def _random_date(rng: random.Random, year: int) -> date:
    start = date(year, 1, 1)
    return start + timedelta(days=rng.randrange((date(year + 1, 1, 1) - start).days))


def _pick_dates(
    rng: random.Random, reg_year: int | None, birth_year: int | None
) -> tuple[date, date]:
    """Return (birth, registration), registration on or after birth, mostly within 60 days."""
    if reg_year is not None and birth_year is not None:
        if birth_year > reg_year:
            raise ValueError("birth_year after reg_year")
        birth = _random_date(rng, birth_year)
        lo = max(birth, date(reg_year, 1, 1))
        return birth, lo + timedelta(days=rng.randint(0, (date(reg_year, 12, 31) - lo).days))
    if birth_year is not None:
        birth = _random_date(rng, birth_year)
        return birth, birth + timedelta(days=rng.randint(0, 60))
    reg = _random_date(rng, reg_year if reg_year is not None else rng.randint(1992, 2021))
    delay = rng.randint(61, 3650) if rng.random() < 0.1 else rng.randint(0, 60)
    return reg - timedelta(days=delay), reg


def _id_number(rng: random.Random, province_code: str, birth: date, gender: str) -> str:
    """12-digit personal number: province, century+sex digit, year, six random digits."""
    digit = (0 if birth.year < 2000 else 2) + (gender == "female")
    return f"{int(province_code):03d}{digit}{birth.year % 100:02d}{rng.randrange(10**6):06d}"


def _birth_record(
    rng: random.Random, ward: dict[str, str], birth: date, reg: date
) -> dict[str, str]:
    """Fields of one birth registration (names in title case, dates ISO)."""
    region, gender = ward["region"], rng.choice(("male", "female"))
    father = _person(rng, region, "male")
    mother = _person(rng, region, "female")
    child = _person(rng, region, gender, surname=father.split()[0])
    ethnic = _ethnic(rng, ward)
    # bench only: ~8 % of homes are in a commune the ward tables lack
    in_unlisted = unlisted.active() and rng.random() < unlisted.PLACE_SHARE
    home_ward = unlisted.unlisted_ward(rng, ward) if in_unlisted else ward
    home = _address(home_ward, reg, hamlet=_hamlet(rng, home_ward))
    origin = rng.choice(_wards()) if rng.random() < 0.3 else ward
    declarant = rng.choices(
        [father, mother, _person(rng, region, "male", father.split()[0])], [70, 25, 5]
    )[0]
    return {
        "ho_ten": child,
        "gioi_tinh": "Nam" if gender == "male" else "Nữ",
        "ngay_sinh": birth.isoformat(),
        "dan_toc": ethnic,
        "quoc_tich": "Việt Nam",
        "noi_sinh": _birth_place(rng, ward, birth),
        "que_quan": _address(origin, reg),
        "so_dinh_danh": _id_number(rng, ward["province_code"], birth, gender),
        "ho_ten_me": mother,
        "nam_sinh_me": str(birth.year - rng.randint(18, 45)),
        "dan_toc_me": ethnic if rng.random() < 0.85 else _ethnic(rng, ward),
        "quoc_tich_me": "Việt Nam",
        "noi_cu_tru_me": home,
        "ho_ten_cha": father,
        "nam_sinh_cha": str(birth.year - rng.randint(18, 45)),
        "dan_toc_cha": ethnic,
        "quoc_tich_cha": "Việt Nam",
        "noi_cu_tru_cha": home,
        "nguoi_di_khai": declarant,
        "noi_dang_ky": f"Ủy ban nhân dân {_address(ward, reg)}",
        "ngay_dang_ky": reg.isoformat(),
    }


def _pick_ward(rng: random.Random, year: int) -> dict[str, str]:
    return rng.choice([w for w in _wards() if not w["since"] or int(w["since"]) <= year])


def _check_year(year: int | None, lo: int, hi: int) -> None:
    if year is not None and not lo <= year <= hi:
        raise ValueError(f"year {year} outside {lo}–{hi}")


# ---------------------------------------------------------------- truth helpers


def _dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _nfc(obj: Any) -> Any:
    if isinstance(obj, str):
        return unicodedata.normalize("NFC", obj)
    if isinstance(obj, list):
        return [_nfc(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _nfc(v) for k, v in obj.items()}
    return obj


def _truth(
    kind: str, canvas: _Canvas, fields: dict[str, Any], seed: int, **extra: Any
) -> dict[str, Any]:
    return _nfc(
        {
            "kind": kind,
            "lines": canvas.lines,
            "fields": fields,
            **({"unlisted": unlisted.unlisted_fields(fields)} if unlisted.active() else {}),
            **extra,
            "font": canvas.face,
            "font_file": font_files(canvas.face)[0].name,
            "dpi": canvas.dpi,
            "seed": seed,
            "skew_deg": 0.0,
            "orientation_deg": 0,
            "degradations": [],
        }
    )


# ---------------------------------------------------------------- page kinds


def render_birth_extract(
    seed: int,
    *,
    dpi: int = 300,
    font: str = "serif",
    reg_year: int | None = None,
    birth_year: int | None = None,
    date_words: DateWords | str | None = "standard",
    handwritten: str | None = None,
) -> tuple[Image.Image, dict[str, Any]]:
    """Render a "TRÍCH LỤC KHAI SINH" (birth extract) on A4 portrait.

    Args:
        seed: seed of the page's own ``random.Random``.
        dpi: resolution; the page is 210 × 297 mm.
        font: "serif", "mono", "sans" or "hand" (see :data:`OPTIONAL_FACES`).
        reg_year: year of registration (the record's formation year), 1992–2024.
        birth_year: year of birth; registration is on or after the birth date.
        date_words: how the birth date is written in words ("ghi bằng chữ"): see
            :func:`pick_date_words`; None leaves that line out.
        handwritten: the values filled into the printed form by hand: None (typed), "all" or
            "some" (see :func:`bench.corpus.inked.pick_hand_tags`); the labels stay typed.

    Returns:
        The grayscale page and its truth (kind "khai_sinh").
    """
    _check_year(reg_year, _MIN_REG_YEAR, _MAX_REG_YEAR)
    rng = random.Random(seed)
    birth, reg = _pick_dates(rng, reg_year, birth_year)
    ward = _pick_ward(rng, reg.year)
    fields = _birth_record(rng, ward, birth, reg)
    fields["ho_ten"] = fields["ho_ten"].upper()
    fields = {
        "so": str(rng.randint(1, 250)),
        "quyen_so": f"{rng.randint(1, 2):02d}/{reg.year}",
        **fields,
    }
    canvas = _Canvas((210, 297), dpi=dpi, face=font, rng=rng)
    words = pick_date_words(date_words, seed=seed, region=ward["region"])
    signer = _person(rng, ward["region"], rng.choice(("male", "female")))
    inked.start_hand(canvas, seed, inked.pick_hand_tags(seed, handwritten, list(fields)), pt=13)
    variant = extras.pick(seed)
    more = _birth_extras(seed, variant, fields, ward, reg) | {"nguoi_ky": signer}
    _draw_birth_extract(canvas, ward, fields, words=words, signer=signer, more=more)
    img, extra = inked.finish_page(canvas, seed)
    return img, _truth("khai_sinh", canvas, fields | more, seed) | _nfc(extra)


def _birth_extras(
    seed: int, variant: extras.Variant, f: dict[str, str], ward: dict[str, str], reg: date
) -> dict[str, str]:
    """What this page prints beyond the main fields (issue 19), as truth."""
    more: dict[str, str] = {}
    for who in ("me", "cha") if variant.parent_dates else ():
        born = extras.parent_birth(seed, who, int(f[f"nam_sinh_{who}"]))
        more[f"ngay_sinh_{who}"] = born.isoformat()
    if variant.permanent:
        more |= {"loai_cu_tru_me": "thường trú", "loai_cu_tru_cha": "thường trú"}
    if variant.declarant:
        who = {f["ho_ten_cha"]: "father", f["ho_ten_me"]: "mother"}.get(f["nguoi_di_khai"], "other")
        province = _lower_type(_province_at(ward, reg))
        more |= extras.declarant_lines(seed, who, reg, province)[1]
    return more


_PARENT_ROW = (("Năm sinh:", "nam_sinh"), ("Dân tộc:", "dan_toc"), ("Quốc tịch:", "quoc_tich"))


def _draw_birth_extract(
    canvas: _Canvas,
    ward: dict[str, str],
    f: dict[str, str],
    *,
    words: DateWords | None,
    signer: str,
    more: dict[str, str] | None = None,
) -> None:
    more = more or {}
    left, right = canvas.px(25), canvas.px(190)
    pt = 12.0 if canvas.face == "mono" else 13.0
    canvas.y = canvas.px(18)
    _header(
        canvas,
        [_Run(f"UBND {ward['district'].upper()}")],
        [_Run(f"UBND {ward['ward'].upper()}", bold=True)],
        pt=pt - 1,
        margins=(left, right),
    )
    canvas.y += canvas.px(8)
    canvas.put([_cell("TRÍCH LỤC KHAI SINH", (left + right) / 2, "c", bold=True)], pt + 3, lead=2)
    stops = [left, left + (right - left) * 0.36, left + (right - left) * 0.64]

    def row(*pairs: tuple[str, str]) -> None:  # (label, field) at each tab stop
        groups = [_labelled(label, f[key], key=key) if key else () for label, key in pairs]
        canvas.put(_tab_cells(canvas, groups, stops, pt), pt, lead=1.65)

    def para(label: str, key: str, value: str | None = None, *, bold: bool = False) -> None:
        runs = _labelled(label, f[key] if value is None else value, bold=bold, key=key)
        canvas.wrap(runs, pt, left=left, right=right, lead=1.65)

    row(("Số:", "so"), ("", ""), ("Quyển số:", "quyen_so"))
    para("Họ, chữ đệm, tên:", "ho_ten", bold=True)
    para("Ngày, tháng, năm sinh:", "ngay_sinh", _dmy(f["ngay_sinh"]))
    if words is not None:
        words_text = date_in_words(date.fromisoformat(f["ngay_sinh"]), style=words)
        para("ghi bằng chữ:", "ngay_sinh", words_text)
    row(("Giới tính:", "gioi_tinh"), ("Dân tộc:", "dan_toc"), ("Quốc tịch:", "quoc_tich"))
    para("Nơi sinh:", "noi_sinh")
    para("Quê quán:", "que_quan")
    para("Số định danh cá nhân:", "so_dinh_danh")
    _draw_people(row, para, more)
    para("Nơi đăng ký khai sinh:", "noi_dang_ky")
    para("Ngày, tháng, năm đăng ký:", "ngay_dang_ky", _dmy(f["ngay_dang_ky"]))
    _signature(
        canvas,
        "NGƯỜI KÝ TRÍCH LỤC",
        signer,
        x=left + (right - left) * 0.72,
        pt=pt,
        note="(Ký, ghi rõ họ, chữ đệm, tên, đóng dấu)",
    )


def _draw_people(row: Callable[..., None], para: Callable[..., None], more: dict[str, str]) -> None:
    """The parents' and the declarant's lines of a birth extract, with this page's variants."""
    for who, key in (("mẹ", "me"), ("cha", "cha")):
        para(f"Họ, chữ đệm, tên người {who}:", f"ho_ten_{key}")
        if f"ngay_sinh_{key}" in more:  # the full date instead of the year (issue 19)
            para("Ngày, tháng, năm sinh:", f"nam_sinh_{key}", _dmy(more[f"ngay_sinh_{key}"]))
            row(*((label, f"{name}_{key}") for label, name in _PARENT_ROW[1:]), ("", ""))
        else:
            row(*((label, f"{name}_{key}") for label, name in _PARENT_ROW))
        residence = "Nơi thường trú:" if f"loai_cu_tru_{key}" in more else "Nơi cư trú:"
        para(residence, f"noi_cu_tru_{key}")
    para("Họ, chữ đệm, tên người đi khai sinh:", "nguoi_di_khai")
    if "quan_he_nguoi_di_khai" in more:
        para("Quan hệ với người được khai sinh:", "", more["quan_he_nguoi_di_khai"])
        paper = (
            f"{'CMND' if more['giay_to_nguoi_di_khai'].startswith('Chứng') else 'CCCD'} số "
            f"{more['so_giay_to_nguoi_di_khai']}, cấp ngày "
            f"{_dmy(more['ngay_cap_giay_to_nguoi_di_khai'])}, tại "
            f"{more['noi_cap_giay_to_nguoi_di_khai']}"
        )
        para("Giấy tờ tùy thân:", "", paper)


def _signature(
    canvas: _Canvas,
    title: str,
    name: str,
    *,
    x: float,
    pt: float,
    note: str = "",
    left: Sequence[_Cell] = (),
) -> None:
    """Signer block centred on x; cells on the left (e.g. "Nơi nhận") share its rows."""
    canvas.y += canvas.px(6)
    right = [_cell(title, x, "c", bold=True)] + ([_cell(note, x, "c", italic=True)] if note else [])
    top = canvas.y
    for i in range(max(len(left), len(right))):
        cells = [*left[i : i + 1], *right[i : i + 1]]
        canvas.put(cells, pt if i == 0 else pt - 2, lead=1.5 if i == 0 else 1.4)
    canvas.y = max(canvas.y + canvas.px(4), top + canvas.px(32))
    canvas.anchors["signer"] = {"x": x, "top": top, "name_top": canvas.y}
    canvas.put([_cell(name, x, "c", bold=True)], pt)


def render_tthc_decision(
    seed: int,
    *,
    dpi: int = 300,
    font: str = "serif",
    year: int | None = None,
    province_code: str | None = None,
    agency: str | None = None,
    handwritten: Sequence[str] = (),
    marks: Sequence[str] = (),
) -> tuple[Image.Image, dict[str, Any]]:
    """Render a department's decision ("QUYẾT ĐỊNH") laid out after Decree 30/2020, A4 portrait.

    Args:
        seed: seed of the page's own ``random.Random``.
        dpi: resolution.
        font: "serif", "mono" or "sans".
        year: issue year, 2016–2024 (the legal bases cited must predate it).
        province_code: two-digit code of a pre-2025 province (e.g. "02" Hà Giang).
        agency: "SNV", "STP" or "SYT" (Sở Nội vụ, Tư pháp, Y tế).
        handwritten: fields the clerk fills in by hand after signing: "so_ky_hieu" (the
            number's digits; the typed symbol stays) and/or "ngay_ban_hanh" (the day, and
            sometimes the month, of the place-date line).
        marks: marks drawn over the typed page (see :data:`bench.corpus.marks.MARKS`): "seal",
            "signature", "margin_note", "copy_stamp". Their text is not in the truth's lines.

    Returns:
        The page (grayscale; RGB with handwriting or marks, see :mod:`bench.corpus.inked` for
        the truth keys this adds) and its truth (kind "tthc").
    """
    _check_year(year, _MIN_TTHC_YEAR, _MAX_REG_YEAR)
    rng = random.Random(seed)
    tpl = _tthc_templates()
    year = year if year is not None else rng.randint(2017, 2024)
    code = province_code or rng.choice(sorted(_provinces()))
    agency = agency or rng.choice(sorted(tpl["agencies"]))
    doc = _decision_text(rng, tpl, year, _provinces()[code], agency)
    canvas = _Canvas((210, 297), dpi=dpi, face=font, rng=rng)
    tags = set(handwritten) & {"so_ky_hieu", "ngay_ban_hanh"}
    if "ngay_ban_hanh" in tags and random.Random(f"hand-month-{seed}").random() < 0.35:
        tags.add("ngay_ban_hanh.month")
    inked.start_hand(canvas, seed, tags, pt=13.0)
    _draw_decision(canvas, doc)
    text = inked.MarkText(
        seal=f"{doc['fields']['co_quan_ban_hanh'].upper()} * {doc['province'].upper()} *",
        issued=date.fromisoformat(doc["fields"]["ngay_ban_hanh"]),
        font=font_files("sans")[0],
        bold=font_files("sans")[1],
    )
    img, extra = inked.finish_page(canvas, seed, marks=tuple(marks), text=text)
    return img, _truth("tthc", canvas, doc["fields"], seed) | _nfc(extra)


def _place_name(province: str) -> str:
    """Place name before a date: "Tỉnh Hà Giang" → "Hà Giang", "Thành phố Hà Nội" → "Hà Nội"."""
    if province.startswith("Tỉnh "):
        return province.removeprefix("Tỉnh ")
    return province if province.endswith("Hồ Chí Minh") else province.removeprefix("Thành phố ")


def _decision_text(
    rng: random.Random, tpl: dict[str, Any], year: int, province: str, agency: str
) -> dict[str, Any]:
    a = tpl["agencies"][agency]
    issued = _random_date(rng, year)
    gender = rng.choice(("male", "female"))
    tinh = _lower_type(province)
    values = {k: rng.choice(v) for k, v in a["fillers"].items()}
    values |= {
        "tinh": tinh,
        "ong_ba": "ông" if gender == "male" else "bà",
        "nguoi": _person(rng, "north", gender),
        "so_tv": rng.randint(5, 11),
        "ngay_sinh": _random_date(rng, year - rng.randint(28, 55)).strftime("%d/%m/%Y"),
        "department": a["department"],
        "dept_abbr": a["dept_abbr"],
        "title": a["title"],
        "so_qd": rng.randint(100, 2999),
        "ngay_qd": _vn_date(_random_date(rng, year - 2)),
    }
    bases = [b["text"] for b in tpl["common_bases"] + a["bases"] if b["min_year"] <= year]
    article1 = a["article1"] + (" " + a["article1_extra"] if rng.random() < 0.5 else "")
    so = f"{rng.randint(1, 400)}/QĐ-{agency}"
    return {
        "fields": {
            "so_ky_hieu": so,
            "ngay_ban_hanh": issued.isoformat(),
            "dia_danh": _place_name(province),
            "co_quan_chu_quan": f"UBND {province.upper()}",
            "co_quan_ban_hanh": a["name"],
            "loai_van_ban": "Quyết định",
            "trich_yeu": a["trich_yeu"].format(**values),
            "nguoi_ky": _person(rng, "north", rng.choice(("male", "female"))),
        },
        "authority": f"GIÁM ĐỐC {a['name']}",
        "preamble": [*bases, tpl["unit_basis"].format(**values), a["consider"].format(**values)],
        "articles": [article1.format(**values), tpl["article2"], tpl["article3"].format(**values)],
        "recipients": [r.format(**values) for r in tpl["recipients"]],
        "date_line": f"{_place_name(province)}, {_vn_date(issued)}",
        "province": province,
    }


def _date_runs(place: str, iso: str) -> tuple[_Run, ...]:
    """The place-date line as runs, its day and month tagged for the clerk's hand."""
    d = date.fromisoformat(iso)
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return (
        _Run(f"{place}, ngày ", italic=True),
        _Run(f"{d.day:02d}", italic=True, tag="ngay_ban_hanh"),
        _Run(" tháng ", italic=True),
        _Run(month, italic=True, tag="ngay_ban_hanh.month"),
        _Run(f" năm {d.year}", italic=True),
    )


def _vn_date(d: date) -> str:
    """'ngày 05 tháng 3 năm 2018' (Decree 30: a leading zero for days < 10 and months 1–2)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def _draw_decision(canvas: _Canvas, doc: dict[str, Any]) -> None:
    left, right = canvas.px(30), canvas.px(190)
    mid, f, pt = (left + right) / 2, doc["fields"], 13.0
    canvas.y = canvas.px(18)
    _header(
        canvas,
        [_Run(f["co_quan_chu_quan"])],
        [_Run(f["co_quan_ban_hanh"], bold=True)],
        pt=pt - 1,
        margins=(left, right),
    )
    date_line = _cell(doc["date_line"], right, "r", italic=True)
    number = _cell(f"Số: {f['so_ky_hieu']}", left + (right - left) * 0.2, "c")
    if canvas.hand is not None:  # the clerk's blanks: typed around, filled in by hand
        date_line = _Cell(_date_runs(f["dia_danh"], f["ngay_ban_hanh"]), right, "r")
        digits, symbol = f["so_ky_hieu"].split("/", 1)
        runs = (_Run("Số: "), _Run(digits, tag="so_ky_hieu"), _Run(f"/{symbol}"))
        number = _Cell(runs, number.x, "c")
    rc = min(left + (right - left) * 0.7, right - canvas.width(date_line.runs, pt) / 2)
    canvas.put(
        [number, _Cell(date_line.runs, rc, "c")],
        pt,
        lead=2.2,
    )
    canvas.put([_cell("QUYẾT ĐỊNH", mid, "c", bold=True)], pt + 1, lead=1.4)
    for line in canvas.split_lines([_Run(f["trich_yeu"], bold=True)], pt, (right - left) * 0.8):
        base = canvas.put([_Cell(tuple(line), mid, "c")], pt, lead=1.4)
    canvas.rule(mid - canvas.px(20), mid + canvas.px(20), base + canvas.px(4))
    canvas.y += canvas.px(6)
    canvas.put([_cell(doc["authority"], mid, "c", bold=True)], pt, lead=1.8)
    indent = canvas.px(10)
    for sentence in doc["preamble"]:
        canvas.wrap(
            [_Run(sentence, italic=False)],
            pt,
            left=left,
            right=right,
            first_indent=indent,
            lead=1.35,
        )
    canvas.put([_cell("QUYẾT ĐỊNH:", mid, "c", bold=True)], pt, lead=1.6)
    for i, text in enumerate(doc["articles"], start=1):
        canvas.wrap(
            [_Run(f"Điều {i}.", bold=True), _Run(" " + text)],
            pt,
            left=left,
            right=right,
            first_indent=indent,
            lead=1.35,
        )
    recipients = [_cell("Nơi nhận:", left, bold=True, italic=True)]
    recipients += [_cell(r, left) for r in doc["recipients"]]
    _signature(
        canvas, "GIÁM ĐỐC", f["nguoi_ky"], x=left + (right - left) * 0.72, pt=pt, left=recipients
    )


_REGISTER_COLUMNS = (  # header, field, relative width
    ("Số", "so", 4.0),
    ("Ngày đăng ký", "ngay_dang_ky", 8.5),
    ("Họ và tên", "ho_ten", 12.5),
    ("Ngày sinh", "ngay_sinh", 8.5),
    ("Giới tính", "gioi_tinh", 6.0),
    ("Dân tộc", "dan_toc", 6.5),
    ("Nơi sinh", "noi_sinh", 16.0),
    ("Họ tên cha", "ho_ten_cha", 11.0),
    ("Họ tên mẹ", "ho_ten_me", 11.0),
    ("Người đi khai", "nguoi_di_khai", 10.0),
    ("Ghi chú", "ghi_chu", 6.0),
)
#: The column a bound register's right page starts with (see ``render_register_page(halves=)``).
HALF_SPLIT = "noi_sinh"
_ENTRY_KEYS = (
    "so",
    "ngay_dang_ky",
    "ho_ten",
    "ngay_sinh",
    "gioi_tinh",
    "dan_toc",
    "noi_sinh",
    "ho_ten_cha",
    "ho_ten_me",
    "nguoi_di_khai",
    "ghi_chu",
)


def render_register_page(
    seed: int,
    *,
    dpi: int = 300,
    font: str = "serif",
    reg_year: int | None = None,
    first_no: int | None = None,
    n_entries: int | None = None,
    handwritten: str | None = None,
    halves: bool = False,
) -> tuple[Image.Image, dict[str, Any]]:
    """Render one ruled page of a birth register book (sổ đăng ký khai sinh), A4 landscape.

    Args:
        seed: seed of the page's own ``random.Random``.
        dpi: resolution.
        font: "serif", "mono" or "sans".
        reg_year: year of the book, 1992–2024.
        first_no: number of the first entry on the page (entries then count up by one).
        n_entries: entries on the page, 4–6 by default.
        handwritten: entries written into the printed ruling by hand: None (typed), "all" (every
            value) or "some" (each entry its own random columns); the header stays typed. Each
            entry then has ``"handwritten"``: the columns whose value is handwritten.
        halves: the spread of a bound book, its left page ending after "Dân tộc": the title
            and the place of registration are printed over the left page's columns, the book
            number over the right page's (:mod:`bench.corpus.halves` cuts it in two).

    Returns:
        The page (grayscale; RGB with handwriting) and its truth (kind "so_khai_sinh", with
        "entries").
    """
    _check_year(reg_year, _MIN_REG_YEAR, _MAX_REG_YEAR)
    rng = random.Random(seed)
    year = reg_year if reg_year is not None else rng.randint(_MIN_REG_YEAR, 2021)
    ward = _pick_ward(rng, year)
    n = n_entries or rng.randint(4, 6)
    first = first_no if first_no is not None else rng.randint(1, 200)
    entries = _register_entries(rng, ward, year, first, n)
    page = {
        "quyen_so": f"{rng.randint(1, 2):02d}/{year}",
        "noi_dang_ky": f"Ủy ban nhân dân {_address(ward, date(year, 1, 1))}",
    }
    if not halves and (number := extras.pick(seed, register=True).page_number):
        page["trang_so"] = str(number)
    canvas = _Canvas((297, 210), dpi=dpi, face=font, rng=rng)
    hands = [
        inked.pick_hand_tags(f"{seed}-{i}", handwritten, [k for k in _ENTRY_KEYS if e[k]])
        for i, e in enumerate(entries)
    ]
    inked.start_hand(canvas, seed, set().union(*hands), pt=10)
    boxes = _draw_register(canvas, page, entries, hands, halves=halves)
    img, extra = inked.finish_page(canvas, seed)
    if extra:
        drawn = {(b["entry"], b["field"]) for b in extra["hand_boxes"]}
        entries = [
            {**e, "handwritten": [k for k in _ENTRY_KEYS if (i, k) in drawn]}
            for i, e in enumerate(entries)
        ]
    truth = _truth("so_khai_sinh", canvas, page, seed, entries=entries, cell_boxes=boxes)
    return img, truth | _nfc(extra)


def _register_entries(
    rng: random.Random, ward: dict[str, str], year: int, first: int, n: int
) -> list[dict[str, str]]:
    start = date(year, 1, 2) + timedelta(days=min(300, (first - 1) * rng.randint(1, 3)))
    regs = sorted(start + timedelta(days=rng.randint(0, 60)) for _ in range(n))
    entries = []
    for no, reg in enumerate(regs, start=first):
        late = rng.random() < 0.15
        birth = reg - timedelta(days=rng.randint(61, 2000) if late else rng.randint(0, 60))
        rec = _birth_record(rng, ward, birth, reg)
        rec |= {
            "so": str(no),
            "noi_dang_ky": f"Ủy ban nhân dân {_address(ward, reg)}",
            "ghi_chu": "Đăng ký quá hạn" if late else "",
        }
        entry = {k: rec[k] for k in (*_ENTRY_KEYS, "noi_dang_ky")}
        if late:  # the remark says how it was registered (issue 19)
            entry["loai_dang_ky"] = "quá hạn"
        if unlisted.active() and (lacking := unlisted.unlisted_fields(entry)):  # bench only
            entry["unlisted"] = lacking
        entries.append(entry)
    return entries


def _draw_register(
    canvas: _Canvas,
    page: dict[str, str],
    entries: list[dict[str, str]],
    hands: Sequence[set[str]] = (),
    *,
    halves: bool = False,
) -> list[dict[str, list[int]]]:
    """Draw the page; return each entry's cell boxes [x0, y0, x1, y1] by field."""
    left, right, pt = canvas.px(15), canvas.px(282), 10.0
    total = sum(w for *_, w in _REGISTER_COLUMNS)
    edges: list[float] = [float(left)]
    for *_, w in _REGISTER_COLUMNS:
        edges.append(edges[-1] + (right - left) * w / total)
    # a bound book's spread: the headings sit over the left page (it ends after "Dân tộc")
    end = edges[[k for _, k, _ in _REGISTER_COLUMNS].index(HALF_SPLIT)] if halves else right
    if "trang_so" in page:  # the book's page number in the top margin (issue 19)
        canvas.y = canvas.px(5)
        canvas.put([_cell(f"Trang {page['trang_so']}", right, "r")], 10, lead=1.2)
    canvas.y = canvas.px(12)
    canvas.put([_cell("SỔ ĐĂNG KÝ KHAI SINH", (left + end) / 2, "c", bold=True)], 14, lead=1.6)
    place = [_Run(f"Nơi đăng ký: {page['noi_dang_ky']}")]
    lines = canvas.split_lines(place, 11, end - left - canvas.px(4)) if halves else [place]
    for i, line in enumerate(lines):
        book = [_cell(f"Quyển số: {page['quyen_so']}", right, "r")] if i == 0 else []
        lead = 1.8 if i == len(lines) - 1 else 1.3
        canvas.put([_Cell(tuple(line), left, "l"), *book], 11, lead=lead)
    header = {key: title for title, key, _ in _REGISTER_COLUMNS}
    top = canvas.y
    canvas.y = _table_row(canvas, edges, header, pt, bold=True, min_lines=2)
    free = canvas.img.height - canvas.px(15) - canvas.y
    rows = max(3, free // len(entries) // round(pt * canvas.dpi / 72 * 1.3) - 1)
    boxes = []
    for i, entry in enumerate(entries):
        if canvas.hand is not None:  # the columns this entry's clerk wrote by hand
            canvas.hand_tags, canvas.hand_context = set(hands[i]), {"entry": i}
        display = {
            **entry,
            "ngay_dang_ky": _dmy(entry["ngay_dang_ky"]),
            "ngay_sinh": _dmy(entry["ngay_sinh"]),
        }
        row_top = canvas.y
        canvas.y = _table_row(canvas, edges, display, pt, min_lines=rows)
        boxes.append(
            {
                key: [round(x0), row_top, round(x1), canvas.y]
                for (_, key, _), x0, x1 in zip(_REGISTER_COLUMNS, edges, edges[1:], strict=False)
            }
        )
    for x in edges:
        canvas.draw.line([(x, top), (x, canvas.y)], fill=canvas.ink, width=3)
    return boxes


def _table_row(
    canvas: _Canvas,
    edges: list[float],
    cells: dict[str, str],
    pt: float,
    *,
    bold: bool = False,
    min_lines: int = 1,
) -> int:
    """Draw one ruled table row (cells wrapped inside their columns); return its bottom y."""
    pad, line_h = canvas.px(1.5), round(pt * canvas.dpi / 72 * 1.3)
    top, drawn = canvas.y, len(canvas.lines)
    canvas.rule(edges[0], edges[-1], top, width=3)
    wrapped = [
        canvas.split_lines(
            [_Run(cells[key], bold=bold, tag="" if bold else key)], pt, right - x - 2 * pad
        )
        for (_, key, _), x, right in zip(_REGISTER_COLUMNS, edges, edges[1:], strict=False)
    ]
    n_lines = max(min_lines, *(len(w) for w in wrapped))
    for i, lines in enumerate(wrapped):
        canvas.y = top + pad + (n_lines - len(lines)) * line_h // 2 if bold else top + pad
        x = (edges[i] + edges[i + 1]) / 2 if bold else edges[i] + pad
        for line in lines:
            canvas.put([_Cell(tuple(line), x, "c" if bold else "l")], pt, lead=1.3)
    row_texts = [" ".join(cells[key].split()) for _, key, _ in _REGISTER_COLUMNS]
    del canvas.lines[drawn:]  # one truth line per table row, not per wrapped cell line
    canvas.lines.append(" ".join(t for t in row_texts if t))
    bottom = top + 2 * pad + n_lines * line_h
    canvas.rule(edges[0], edges[-1], bottom, width=3)
    return bottom


# ---------------------------------------------------------------- degradations


def apply_skew(img: Image.Image, deg: float) -> Image.Image:
    """Rotate a page by ``deg`` degrees counter-clockwise (Pillow's sign), growing the canvas.

    The uncovered corners are white. An upright page rotated this way has ``skew_deg == deg``.
    """
    fill: int | tuple[int, ...] = 255 if len(img.getbands()) == 1 else (255,) * len(img.getbands())
    return img.rotate(deg, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def with_skew(
    img: Image.Image, truth: dict[str, Any], deg: float
) -> tuple[Image.Image, dict[str, Any]]:
    """Apply :func:`apply_skew` and return a truth that records it (cell boxes follow the page)."""
    out = apply_skew(img, deg)
    new = copy.deepcopy(truth)
    new["skew_deg"] = round(new["skew_deg"] + deg, 6)
    new["degradations"].append({"op": "rotate", "deg": deg})
    if "cell_boxes" in new:
        new["cell_boxes"] = [
            {k: _rotate_box(b, deg, img.size, out.size) for k, b in row.items()}
            for row in new["cell_boxes"]
        ]
    return out, new


def _rotate_box(
    box: list[int], deg: float, size: tuple[int, int], new_size: tuple[int, int]
) -> list[int]:
    """Axis-aligned box around a box's corners after a counter-clockwise page rotation."""
    (w, h), (nw, nh) = size, new_size
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    xs, ys = [], []
    for x in (box[0], box[2]):
        for y in (box[1], box[3]):
            dx, dy = x - w / 2, y - h / 2
            xs.append(nw / 2 + dx * c + dy * s)
            ys.append(nh / 2 - dx * s + dy * c)
    return [math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))]
