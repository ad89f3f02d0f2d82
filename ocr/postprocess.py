"""After the engine: check words against the Vietnamese lexicon, fix confirmed confusions."""

from __future__ import annotations

import re

from ocr.lexicon import correct_with_ambigs, is_known_syllable, is_valid_syllable
from schemas.models import OcrLine, OcrPage, OcrWord

_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


def check_word(text: str) -> bool | None:
    """Lexicon verdict of a word: None when it has no letters, else all its syllables valid."""
    parts = _LETTERS.findall(text)
    if not parts:
        return None
    return all(is_valid_syllable(p) or is_known_syllable(p) for p in parts)


def annotate_word(word: OcrWord) -> OcrWord:
    """Mark the word's lexicon fit; apply a confusion fix only when the lexicon confirms it."""
    verdict = check_word(word.text)
    if verdict is False:
        fixed, changes = correct_with_ambigs(word.text)
        if changes and check_word(fixed):
            return word.model_copy(
                update={"text": fixed, "lexicon": True, "corrected_from": word.text}
            )
    return word.model_copy(update={"lexicon": verdict})


def annotate_page(page: OcrPage) -> OcrPage:
    """Every word annotated (see :func:`annotate_word`)."""
    lines = [OcrLine(words=[annotate_word(w) for w in ln.words], bbox=ln.bbox) for ln in page.lines]
    return page.model_copy(update={"lines": lines})
