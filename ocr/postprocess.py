"""After the engine: check words against the Vietnamese lexicon, fix confirmed confusions."""

from __future__ import annotations

import re

from ocr.lexicon import correct_with_ambigs, is_known_syllable, is_valid_syllable
from schemas.models import OcrLine, OcrPage, OcrWord

_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)

#: Slashes OCR reads for the "/" of dates and book numbers (fraction slash, division
#: slash, full-width, big solidus): never meant on a civil-status page.
_SLASHES = str.maketrans({"\u2044": "/", "\u2215": "/", "\uff0f": "/", "\u29f8": "/"})
#: Round letters read for a zero in a token that is otherwise digits ("1ô", "2O03", "5Ø").
_ZEROS = "ØøOoÔôƠơ"
_DIGIT_LOOKALIKES = str.maketrans(dict.fromkeys(_ZEROS, "0"))
_DIGIT_TOKEN = re.compile(rf"[\d{_ZEROS}/.:\-]+")


def fix_digit_token(text: str) -> str:
    """A number, date or time as written: lookalike slashes and letter zeros made digits.

    "01⁄2009" → "01/2009", "01/⁄2000" → "01/2000", "5Ø" → "50", "2O03" → "2003", "1ô" →
    "10". Only a token of digits, separators and round letters with a digit in it is
    touched, so a word ("Ô", "Bo") never is.
    """
    slashed = text.translate(_SLASHES)
    if slashed != text:
        slashed = re.sub(r"/{2,}", "/", slashed)
    core = slashed.strip(",;()")
    # no Vietnamese word has a digit in it: beside a digit, a round letter is a zero
    if not any(ch.isdigit() for ch in core) or not _DIGIT_TOKEN.fullmatch(core):
        return slashed
    return slashed.translate(_DIGIT_LOOKALIKES)


def check_word(text: str) -> bool | None:
    """Lexicon verdict of a word: None when it has no letters, else all its syllables valid."""
    parts = _LETTERS.findall(text)
    if not parts:
        return None
    return all(is_valid_syllable(p) or is_known_syllable(p) for p in parts)


def annotate_word(word: OcrWord) -> OcrWord:
    """Mark the word's lexicon fit; apply a confusion fix only when the lexicon confirms it."""
    digits = fix_digit_token(word.text)
    if digits != word.text:
        word = word.model_copy(update={"text": digits, "corrected_from": word.text})
    verdict = check_word(word.text)
    if verdict is False:
        fixed, changes = correct_with_ambigs(word.text)
        if changes and check_word(fixed):
            return word.model_copy(
                update={"text": fixed, "lexicon": True, "corrected_from": word.text}
            )
    return word.model_copy(update={"lexicon": verdict})


def split_glued(word: OcrWord) -> list[OcrWord]:
    """Two syllables read as one word ("HồngAnh"): split where a capital follows a small letter.

    Only when the word is not Vietnamese but both halves are; the box is shared out by the
    number of letters. Any other word comes back unchanged.
    """
    text = word.text
    cut = next(
        (i for i in range(1, len(text)) if text[i].isupper() and text[i - 1].islower()), None
    )
    if cut is None or check_word(text) is not False:
        return [word]
    left, right = text[:cut], text[cut:]
    if not (check_word(left) and check_word(right)):
        return [word]
    x, y, w, h = word.bbox
    w_left = max(1, round(w * len(left) / len(text)))
    return [
        word.model_copy(update={"text": left, "bbox": (x, y, w_left, h), "corrected_from": text}),
        word.model_copy(
            update={
                "text": right,
                "bbox": (x + w_left, y, max(1, w - w_left), h),
                "corrected_from": text,
            }
        ),
    ]


def fix_inner_capitals(word: OcrWord) -> OcrWord:
    """A capital after small letters ("tẾ", "KiẾt") is a glyph-size misreading of a small one.

    Lowered only when the word then reads as Vietnamese; acronyms and all-capital words are
    left alone.
    """
    text = word.text
    if not any(text[i].isupper() and text[i - 1].islower() for i in range(1, len(text))):
        return word
    fixed = text[:1] + text[1:].lower()
    if not check_word(fixed):
        return word
    return word.model_copy(update={"text": fixed, "corrected_from": text})


def annotate_page(page: OcrPage) -> OcrPage:
    """Glued syllables split, inner capitals lowered, every word annotated (lexicon, fixes)."""
    lines = [
        OcrLine(
            words=[
                annotate_word(fix_inner_capitals(part)) for w in ln.words for part in split_glued(w)
            ],
            bbox=ln.bbox,
        )
        for ln in page.lines
    ]
    return page.model_copy(update={"lines": lines})
