from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from pipeline.extract.calibration import packaged
from pipeline.extract.grid import Grid, assign_words, find_grid
from pipeline.extract.headers import STANDARD_COLUMNS, header_columns, match_header
from pipeline.extract.tables import extract_register
from schemas.models import OcrLine, OcrPage, OcrWord

H, W = 1400, 2000
ROWS = [150, 260, 480, 700, 920, 1140]  # header row, then four entry rows
COLS = [100, 220, 520, 900, 1250, 1600, 1900]


def _rotate(x: float, y: float, deg: float) -> tuple[int, int]:
    """A point of the page turned ``deg`` counter-clockwise about the page centre."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    dx, dy = x - W / 2, y - H / 2
    return round(W / 2 + dx * c + dy * s), round(H / 2 - dx * s + dy * c)


def _rule(img, a, b, *, deg=0.0, dash=0, gap=0, ink=0):
    """Draw a rule from a to b, as dashes when ``dash`` (a broken, faded rule)."""
    (x0, y0), (x1, y1) = a, b
    length = math.hypot(x1 - x0, y1 - y0)
    step = dash + gap if dash else length
    t = 0.0
    while t < length:
        t1 = min(length, t + (dash or length))
        p = (x0 + (x1 - x0) * t / length, y0 + (y1 - y0) * t / length)
        q = (x0 + (x1 - x0) * t1 / length, y0 + (y1 - y0) * t1 / length)
        cv2.line(img, _rotate(*p, deg), _rotate(*q, deg), ink, 3)
        t += step


def draw_table(*, deg=0.0, dash=0, gap=0, rows=ROWS, cols=COLS, text=True, skip_left=False):
    """A white page with a ruled table and word-like ink blobs in its cells."""
    img = np.full((H, W), 255, np.uint8)
    for i, y in enumerate(rows):
        ink = 110 if i == 3 else 0  # one faded rule
        _rule(img, (cols[0], y), (cols[-1], y), deg=deg, dash=dash, gap=gap, ink=ink)
    for i, x in enumerate(cols):
        if not (skip_left and i == 0):
            _rule(img, (x, rows[0]), (x, rows[-1]), deg=deg, dash=dash, gap=gap)
    if text:
        rng = np.random.default_rng(0)
        for y0 in rows[:-1]:
            for x0, x1 in zip(cols, cols[1:], strict=False):
                x = x0 + 15
                while x < x1 - 60:  # letters: 12 × 22 px strokes with small gaps
                    w = int(rng.integers(8, 16))
                    cv2.rectangle(
                        img, _rotate(x, y0 + 20, deg), _rotate(x + w, y0 + 42, deg), 0, -1
                    )
                    x += w + int(rng.integers(4, 20))
    cv2.putText(img, "SO DANG KY KHAI SINH", (700, 90), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    return img


def _near(found, want, tol):
    return len(found) == len(want) and all(
        abs(a - b) <= tol for a, b in zip(found, want, strict=True)
    )


def _bounds(spans):
    return [spans[0][0]] + [b for _, b in spans]


def test_find_grid_on_a_clean_table():
    grid = find_grid(draw_table())
    assert grid is not None
    assert _near(_bounds(grid.rows), ROWS, 3) and _near(_bounds(grid.cols), COLS, 3)
    assert grid.cell(1, 2) == (grid.cols[2][0], grid.rows[1][0], grid.cols[2][1], grid.rows[1][1])
    assert grid.bbox == (grid.cols[0][0], grid.rows[0][0], grid.cols[-1][1], grid.rows[-1][1])


@pytest.mark.parametrize("deg", [0.3, -0.3])
def test_find_grid_with_broken_faded_rules_and_residual_skew(deg):
    grid = find_grid(draw_table(deg=deg, dash=140, gap=25))
    assert grid is not None
    # at 0.3° the rules drift by ±5 px over the table; boundaries are read at its centre
    assert _near(_bounds(grid.rows), ROWS, 8) and _near(_bounds(grid.cols), COLS, 8)


def test_find_grid_measures_the_residual_slope():
    grid = find_grid(draw_table(deg=0.3))
    assert grid is not None and abs(math.degrees(math.atan(grid.slope)) + 0.3) < 0.05


def test_missing_outer_rule_is_closed_from_the_other_rules():
    grid = find_grid(draw_table(skip_left=True))
    assert grid is not None and _near(_bounds(grid.cols), COLS, 4)


def test_double_rule_counts_once():
    img = draw_table()
    cv2.line(img, (COLS[0], ROWS[1] + 7), (COLS[-1], ROWS[1] + 7), 0, 2)
    grid = find_grid(img)
    assert grid is not None and len(grid.rows) == len(ROWS) - 1


def test_no_table_gives_none():
    frame = draw_table(rows=[150, 1140], cols=[100, 1900], text=False)
    assert find_grid(frame) is None  # a frame is not a table
    underline = np.full((H, W), 255, np.uint8)
    cv2.line(underline, (300, 400), (1700, 400), 0, 3)
    cv2.putText(underline, "TRICH LUC KHAI SINH", (300, 380), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    assert find_grid(underline) is None


# ---------------------------------------------------------------- words in cells

GRID = Grid(
    rows=list(zip(ROWS, ROWS[1:], strict=False)), cols=list(zip(COLS, COLS[1:], strict=False))
)


def word(text, x, y, w=None, *, conf=0.95, line=0):
    return OcrWord(text=text, conf=conf, bbox=(x, y, w or 18 * len(text), 36), line=line)


def test_assign_words_by_centre_and_larger_overlap_in_reading_order():
    words = [
        word("An", 300, 320, line=2),  # second line of the cell
        word("Nguyễn", 240, 275, line=1),
        word("Văn", 380, 275, line=1),
        word("Bình", 360, 320, line=2),
        word("spans", 480, 500, 100),  # 40 px in column 2, 60 px in column 3
        word("outside", 700, 60),  # the title above the table
    ]
    cells = assign_words(GRID, words)
    assert [w.text for w in cells[1][1]] == ["Nguyễn", "Văn", "An", "Bình"]
    assert [w.text for w in cells[2][2]] == ["spans"] and not cells[2][1]
    assert all("outside" not in [w.text for w in c] for row in cells for c in row)


def test_words_follow_leaning_rules():
    grid = find_grid(draw_table(deg=1.0))  # a page the deskew left 1° off
    assert grid is not None and len(grid.rows) == len(ROWS) - 1
    # across the table the rules climb 30 px at 1°; words sit just below one all along it
    words = [word(f"w{c}", *_rotate(COLS[c] + 20, ROWS[4] - 12, 1.0)) for c in range(6)]
    cells = assign_words(grid, words)
    assert [len(c) for c in cells[4]] == [1] * 6 and not any(cells[3])


# ---------------------------------------------------------------- headers

HEADER = ["Số", "Ngày đăng ký", "Họ và tên", "Ngày sinh", "Giới tính", "Ghi chú"]


def _cells(rows_text, grid=GRID):
    cells = [[[] for _ in grid.cols] for _ in grid.rows]
    for r, texts in enumerate(rows_text):
        for c, text in enumerate(texts):
            x0, y0, _, _ = grid.cell(r, c)
            for k, part in enumerate(text.split("\n") if text else []):
                x = x0 + 12
                for tok in part.split():
                    cells[r][c].append(word(tok, x, y0 + 20 + 45 * k, line=10 * r + k))
                    x += 18 * len(tok) + 14
    return cells


def test_header_mapping_tolerates_ocr_slips_and_two_line_headers():
    slips = ["Sô", "Ngày, tháng,\nnăm đăng kỷ", "Ho va tẽn", "Ngay s1nh", "G1ới tính", "Ghỉ chú"]
    cells = _cells([slips, ["12", "03/04/2018", "Lê Văn An", "01/04/2018", "Nam", ""]])
    assert header_columns(GRID, cells, "khai_sinh") == {
        0: "so",
        1: "ngay_dang_ky",
        2: "ho_ten",
        3: "ngay_sinh",
        4: "gioi_tinh",
        5: "ghi_chu",
    }


def test_header_with_column_numbers_and_unknown_column():
    cells = _cells(
        [
            ["Số TT", "Họ tên người chết", "Ngày chết", "Lý do xin", "Nơi chết", "Ghi chú"],
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
            ["7", "Lê Văn An", "01/04/2018", "x", "Hà Nội", ""],
        ]
    )
    m = match_header(cells, "khai_tu")
    assert m.rows == 2 and not m.fallback
    assert m.columns == {0: "so", 1: "ho_ten", 2: "ngay_chet", 4: "noi_chet", 5: "ghi_chu"}


def test_marriage_headers_name_both_spouses():
    cells = _cells([["Số", "Ngày đăng ký", "Họ tên chồng", "Họ tên vợ", "Dân tộc vợ", "Ghi chú"]])
    assert header_columns(GRID, cells, "ket_hon") == {
        0: "so",
        1: "ngay_dang_ky",
        2: "ho_ten_chong",
        3: "ho_ten_vo",
        4: "dan_toc_vo",
        5: "ghi_chu",
    }


def test_garbled_header_of_the_usual_layout_keeps_its_place():
    wide = Grid(rows=GRID.rows[:2], cols=[(100 + 160 * i, 260 + 160 * i) for i in range(11)])
    header = [
        "Số",
        "Ngày đăng ký",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Í pạn tộc",
        "Nơi sinh",
        "Họ tên cha",
        "Họ tên mẹ",
        "Người đi khai",
        "Ghi chú",
    ]
    m = match_header(_cells([header], wide), "khai_sinh")
    assert list(m.columns.values()) == list(STANDARD_COLUMNS["khai_sinh"])
    assert m.scores[5] == 0.0 and m.scores[4] == 100.0 and not m.fallback


# ---------------------------------------------------------------- records

ENTRIES = [
    ["21", "03/04/2018", "Lê Văn An", "01/04/2018", "Nam", ""],
    ["22", "05/04/2018", "Trần Thị Bình", "02/04/2018", "Nữ", "Đăng ký quá hạn"],
    ["24", "07/04/2018", "Phạm Minh Châu", "31/02/2018", "Nữ", ""],
    ["25", "09/04/2018", "", "03/04/2018", "Nam", ""],
]


def _page(cells, *, above=()):
    lines = [OcrLine(words=[w], bbox=w.bbox) for row in cells for cell in row for w in cell]
    lines = [*(OcrLine(words=ws, bbox=ws[0].bbox) for ws in above), *lines]
    return OcrPage(width=W, height=H, lines=lines)


def test_extract_register_one_record_per_row_with_checks():
    cells = _cells([HEADER, *ENTRIES])
    cells[1][2][1] = cells[1][2][1].model_copy(update={"conf": 0.3})  # "Văn" read badly
    title = [word("Quyển", 1400, 100), word("số:", 1520, 100), word("02/2018", 1600, 100)]
    res = extract_register(
        _page(cells, above=[title]),
        draw_table(text=False),
        book_type="khai_sinh",
        threshold=packaged().threshold,
        calibration=packaged(),
    )
    assert res.rows_found == 4 and len(res.records) == 4
    first, second, third, fourth = (r.fields for r in res.records)
    assert first["ho_ten"].value == "Lê Văn An" and first["ho_ten"].needs_review  # low conf
    assert first["ngay_dang_ky"].value == "2018-04-03" and not first["ngay_dang_ky"].needs_review
    assert first["so"].bbox == (100, 260, 120, 220)  # the cell box
    assert first["ghi_chu"].value is None and not first["ghi_chu"].needs_review  # blank, optional
    assert second["ghi_chu"].value == "Đăng ký quá hạn"
    assert first["quyen_so"].value == "02/2018"  # from the page head, on every record
    assert third["ngay_sinh"].needs_review and third["ngay_sinh"].value is None  # 31/02
    assert fourth["ho_ten"].value is None and fourth["ho_ten"].needs_review  # required, empty
    assert not first["so"].needs_review and not second["so"].needs_review
    assert third["so"].needs_review and "số nhảy từ 22 lên 24" in third["so"].provenance
    assert {r.schema_name for r in res.records} == {"khai_sinh"}
    # reasons number entries as the screens do ("dòng 2" is the second entry, header not counted)
    assert second["ho_ten"].provenance[0].startswith("bảng: dòng 2, cột 3")


def test_reading_lines_put_the_table_row_by_row():
    cells = _cells([HEADER, *ENTRIES])
    title = [word("SỔ", 700, 60), word("KHAI", 760, 60), word("SINH", 860, 60)]
    res = extract_register(
        _page(cells, above=[title]),
        draw_table(text=False),
        book_type="khai_sinh",
        threshold=0.8,
        calibration=packaged(),
    )
    texts = [ln.text for ln in res.lines]
    assert texts[0] == "SỔ KHAI SINH"
    assert texts[1] == "Số Ngày đăng ký Họ và tên Ngày sinh Giới tính Ghi chú"
    assert texts[2] == "21 03/04/2018 Lê Văn An 01/04/2018 Nam"


def test_number_sequence_finds_the_misread_number():
    rows = [
        HEADER,
        *[[str(n), "03/04/2018", "Lê Văn An", "01/04/2018", "Nam", ""] for n in (30, 37, 32, 33)],
    ]
    res = extract_register(
        _page(_cells(rows)),
        draw_table(text=False),
        book_type="khai_sinh",
        threshold=0.8,
        calibration=packaged(),
    )
    flagged = [r.fields["so"].value for r in res.records if r.fields["so"].needs_review]
    assert flagged == ["37"]


def test_unreadable_header_falls_back_to_standard_order_for_review():
    rows = [["xx", "#!", "~~~~", "ww", "", ""], ENTRIES[0]]
    res = extract_register(
        _page(_cells(rows)),
        draw_table(text=False),
        book_type="khai_sinh",
        threshold=0.8,
        calibration=packaged(),
    )
    assert res.header is not None and res.header.fallback
    (rec,) = res.records
    assert list(rec.fields)[:3] == list(STANDARD_COLUMNS["khai_sinh"][:3])
    assert rec.fields["ho_ten"].value == "Lê Văn An" and rec.needs_review
    assert all(f.needs_review for f in rec.fields.values() if f.value)


def test_row_without_its_rule_is_split_at_the_entry_numbers():
    rows = [ROWS[0], ROWS[1], ROWS[3], ROWS[4]]  # the rule between entries 1 and 2 faded out
    img = draw_table(rows=rows, text=False)
    cells = _cells([HEADER, *ENTRIES[:3]])
    words = [w for r in (1, 2) for c in range(len(COLS) - 1) for w in cells[r][c]]
    page = _page([[words], [[w for row in cells[3:] for c in row for w in c]]])
    res = extract_register(page, img, book_type="khai_sinh", threshold=0.8, calibration=packaged())
    assert [r.fields["so"].value for r in res.records] == ["21", "22", "24"]
    assert res.records[1].fields["ho_ten"].value == "Trần Thị Bình"


def test_no_grid_gives_no_records_and_the_page_lines():
    page = _page(_cells([HEADER, *ENTRIES]))
    res = extract_register(
        page,
        np.full((H, W), 255, np.uint8),
        book_type="khai_sinh",
        threshold=0.8,
        calibration=packaged(),
    )
    assert res.grid is None and res.records == [] and res.lines == page.lines


# ---------------------------------------------------------------- real Tesseract


def _cer(a: str, b: str) -> float:
    return Levenshtein.distance(a, b) / max(1, len(b))


@pytest.mark.tesseract
@pytest.mark.parametrize("degraded", [False, True])
def test_register_page_end_to_end(tmp_path, degraded):
    from bench.corpus.degrade import degrade
    from bench.corpus.synth import render_register_page
    from ocr.tesseract import TesseractEngine
    from pipeline.config import ProcessOptions
    from pipeline.process import process_image

    img, truth = render_register_page(5)
    if degraded:
        recipe = [
            {"op": "yellow", "strength": 0.4},
            {"op": "skew", "deg": 1.2, "fill": None},
            {"op": "noise", "sigma": 4.0},
        ]
        img, truth = degrade(img, truth, seed=5, recipe=recipe)
    out = process_image(
        img,
        stem="reg",
        workdir=tmp_path,
        options=ProcessOptions(),
        engine=TesseractEngine(),
        calibration=packaged(),
    )
    res = out.result
    assert res.kind == "so_khai_sinh" and "layout_not_extracted" not in res.quality.flags
    by_so = {r.fields["so"].value: r.fields for r in res.records if "so" in r.fields}
    entries = truth["entries"]
    split = [
        e
        for e in entries
        if e["so"] in by_so and _cer(by_so[e["so"]]["ho_ten"].value or "", e["ho_ten"]) <= 0.2
    ]
    assert len(split) >= 0.95 * len(entries)
    assert len(res.records) == len(entries)
    cells = [
        (by_so[e["so"]][k].value or "", v or "")
        for e in split
        for k, v in e.items()
        if k in by_so[e["so"]]
    ]
    assert sum(a == b for a, b in cells) >= 0.8 * len(cells)
    assert _cer(res.text, "\n".join(truth["lines"])) < 0.08


def test_a_word_glued_across_a_column_rule_is_cut_at_the_rule() -> None:
    """ "27/11/2007JBùi": a date, the rule read as "J", the surname of the next column."""
    from pipeline.extract.tables import split_at_rules
    from schemas.models import OcrWord

    grid = Grid(rows=[(0, 100)], cols=[(0, 247), (247, 600)])
    glued = OcrWord(text="27/11/2007JBùi", conf=0.3, bbox=(0, 10, 337, 30))
    date, name = split_at_rules(grid, glued)
    assert (date.text, name.text) == ("27/11/2007", "Bùi")
    assert date.bbox[0] + date.bbox[2] <= 247 <= name.bbox[0]
    one = OcrWord(text="13/12/20071Vũ", conf=0.3, bbox=(0, 10, 310, 30))
    assert [w.text for w in split_at_rules(grid, one)] == ["13/12/2007", "Vũ"]
    # a word that only overhangs the rule, or has no rule read where the rule is, stays whole
    for text in ("Nguyễn", "Lâm Đồng"):
        word = OcrWord(text=text, conf=0.9, bbox=(150, 10, 200, 30))
        assert split_at_rules(grid, word) == [word]


def test_a_book_with_the_declarants_columns_fills_them_for_review():
    """Issue 19: later books print the declarant's relation and identity paper in columns."""
    from pipeline.extract.entry_extras import NEW_FIELD_NOTE
    from pipeline.extract.kinds import extract_page

    header = ["Số", "Ngày đăng ký", "Họ và tên", "Người đi khai", "Quan hệ", "Giấy tờ tùy thân"]
    rows = [
        header,
        ["21", "03/04/2018", "Lê Văn An", "Lê Văn Bình", "Cha", "CMND số 186123456"],
        ["22", "05/04/2018", "Trần Thị Bình", "Trần Văn Cường", "Ông nội", "Không có"],
    ]
    res = extract_page(
        "so_khai_sinh",
        _page(_cells(rows)),
        gray=draw_table(text=False),
        threshold=packaged().threshold,
        calibration=packaged(),
    )
    first, second = (r.fields for r in res.records[:2])
    assert first["quan_he_nguoi_di_khai"].value == "Cha"
    assert first["giay_to_nguoi_di_khai"].value == "Chứng minh nhân dân"
    assert first["so_giay_to_nguoi_di_khai"].value == "186123456"
    assert first["giay_to_nguoi_di_khai"].raw == "CMND số 186123456"
    assert all(
        f.needs_review and NEW_FIELD_NOTE in f.provenance
        for f in (first["quan_he_nguoi_di_khai"], first["so_giay_to_nguoi_di_khai"])
    )
    # a cell naming no paper leaves the type empty for the clerk, its words kept
    assert second["giay_to_nguoi_di_khai"].value is None
    assert second["giay_to_nguoi_di_khai"].raw == "Không có"
    assert "so_giay_to_nguoi_di_khai" not in second
