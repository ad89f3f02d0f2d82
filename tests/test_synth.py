"""Tests of the synthetic page generator and of the committed samples built with it."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from bench.corpus import synth
from schemas.models import ENTRY_EXTRAS

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "samples"
RENDERERS = (synth.render_birth_extract, synth.render_tthc_decision, synth.render_register_page)
BIRTH_FIELDS = (
    "so quyen_so ho_ten gioi_tinh ngay_sinh dan_toc quoc_tich noi_sinh que_quan so_dinh_danh "
    "ho_ten_me nam_sinh_me dan_toc_me quoc_tich_me noi_cu_tru_me ho_ten_cha nam_sinh_cha "
    "dan_toc_cha quoc_tich_cha noi_cu_tru_cha nguoi_di_khai noi_dang_ky ngay_dang_ky"
).split()
TTHC_FIELDS = (
    "so_ky_hieu ngay_ban_hanh dia_danh co_quan_chu_quan co_quan_ban_hanh loai_van_ban "
    "trich_yeu nguoi_ky"
).split()


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in [k, *strings(v)]]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []


# ------------------------------------------------------------------ an independent reader of
# Vietnamese number words, to check date_in_words without reusing its code.
UNIT_WORDS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}


def read_number(text: str) -> int:
    total = current = 0
    for word in text.split():
        if word == "nghìn":
            total, current = total + current * 1000, 0
        elif word == "trăm":
            total, current = total + current * 100, 0
        elif word == "mươi":
            current *= 10
        elif word == "mười":
            current += 10
        elif word not in ("linh", "lẻ", "mùng"):
            current += UNIT_WORDS[word]
    return total + current


def read_date(text: str) -> date:
    m = re.fullmatch(r"Ngày (.+?) tháng (.+?) năm (.+)", text)
    assert m, text
    day, month, year = (read_number(g) for g in m.groups())
    return date(year, month, day)


# ------------------------------------------------------------------ determinism and Unicode


@pytest.mark.parametrize("render", RENDERERS)
def test_same_seed_gives_same_pixels_and_truth(render):
    img1, truth1 = render(7, dpi=100)
    img2, truth2 = render(7, dpi=100)
    assert img1.tobytes() == img2.tobytes()
    assert truth1 == truth2
    assert render(8, dpi=100)[1]["fields"] != truth1["fields"]


def test_rendering_leaves_global_random_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    synth.render_birth_extract(3, dpi=50)
    assert random.random() == expected


@pytest.mark.parametrize("render", RENDERERS)
@pytest.mark.parametrize("seed", range(12))
def test_every_truth_string_is_nfc(render, seed):
    _, truth = render(seed, dpi=50, font=synth.FACES[seed % 3])
    for s in strings(truth):
        assert unicodedata.is_normalized("NFC", s), s
    assert "\u00d0" not in json.dumps(truth, ensure_ascii=False)  # Ð look-alike of Đ


# ------------------------------------------------------------------ numbers and dates in words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (4, "bốn"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (31, "ba mươi mốt"),
        (1905, "một nghìn chín trăm linh năm"),
        (1994, "một nghìn chín trăm chín mươi tư"),
        (2000, "hai nghìn"),
        (2005, "hai nghìn không trăm linh năm"),
        (2010, "hai nghìn không trăm mười"),
        (2018, "hai nghìn không trăm mười tám"),
        (2021, "hai nghìn không trăm hai mươi mốt"),
    ],
)
def test_number_in_words_known_cases(n, words):
    assert synth.number_in_words(n) == words


def test_lẻ_replaces_linh_in_the_south():
    assert synth.number_in_words(2009, linh="lẻ") == "hai nghìn không trăm lẻ chín"


@pytest.mark.parametrize(
    ("d", "words"),
    [
        (date(2018, 3, 15), "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám"),
        (date(2001, 4, 5), "Ngày mùng năm tháng tư năm hai nghìn không trăm linh một"),
        (date(1994, 5, 10), "Ngày mùng mười tháng năm năm một nghìn chín trăm chín mươi tư"),
        (date(2005, 12, 24), "Ngày hai mươi tư tháng mười hai năm hai nghìn không trăm linh năm"),
    ],
)
def test_date_in_words_known_cases(d, words):
    assert synth.date_in_words(d) == words


def test_date_in_words_reads_back_for_many_dates():
    rng = random.Random(0)
    for _ in range(500):
        d = date(1900, 1, 1) + timedelta(days=rng.randrange(365 * 130))
        assert read_date(synth.date_in_words(d, linh=rng.choice(("linh", "lẻ")))) == d


@pytest.mark.parametrize("seed", range(20))
def test_printed_date_in_words_matches_iso_birth_date(seed):
    _, truth = synth.render_birth_extract(seed, dpi=50)
    text = " ".join(truth["lines"])
    words = re.search(r"ghi bằng chữ: (Ngày .+?) Giới tính:", text)
    assert words, text
    assert read_date(words.group(1)) == date.fromisoformat(truth["fields"]["ngay_sinh"])


# ------------------------------------------------------------------ fonts


@pytest.mark.parametrize("face", synth.FACES)
def test_fonts_draw_every_vietnamese_letter(face):
    assert synth.missing_glyphs(face, synth.VIETNAMESE_LETTERS + "0123456789:;,.-/()") == []
    assert not any("Liberation" in p.name for p in synth.font_files(face))


def test_letter_list_is_complete():
    for ch in "ệửỷẫĐđƯơ":
        assert ch in synth.VIETNAMESE_LETTERS
    assert len(set(synth.VIETNAMESE_LETTERS)) == len(synth.VIETNAMESE_LETTERS)


@pytest.mark.parametrize("face", synth.FACES)
def test_fonts_draw_every_character_on_the_pages(face):
    used = set()
    for seed, render in enumerate(RENDERERS * 4):
        used |= set("".join(render(seed, dpi=50, font=face)[1]["lines"]))
    assert synth.missing_glyphs(face, "".join(used)) == []


# ------------------------------------------------------------------ plausible content


@pytest.mark.parametrize("seed", range(30))
def test_birth_extract_fields_are_consistent(seed):
    reg_year = 1992 + seed
    _, truth = synth.render_birth_extract(seed, dpi=50, reg_year=reg_year)
    f = truth["fields"]
    assert truth["kind"] == "khai_sinh" and list(f)[: len(BIRTH_FIELDS)] == list(BIRTH_FIELDS)
    # issue 19: what some pages print beyond the main fields, listed only where printed
    assert set(f) - set(BIRTH_FIELDS) <= set(ENTRY_EXTRAS["khai_sinh"]) and f["nguoi_ky"]
    for parent in ("me", "cha"):
        if f"ngay_sinh_{parent}" in f:
            assert f[f"ngay_sinh_{parent}"][:4] == f[f"nam_sinh_{parent}"]
    if "so_giay_to_nguoi_di_khai" in f:
        assert any(f["so_giay_to_nguoi_di_khai"] in line for line in truth["lines"])
    birth, reg = date.fromisoformat(f["ngay_sinh"]), date.fromisoformat(f["ngay_dang_ky"])
    assert reg.year == reg_year and birth <= reg
    assert f["quyen_so"].endswith(f"/{reg_year}") and f["so"].isdigit()
    for parent in ("me", "cha"):
        assert 18 <= birth.year - int(f[f"nam_sinh_{parent}"]) <= 45
        assert f[f"dan_toc_{parent}"] in synth.ethnic_group_names()
    assert f["dan_toc"] in synth.ethnic_group_names()
    assert re.fullmatch(r"\d{12}", f["so_dinh_danh"])
    assert f["so_dinh_danh"][4:6] == f"{birth.year % 100:02d}"
    assert f["ho_ten"] == f["ho_ten"].upper()
    assert f"Họ, chữ đệm, tên: {f['ho_ten']}" in truth["lines"]


def test_old_units_are_named_as_they_were():
    places = {
        year: [
            synth.render_birth_extract(seed, dpi=20, reg_year=year)[1]["fields"]["noi_dang_ky"]
            for seed in range(12)
        ]
        for year in (1999, 2009)
    }
    assert any("huyện Ba Vì, tỉnh Hà Tây" in p for p in places[1999])  # Hà Tây until 2008
    assert any("huyện Ba Vì, thành phố Hà Nội" in p for p in places[2009])
    assert not any("Hà Tây" in p for p in places[2009])
    assert not any("Ba Vì, thành phố Hà Nội" in p for p in places[1999])


@pytest.mark.parametrize("seed", range(10))
def test_tthc_decision_fields(seed):
    _, truth = synth.render_tthc_decision(seed, dpi=50)
    f = truth["fields"]
    assert truth["kind"] == "tthc" and list(f) == TTHC_FIELDS
    assert re.fullmatch(r"\d+/QĐ-S[A-Z]+", f["so_ky_hieu"])
    assert f["loai_van_ban"] == "Quyết định" and f["trich_yeu"].startswith("Về việc ")
    issued = date.fromisoformat(f["ngay_ban_hanh"])
    text = " ".join(truth["lines"])
    assert f"{f['dia_danh']}, ngày {issued.day:02d} tháng" in text
    assert f["trich_yeu"] in text and f"Số: {f['so_ky_hieu']}" in text
    assert f["co_quan_chu_quan"].startswith("UBND ") and f["nguoi_ky"] in truth["lines"]


def test_tthc_decision_follows_the_options():
    _, truth = synth.render_tthc_decision(1, dpi=50, year=2018, province_code="02", agency="SNV")
    f = truth["fields"]
    assert (f["co_quan_chu_quan"], f["co_quan_ban_hanh"], f["dia_danh"]) == (
        "UBND TỈNH HÀ GIANG",
        "SỞ NỘI VỤ",
        "Hà Giang",
    )
    assert f["so_ky_hieu"].endswith("/QĐ-SNV") and f["ngay_ban_hanh"].startswith("2018-")


@pytest.mark.parametrize("seed", range(10))
def test_register_entries_count_up(seed):
    img, truth = synth.render_register_page(seed, dpi=50, reg_year=2003)
    entries = truth["entries"]
    assert truth["kind"] == "so_khai_sinh" and 4 <= len(entries) <= 6
    assert img.width > img.height  # landscape
    numbers = [int(e["so"]) for e in entries]
    assert numbers == list(range(numbers[0], numbers[0] + len(entries)))
    regs = [e["ngay_dang_ky"] for e in entries]
    assert regs == sorted(regs) and all(r.startswith("2003-") for r in regs)
    for e in entries:
        assert e["ngay_sinh"] <= e["ngay_dang_ky"]
        assert set(BIRTH_FIELDS) & set(e) >= {"so", "ho_ten", "ngay_sinh", "ho_ten_cha"}
    assert len(truth["cell_boxes"]) == len(entries)


def test_years_outside_the_data_are_refused():
    with pytest.raises(ValueError):
        synth.render_birth_extract(1, reg_year=1980)
    with pytest.raises(ValueError):
        synth.render_tthc_decision(1, year=2010)


# ------------------------------------------------------------------ skew


def test_apply_skew_turns_counter_clockwise_and_grows_the_page():
    img = Image.new("L", (200, 100), 255)
    img.putpixel((180, 50), 0)  # right of the centre
    out = synth.apply_skew(img, 30)
    assert out.width > img.width and out.height > img.height
    dark = [
        (x, y) for y in range(out.height) for x in range(out.width) if out.getpixel((x, y)) < 200
    ]
    assert dark and all(y < out.height / 2 - 20 for _, y in dark)  # moved up
    assert out.getpixel((0, 0)) == 255  # white corners


def test_with_skew_records_the_rotation():
    img, truth = synth.render_register_page(2, dpi=50)
    out, skewed = synth.with_skew(img, truth, 2.5)
    assert skewed["skew_deg"] == 2.5 and skewed["degradations"] == [{"op": "rotate", "deg": 2.5}]
    assert truth["skew_deg"] == 0.0 and truth["degradations"] == []  # input left alone
    assert out.size != img.size
    box = skewed["cell_boxes"][0]["so"]
    assert 0 <= box[0] < box[2] <= out.width and 0 <= box[1] < box[3] <= out.height


# ------------------------------------------------------------------ committed samples


def load_make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES_DIR / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


MAKE_SAMPLES = load_make_samples()


@pytest.mark.parametrize("sample", MAKE_SAMPLES.SAMPLES, ids=lambda s: s.stem)
def test_committed_sample_matches_its_generator(sample):
    committed = json.loads((SAMPLES_DIR / f"{sample.stem}.truth.json").read_text("utf-8"))
    img, truth = MAKE_SAMPLES.build(sample)
    assert truth == committed
    path = SAMPLES_DIR / truth["file"]
    assert path.stat().st_size < 600 * 1024
    with Image.open(path) as stored:
        assert stored.size == img.size and stored.mode == "L"
        assert round(stored.info["dpi"][0]) == truth["dpi"]


def test_samples_readme_lists_every_sample():
    readme = (SAMPLES_DIR / "README.md").read_text("utf-8")
    for sample in MAKE_SAMPLES.SAMPLES:
        assert sample.stem + sample.suffix in readme


# ------------------------------------------------------------------ real Tesseract


def character_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


@pytest.mark.tesseract
def test_tesseract_reads_the_birth_extract(tmp_path):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)")
    img, truth = synth.render_birth_extract(11, reg_year=2018)
    path = tmp_path / "ks.png"
    img.save(path, dpi=(truth["dpi"], truth["dpi"]))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    run = subprocess.run(
        ["tesseract", str(path), "-", "-l", "vie", "--psm", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if "vie" in run.stderr and "Failed loading language" in run.stderr:
        pytest.skip("Tesseract has no Vietnamese data (apt-get install tesseract-ocr-vie)")
    assert run.returncode == 0, run.stderr
    text = unicodedata.normalize("NFC", run.stdout)
    assert character_error_rate("\n".join(truth["lines"]), text) < 0.05
