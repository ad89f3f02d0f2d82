"""Object keys and content digests: key-safe segments (NFC, Vietnamese kept), SHA-256.

Keys keep Vietnamese letters: S3 keys are UTF-8, and ASCII-folding would merge different
names ("Lê" and "Le"). Keys are NFC so one name has exactly one byte form. Used by the
archive (every object key) and the db (a book's stored key path).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_KEY_BYTES = 1024
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})  # Ð→Đ, ð→đ
_KEY_PUNCT = frozenset("-_.")


def slugify_part(part: str) -> str:
    r"""Make one key segment safe: NFC, no separators, no leading dots.

    Letters (Vietnamese included), digits, combining marks and ``-_.`` are
    kept; anything else (``/``, ``\``, spaces, controls, ``?#%``…) becomes
    ``-``. Runs of ``-`` or ``.`` collapse, and ``-``/``.`` are stripped from
    both ends, so a segment can never be ``.`` or ``..``. Case is kept.

    Args:
        part: raw segment, e.g. a book number ``"02/1994"``.

    Returns:
        The safe segment, e.g. ``"02-1994"``.

    Raises:
        ValueError: nothing usable is left.
    """
    text = unicodedata.normalize("NFC", part).translate(_LOOKALIKES)
    chars = [ch if _is_key_char(ch) else "-" for ch in text]
    slug = re.sub(r"-{2,}", "-", "".join(chars))
    slug = re.sub(r"\.{2,}", ".", slug).strip("-.")
    if not slug:
        raise ValueError(f"key part {part!r} has no usable characters")
    return slug


def _is_key_char(ch: str) -> bool:
    return ch in _KEY_PUNCT or unicodedata.category(ch)[0] in "LNM"


def object_key(*parts: str) -> str:
    """Build an S3 key from segments, each made safe by :func:`slugify_part`.

    Args:
        *parts: segments, outermost first, e.g. ``("khai-sinh", "02/1994", "p0001.png")``.

    Returns:
        The key, e.g. ``"khai-sinh/02-1994/p0001.png"``.

    Raises:
        ValueError: no parts, an empty part, or a key over 1024 UTF-8 bytes.
    """
    if not parts:
        raise ValueError("object_key needs at least one part")
    key = "/".join(slugify_part(p) for p in parts)
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"object key longer than {MAX_KEY_BYTES} bytes")
    return key


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (masters are named by it; every object carries it)."""
    return hashlib.sha256(data).hexdigest()
