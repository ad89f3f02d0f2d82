"""Vietnamese syllable lexicon: is an OCR token a possible Vietnamese syllable?

A syllable is an onset, a rhyme and a tone. :func:`is_valid_syllable` checks the letters with
the rules of Vietnamese spelling, not a word list: the onsets (b, c, ch, d, đ, g, gh, gi, h, k,
kh, l, m, n, ng, ngh, nh, p, ph, qu, r, s, t, th, tr, v, x or none), the rhymes (oa, oe, uy, uyê,
ươ, iê/yê, …), the spelling constraints (k, gh, ngh before i/e/ê; c, g, ng elsewhere; qu never
before a glide), the tones a stop final allows (p, t, c, ch only with sắc or nặng) and where the
tone mark may sit (old "hòa, thủy" and new "hoà, thuỷ" placement both accepted).

The syllables of Tesseract's own ``vie`` word list (``pipeline/data/vie_syllables.txt``) tell a
common syllable from a merely well-formed one (:func:`is_known_syllable`). The confusions of
VietOCR (``pipeline/data/vie.DangAmbigs_VietOCR.txt``) are applied by
:func:`correct_with_ambigs` only to tokens that are not valid and only when the result is.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import pipeline

DATA_DIR = Path(pipeline.__file__).parent / "data"

# --------------------------------------------------------------------------- spelling rules

_TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}
_VOWELS = frozenset("aăâeêioôơuưy")
_LETTERS = _VOWELS | frozenset("bcdđghklmnpqrstvx")
_LOOKALIKES = str.maketrans({"\u00d0": "đ", "\u00f0": "đ"})  # Ð, ð for Đ, đ
_ONSETS = sorted(
    "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(), key=len
)
_ONSETS.reverse()  # longest first: ngh before ng before n
_OPEN_RHYMES = (
    "a ai ao au ay âu ây e eo ê êu i ia iu o oi ô ôi ơ ơi u ua ui uôi ư ưa ưi ưu ươi ươu y iêu yêu"
    " oa oai oay oe oeo uây uê uơ uơi uy uya uyu"
).split()
_CLOSED_RHYMES = {  # nucleus: the final consonants it takes
    "a": "c ch m n ng nh p t",
    "ă": "c m n ng p t",
    "â": "c m n ng p t",
    "e": "c m n ng p t",
    "ê": "ch m n nh p t",
    "i": "ch m n nh p t",
    "o": "c m n ng p t",
    "oo": "c ng",
    "ô": "c m n ng p t",
    "ơ": "m n p t",
    "u": "c m n ng p t",
    "ư": "c m ng t",
    "iê": "c m n ng p t",
    "yê": "m n ng t",
    "uô": "c m n ng t",
    "ươ": "c m n ng p t",
    "oa": "c ch m n ng nh p t",
    "oă": "c m n ng t",
    "oe": "n t",
    "uâ": "n ng t",
    "uê": "ch n nh",
    "uy": "ch n nh t",
    "uyê": "n t",
}
RHYMES = frozenset(_OPEN_RHYMES) | {n + f for n, fs in _CLOSED_RHYMES.items() for f in fs.split()}
_STOPS = ("c", "ch", "p", "t")
_FRONT = ("i", "e", "ê", "y")  # k, gh, ngh go before these; c, g, ng never do
_GLIDES = ("oa", "oă", "oe", "uy", "uâ", "uê", "uơ")


def _split_tone(syllable: str) -> tuple[str, str, int] | None:
    """Split the tone off: "nguyễn" → ("nguyên", "ngã", 4), the index of the marked letter.

    The tone is "" (ngang) with index -1 when unmarked; ``None`` when two tone marks are given.
    """
    letters: list[str] = []
    tone, pos = "", -1
    for ch in unicodedata.normalize("NFC", syllable):
        parts = unicodedata.normalize("NFD", ch)
        marks = [m for m in parts if m in _TONES]
        if len(marks) > 1 or (marks and tone):
            return None
        if marks:
            tone, pos = _TONES[marks[0]], len(letters)
        letters.append(unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES)))
    return "".join(letters), tone, pos


def _split_onset(word: str) -> tuple[str, str, int]:
    """("nguyên") → ("ng", "uyên", 2): onset, rhyme as the rules see it, where it starts.

    After "qu" the u is the glide of the rhyme ("qua" → "oa", "quyết" → "uyêt"); after "gi"
    without another vowel the i is the vowel ("gìn" → "in").
    """
    onset = next((o for o in _ONSETS if word.startswith(o)), "")
    rhyme = word[len(onset) :]
    if onset == "gi" and (not rhyme or rhyme[0] not in _VOWELS or rhyme[0] == "ê"):
        return "gi", "i" + rhyme, 1  # "gì", "gìn", "giếng": the i of gi is also the vowel
    if onset == "gi" and rhyme[0] in "iy":
        return "gi", "", 2
    if onset == "qu" and rhyme:  # "qua" = q + oa, "quyết" = q + uyêt
        return "qu", ("o" if rhyme[0] in "aăe" else "u") + rhyme, 1
    return onset, rhyme, len(onset)


def _tone_positions(rhyme: str) -> set[int]:
    """Where in the rhyme the tone mark may sit (both placements for oa, oe, uy)."""
    for marked in "ăâêôơ":
        if marked in rhyme:
            return {rhyme.index(marked)}
    if "ư" in rhyme:
        return {rhyme.index("ư")}
    vowels = [i for i, ch in enumerate(rhyme) if ch in _VOWELS]
    if len(vowels) == 1 or rhyme[-1] not in _VOWELS:
        return {vowels[-1]}
    if len(vowels) == 3:
        return {vowels[1]}
    return set(vowels) if rhyme in ("oa", "oe", "uy") else {vowels[0]}


def _spelling_ok(onset: str, rhyme: str) -> bool:
    if rhyme not in RHYMES:
        return False
    front = rhyme.startswith(_FRONT)
    if onset in ("k", "gh", "ngh"):
        return front and not (onset != "k" and rhyme.startswith("y"))
    if onset in ("c", "g", "ng") and (front or (onset == "c" and rhyme.startswith(_GLIDES))):
        return False
    if onset == "qu":
        return True
    if rhyme.startswith("yê"):
        return onset == ""
    return not (onset == "" and rhyme.startswith("iê"))


@lru_cache(maxsize=65536)
def is_valid_syllable(syllable: str) -> bool:
    """True when the letters can spell one Vietnamese syllable (any case, NFC or NFD).

    "nguyễn", "hoà", "hòa", "khuya", "quyết", "giữ", "nghiêng" are valid; "ngiêng" (ng before
    i), "kà" (k before a), "cé", "hoaf" (f is no Vietnamese letter), "tiềp" (huyền on a stop
    final) and "tiêp" (no tone on a stop final) are not.
    """
    split = _split_tone(syllable.lower().translate(_LOOKALIKES))
    if split is None or not split[0] or any(ch not in _LETTERS for ch in split[0]):
        return False
    word, tone, pos = split
    onset, rhyme, start = _split_onset(word)
    if not _spelling_ok(onset, rhyme):
        return False
    if rhyme.endswith(_STOPS) and rhyme[-1] not in _VOWELS and tone not in ("sắc", "nặng"):
        return False
    if pos < 0:
        return True
    if onset == "qu":  # the u of qu takes no tone, save in "qúy" (an old spelling of "quý")
        allowed = {p + 1 for p in _tone_positions(rhyme[1:])} | ({0} if rhyme == "uy" else set())
    else:
        allowed = _tone_positions(rhyme)
    return pos - start in allowed


# --------------------------------------------------------------------------- word list, scores


@cache
def known_syllables(path: Path | None = None) -> frozenset[str]:
    """The syllables of Tesseract's ``vie`` word list (NFC, lower case), read once."""
    path = path or DATA_DIR / "vie_syllables.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(s for s in (ln.strip() for ln in lines) if s and not s.startswith("#"))


