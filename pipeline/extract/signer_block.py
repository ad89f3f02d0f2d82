"""The signer block of a document's last page: title lines, name, rank, "Nơi nhận" (Decree 30).

The title lines ("TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH") sit right of "Nơi
nhận:", the seal and the signature over them, the name below, centred under the titles (a
rank such as "Trung tá" or a degree such as "ThS." kept apart from it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from pipeline.extract.bodies import body_words, unit_name_start
from pipeline.extract.decree30 import (
    DEGREES,
    RANKS,
    SIGN_PREFIXES,
    Found,
    Part,
    clean_body,
    is_motto,
    is_recipients_label,
    is_upper,
    joined,
    parts_of,
)
from pipeline.extract.labels import fold, union_bbox
from pipeline.extract.respell import is_known_syllable
from pipeline.extract.signals import surnames
from schemas.models import OcrPage, OcrWord


def read_signer(page: OcrPage) -> Found:
    """The signer block (title lines, name, rank) and "Nơi nhận" of a document's last page."""
    parts = parts_of(page)
    found: Found = {}
    at = next((i for i, p in enumerate(parts) if is_recipients_label(p.text)), None)
    if at is not None:
        _recipients(parts[at:], page.width * 0.5, found)
    right = _right_column(page, parts, at)
    titles, end = _title_run(right)
    if titles:
        text, words = joined(titles)
        found["chuc_vu_nguoi_ky"] = (title_text(text), words)
    after = right[end:]
    names = [p for p in after if looks_like_name(without_rank(p.text)[1])]
    if names:
        rank, name = without_rank(names[-1].text)
        words = names[-1].words[len(rank.split()) :]
        found["nguoi_ky"] = (name, tuple(words))
        if rank:
            found["cap_bac_nguoi_ky"] = (rank, names[-1].words[: len(rank.split())])
    return found


def _right_column(page: OcrPage, parts: Sequence[Part], at: int | None) -> list[Part]:
    """The signer block's column: pieces from its top, right of the left third.

    The top is a three-line block a little above "Nơi nhận:" (``at``), or the first line
    opening with a signer prefix; full-width body lines are left out.
    """
    if at is None:
        start = next((i for i, p in enumerate(parts) if _is_title_start(p.text)), None)
        if start is None:
            return []
    else:
        limit = parts[at].bbox[1] - 3 * parts[at].bbox[3]
        start = next(i for i, p in enumerate(parts) if p.bbox[1] >= limit)
    return [p for p in parts[start:] if p.bbox[0] > page.width * 0.35]


def title_parts(page: OcrPage) -> list[Part]:
    """The pieces of the signer block above the signer's name (titles, seal, signature).

    Read untrimmed (a title line a seal garbled may be junk as a whole); empty when the page
    has no signer block or no name under it.
    """
    found = _block_above_name(page)
    if found is None:
        return []
    top, name = found
    bottom = name.bbox[1] - name.bbox[3] // 2
    return [
        p
        for p in parts_of(page, trim=False)
        if p.bbox[0] > page.width * 0.35 and top <= p.bbox[1] < bottom
    ]


def title_frame(page: OcrPage) -> tuple[tuple[int, int, int, int], int] | None:
    """Where the signer's title lines are printed, and the name's height; None: no block.

    From the block's top down to the name, centred on the name (Decree 30 centres both)
    and 0.4 of the page wide: the box in which text lines are looked for in the pixels when
    the page's reading lost or garbled them.
    """
    found = _block_above_name(page)
    if found is None:
        return _frame_without_name(page)
    top, name = found
    centre, half = name.bbox[0] + name.bbox[2] // 2, int(0.2 * page.width)
    x0, bottom = max(0, centre - half), name.bbox[1] - name.bbox[3] // 4
    if bottom - top < name.bbox[3]:
        return None
    return (x0, top, min(page.width, centre + half) - x0, bottom - top), name.bbox[3]


def _frame_without_name(page: OcrPage) -> tuple[tuple[int, int, int, int], int] | None:
    """The title lines' frame when the name under the signature was not read.

    Beside "Nơi nhận:": from three lines above it, six lines down (the titles and the top of
    the signature's room), across the right half of the page.
    """
    parts = parts_of(page)
    at = next((p for p in parts if is_recipients_label(p.text)), None)
    if at is None:
        return None
    h = at.bbox[3]
    top = max(0, at.bbox[1] - 3 * h)
    mid = page.width // 2
    return (mid, top, page.width - mid, min(page.height, top + 6 * h) - top), h


