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


class MemoryStore:
    """In-memory ObjectStore for unit tests (same contract as MinioStore)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, dict[str, str]]] = {}
        self.puts = 0

    def put_bytes(self, key, data, *, content_type, metadata=None):
        from pipeline.keys import sha256_hex
        from pipeline.ports import StoredObject

        digest = sha256_hex(data)
        if key in self.objects and sha256_hex(self.objects[key][0]) == digest:
            return self.stat(key)
        self.puts += 1
        self.objects[key] = (bytes(data), content_type, dict(metadata or {}))
        return StoredObject(
            key=key, sha256=digest, size=len(data), etag=digest[:32], version_id=None
        )

    def get_bytes(self, key):
        from pipeline.archive.storage import MissingObjectError

        if key not in self.objects:
            raise MissingObjectError(f"Không có {key}", reason="missing_object")
        return self.objects[key][0]

    def stat(self, key):
        from pipeline.keys import sha256_hex
        from pipeline.ports import StoredObject

        if key not in self.objects:
            return None
        data = self.objects[key][0]
        return StoredObject(
            key=key,
            sha256=sha256_hex(data),
            size=len(data),
            etag=sha256_hex(data)[:32],
            version_id=None,
        )

    def list_keys(self, prefix):
        return sorted(k for k in self.objects if k.startswith(prefix))

    def delete(self, key):
        self.objects.pop(key, None)