def is_known_syllable(syllable: str) -> bool:
    """True when the syllable (any case) is in Tesseract's ``vie`` word list."""
    return unicodedata.normalize("NFC", syllable.lower()) in known_syllables()


_WORD_RE = re.compile(r"[^\W\d_]+")


def lexicon_score(text: str) -> float:
    """Share of alphabetic tokens that are valid syllables, 0..1 (0.0 for no tokens).

    Digits and punctuation are not counted; abbreviations such as "UBND" count as not valid.
    """
    tokens = _WORD_RE.findall(unicodedata.normalize("NFC", text))
    return sum(map(is_valid_syllable, tokens)) / len(tokens) if tokens else 0.0


# --------------------------------------------------------------------------- confusions


@cache
def load_ambigs(path: Path | None = None) -> tuple[tuple[str, str], ...]:
    """The ``wrong=right`` pairs of a DangAmbigs file whose right side is a letter string.

    Pairs that only normalize dashes ("—-=—") carry no lexicon evidence and are left out.
    """
    path = path or DATA_DIR / "vie.DangAmbigs_VietOCR.txt"
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        wrong, sep, right = line.partition("=")
        wrong, right = (unicodedata.normalize("NFC", s.strip()).lower() for s in (wrong, right))
        if sep and wrong and _WORD_RE.search(right):
            pairs.append((wrong, right))
    return tuple(pairs)