def _block_above_name(page: OcrPage) -> tuple[int, Part] | None:
    """The top of the signer block and the name printed under it (None: not both)."""
    parts = parts_of(page)
    at = next((i for i, p in enumerate(parts) if is_recipients_label(p.text)), None)
    right = _right_column(page, parts, at)
    named = [p for p in right if not _is_title(p.text) and looks_like_name(without_rank(p.text)[1])]
    if not named:
        return None
    top = right[0].bbox[1] if at is None else parts[at].bbox[1] - 3 * parts[at].bbox[3]
    return max(0, top), named[-1]


def _title_run(right: Sequence[Part]) -> tuple[list[Part], int]:
    """The title lines of the right column and the index after the last one (0: none).

    The run starts at one of the first four pieces; a speck much lower than the titles (a
    stroke of the signature read as "ửy T") is stepped over; a line with no word of a
    title or a body's name ("“Í - RE)") ends it.
    """
    first = next((i for i, p in enumerate(right[:4]) if is_title_line(p.text)), None)
    if first is None:
        return [], 0
    titles, end = [right[first]], first + 1
    for i in range(first + 1, len(right)):
        p = right[i]
        if p.bbox[3] < 0.6 * titles[0].bbox[3] and not is_title_line(p.text):
            continue
        if not is_title_line(p.text):
            break
        titles.append(p)
        end = i + 1
    return titles, end


#: Words one of which every signer's title holds (folded): the head of a body ("chủ tịch",
#: "giám đốc", "… trưởng", "chánh …", "bí thư", "tư lệnh"); a deputy's holds it after "phó".
TITLE_WORDS = (
    "chu tich",
    "giam doc",
    "truong",
    "chanh",
    "bi thu",
    "tu lenh",
    "chinh uy",
    "thu ky",
    "uy vien",
    "chu nhiem",
    "hieu pho",
    "tong bien tap",
    "thu tuong",
    "tong thanh tra",
    "dai su",
    "lanh su",
    "dai dien",
)
#: A comma, semicolon or quote between two letters of a title: a speck of the signature's
#: ink read as punctuation ("PHÓ,CHỦ TỊCH"); titles carry none.
_SPECK = re.compile(r"(?<=\w)[,;'`’‘](?=\w)")


def title_text(text: str) -> str:
    """A signer's title lines as printed, without ink specks read as punctuation."""
    return " ".join(_SPECK.sub(" ", text).split())


def off_centre(name: Sequence[OcrWord], titles: Sequence[OcrWord]) -> bool:
    """Is the name read under a signature off the title block's centre line?

    Decree 30 centres the name under the title lines; a name read off that line lost words
    at one end ("PGS.TS. Trịnh Kiều Anh" read "Kiều Anh" under a seal's ring). Off: the
    centres differ by more than a quarter of the name's width and 1.5 times its height.
    """
    line, block = union_bbox([w.bbox for w in name]), union_bbox([w.bbox for w in titles])
    if line is None or block is None:
        return False
    height = max(w.bbox[3] for w in name)
    shift = abs((line[0] + line[2] / 2) - (block[0] + block[2] / 2))
    return shift > max(0.25 * line[2], 1.5 * height)


def _is_title(text: str) -> bool:
    return is_upper(text) and not is_motto(text)


def is_title_line(text: str) -> bool:
    """A line of a signer's title: capitals, two words or more, a title's or body's word.

    "PHÓ GIÁM ĐỐC", "TM. ỦY BAN NHÂN DÂN". One word alone is a seal's or a signature's
    stroke read as letters ("VÀ", "NẠP").
    """
    words = set(fold(text).split())
    return (
        _is_title(text)
        and len(text.split()) >= 2
        and bool(words & _title_vocabulary())
        and not _name_in_capitals(text)
    )


def _name_in_capitals(text: str) -> bool:
    """Is this a person's name printed in capitals under the titles ("NGUYỄN VĂN AN")?

    Two to five words, the first a listed surname, no title word, no unit's type word.
    """
    folded = fold(text)
    words = folded.split()
    return (
        2 <= len(words) <= 5
        and words[0] in surnames()
        and not any(f" {t} " in f" {folded} " for t in TITLE_WORDS)
        and unit_name_start(text.split()) == len(words)
        and words[0] not in SIGN_PREFIXES_FOLDED
    )


SIGN_PREFIXES_FOLDED = frozenset(fold(p) for p in SIGN_PREFIXES)
#: Words of signers' titles and their prefixes (folded), besides the bodies' names.
_TITLE_WORDS = (
    "kt tm q tl tuq chu tich giam doc truong pho chanh van phong thanh tra thu bo cuc tong"
    " bi ky tu lenh chinh uy vien hieu ke toan ban"
)


@cache
def _title_vocabulary() -> frozenset[str]:
    """Words a title line holds one of at least (folded): titles' and bodies' words."""
    body = body_words()
    return frozenset({*_TITLE_WORDS.split(), *(w for w in body if len(w) >= 2)})


