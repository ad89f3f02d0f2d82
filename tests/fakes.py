"""Fakes for unit tests: OCR pages built from text, without Tesseract."""

from __future__ import annotations

from schemas.models import OcrLine, OcrPage, OcrWord


def page_from_lines(
    lines: list[str],
    *,
    conf: float = 0.95,
    low: dict[str, float] | None = None,
    width: int = 2480,
    height: int = 3508,
    x0: int = 200,
) -> OcrPage:
    """An OcrPage whose words have plausible boxes; ``low`` maps words to lower confidences."""
    low = low or {}
    out = []
    for i, text in enumerate(lines):
        y = 150 + i * 80
        x = x0
        words = []
        for token in text.split():
            w = 22 * len(token)
            words.append(
                OcrWord(
                    text=token,
                    conf=low.get(token, conf),
                    bbox=(x, y, w, 40),
                    block=1,
                    par=1,
                    line=i,
                )
            )
            x += w + 18
        if words:
            out.append(OcrLine(words=words, bbox=(x0, y, x - x0, 40)))
    return OcrPage(width=width, height=height, lines=out)