def _standing(chunk: str) -> int:
    """2: every syllable known; 1: valid but not all in the word list ("cũa"); 0: not valid.

    Punctuation around the chunk is ignored ("của,"); letters glued to digits are not valid.
    """
    core = chunk.strip(".,;:!?()[]\"'«»…-–—/")
    words = _WORD_RE.findall(core)
    if not words or re.search(r"[^\W\d_]\d|\d[^\W\d_]", core):
        return 0
    if not all(map(is_valid_syllable, words)):
        return 0
    return 2 if all(map(is_known_syllable, words)) else 1


def _protected(chunk: str) -> bool:
    """Numbers, roman numerals and plain-letter abbreviations ("UBND", "II") are left alone."""
    core = chunk.strip(".,;:!?()[]\"'«»…-–—/")
    plain = core.isascii() and core.isupper() and "1" not in core
    return not _WORD_RE.search(core) or plain or bool(re.fullmatch(r"[IVXLCDM]+", core))


def _recase(like: str, low: str) -> str:
    if like.isupper() and len(like) > 1:
        return low.upper()
    return low[:1].upper() + low[1:] if like[:1].isupper() else low


def _candidates(chunk: str, pairs: tuple[tuple[str, str], ...], floor: int) -> list[str]:
    """Distinct results of one confusion pair applied once, standing at least ``floor``."""
    low, found = chunk.lower(), []
    for wrong, right in pairs:
        for m in re.finditer(re.escape(wrong), low):
            new = _recase(chunk, low[: m.start()] + right + low[m.end() :])
            if new not in found and _standing(new) >= floor:
                found.append(new)
    return found


def correct_with_ambigs(
    text: str, pairs: tuple[tuple[str, str], ...] | None = None
) -> tuple[str, list[str]]:
    """Undo known Tesseract misreads, never blindly.

    A whitespace-separated token is changed only when it is not a valid word and one
    confusion pair makes it one, and only when that result is unique. "Not a valid word" means
    against the spelling rules ("vđi", "hêf"), or well-formed but absent from the ``vie`` word
    list ("cũa", "phãi"): such a token is changed only into syllables of the word list. Several
    valid results are narrowed to word-list ones; still several: no change.

    Returns:
        The text and the changes made, as ``"cũa → của"``.
    """
    pairs = load_ambigs() if pairs is None else pairs
    out, changes = [], []
    for piece in re.split(r"(\s+)", unicodedata.normalize("NFC", text)):
        standing = 2 if not piece or piece.isspace() or _protected(piece) else _standing(piece)
        if standing < 2:
            found = _candidates(piece, pairs, floor=standing + 1)
            if len(found) > 1:
                found = [c for c in found if _standing(c) == 2]
            if len(found) == 1:
                changes.append(f"{piece} → {found[0]}")
                piece = found[0]
        out.append(piece)
    return "".join(out), changes