def is_clean_title(text: str) -> bool:
    """Is every word of a title reading a title's, a prefix's or a body's?

    "TRƯỞNG PHÒNG TƯ PHÁP" is; "N DÂN", "VÀ VN", "`*% TRƯƠNG" (garbled) are not.
    """
    words = fold(text).split()
    vocabulary = _title_vocabulary()
    return _is_title(text) and bool(words) and all(w in vocabulary for w in words)


def _is_title_start(text: str) -> bool:
    return text.upper().startswith(SIGN_PREFIXES) and is_upper(text)


def without_rank(text: str) -> tuple[str, str]:
    """("Trung tá", "Ngô Văn Công") from "Trung tá Ngô Văn Công"; ("", name) without one."""
    words = text.split()
    for prefix in sorted((*RANKS, *DEGREES), key=len, reverse=True):
        n = len(prefix.split())
        if fold(" ".join(words[:n])) == fold(prefix) and len(words) > n:
            return " ".join(words[:n]), " ".join(words[n:])
    return "", text.strip()


def looks_like_name(text: str) -> bool:
    """Two to six capitalised words of letters (a person's name as printed under a signature).

    Words of a Vietnamese name are syllables; a seal's or a signature's strokes read as
    letters are not ("L CH", "Nguyẽrrkhánh"). A word that is no listed syllable must be spelled
    like one (names of ethnic minorities: "Giàng Seo Phử"); a name of three words or more
    may hold one word that is neither ("Ksor", "Ênuôl").
    """
    words = text.replace(".", " ").split()
    if not (2 <= len(words) <= 6 and all(w[0].isupper() and w.isalpha() for w in words)):
        return False
    unknown = sum(not (is_known_syllable(w) or _SPELLED.match(fold(w))) for w in words)
    return unknown == 0 or (len(words) >= 3 and unknown == 1)


#: A word spelled as a Vietnamese syllable (marks aside): an initial, one to three vowels, a
#: final ("seo", "phu" of "Giàng Seo Phử"; "ksor", "rmah" of the Central Highlands' names);
#: "l", "ch", "nguyerrkhanh" are not.
#: Consonant clusters of names of the Central Highlands' peoples ("Ksor", "Kpă", "Rmah", "Hđơk").
_CLUSTERS = "k[sprdl]|r[mcŋ]|h[rmnld]|b[lr]|dr|pl|ml|nr"
_SPELLED = re.compile(
    rf"^(ngh|ng|gh|gi|kh|ph|th|tr|ch|nh|qu|{_CLUSTERS}|[bcdghklmnpqrstvx])?[aeiouy]{{1,3}}"
    r"(ch|ng|nh|[cmnpthrk])?$"
)


def _recipients(parts: Sequence[Part], mid: float, found: Found) -> None:
    """The "Nơi nhận:" list: its items, in order, without dashes."""
    head = parts[0]
    items: list[Part] = []
    for p in parts[1:]:
        if p.bbox[0] > head.bbox[0] + 4 * head.bbox[3] or p.centre_x() > mid:
            continue
        prev = items[-1] if items else head
        if p.bbox[1] - (prev.bbox[1] + prev.bbox[3]) > 2.5 * prev.bbox[3]:
            break
        items.append(p)
    texts = [clean_body(p.text) for p in items]
    label = head.text.split(":", 1)  # "Nơi nhận: - Như trên;": the first item beside the label
    if len(label) == 2 and clean_body(label[1]):
        texts.insert(0, clean_body(label[1]))
        items.insert(0, head)
    if texts:
        found["noi_nhan"] = ("; ".join(texts), tuple(w for p in items for w in p.words))


def signer_zone(page: OcrPage, *, always: bool = False) -> tuple[int, int, int, int] | None:
    """Where the signer's title lines should be when the reading missed them, else None.

    Seals and signatures over the title lines make Tesseract's page layout drop them; the
    block right of "Nơi nhận:" (up to the name under the signature) is then read again alone.
    ``always``: the zone even when titles were read (a pen signature may have garbled them).
    """
    parts = parts_of(page)
    at = next((p for p in parts if is_recipients_label(p.text)), None)
    if at is None or (not always and "chuc_vu_nguoi_ky" in read_signer(page)):
        return None
    h = at.bbox[3]
    top = max(0, at.bbox[1] - 4 * h)
    mid = page.width // 2
    below = [p for p in parts if p.bbox[1] > at.bbox[1] and p.centre_x() > mid]
    # the name under the signature ends the block; a title line in capitals is not a name
    names = [p for p in below if not _is_title(p.text) and looks_like_name(without_rank(p.text)[1])]
    bottom = names[0].bbox[1] if names else at.bbox[1] + 14 * h
    if bottom - top < 2 * h:
        return None
    return (mid, top, page.width - mid, min(page.height, bottom) - top)
