"""Tests of the marriage and death extracts, dates in words with regional spellings, and the
handwriting-like face (bench.corpus.synth, bench.corpus.synth_extracts)."""

from __future__ import annotations

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

import pytest
from rapidfuzz.distance import Levenshtein

from bench.corpus import synth, synth_extracts
from schemas.models import DEATH_FIELDS, ENTRY_EXTRAS, MARRIAGE_FIELDS

ROOT = Path(__file__).resolve().parents[1]
RENDERERS = (synth_extracts.render_marriage_extract, synth_extracts.render_death_extract)
FACES = synth.FACES + tuple(f for f in synth.OPTIONAL_FACES if synth.face_available(f))

# An independent reader of Vietnamese number words, with the regional variants.
UNITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}


def read_number(text: str) -> int:
    total = current = 0
    for word in text.split():
        if word in ("nghìn", "ngàn"):
            total, current = total + current * 1000, 0
        elif word == "trăm":
            total, current = total + current * 100, 0
        elif word == "mươi":
            current *= 10
        elif word == "mười":
            current += 10
        elif word not in ("linh", "lẻ", "mùng", "mồng"):
            current += UNITS[word]
    return total + current


def read_date(text: str) -> date:
    m = re.fullmatch(r"Ngày (.+?) tháng (.+?) năm (.+)", text)
    assert m, text
    day, month, year = (read_number(g) for g in m.groups())
    return date(year, month, day)


def strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in [k, *strings(v)]]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []


def words_after(truth: dict, label: str) -> str:
    text = " ".join(truth["lines"])
    m = re.search(rf"{label}.*?ghi bằng chữ: (Ngày .+?) (?:Nơi|NGƯỜI)", text)
    assert m, text
    return m.group(1)


# ------------------------------------------------------------------ determinism and Unicode


@pytest.mark.parametrize("render", RENDERERS)
def test_same_seed_gives_same_pixels_and_truth(render):
    img1, t1 = render(7, dpi=80)
    img2, t2 = render(7, dpi=80)
    assert img1.tobytes() == img2.tobytes() and t1 == t2
    assert render(8, dpi=80)[1]["fields"] != t1["fields"]


@pytest.mark.parametrize("render", RENDERERS)
@pytest.mark.parametrize("seed", range(8))
def test_every_truth_string_is_nfc(render, seed):
    _, truth = render(seed, dpi=40, font=FACES[seed % len(FACES)], date_words="regional")
    for s in strings(truth):
        assert unicodedata.is_normalized("NFC", s), s
    assert "\u00d0" not in json.dumps(truth, ensure_ascii=False)


def test_the_extract_renderers_live_in_their_own_module_and_either_imports_first():
    assert synth_extracts.render_marriage_extract.__module__ == "bench.corpus.synth_extracts"
    assert not hasattr(synth, "render_death_extract")  # no re-export: no circle
    for first in ("bench.corpus.synth_extracts", "bench.corpus.synth"):
        code = (
            f"import {first}; from bench.corpus.synth import render_birth_extract; "
            "from bench.corpus.synth_extracts import render_marriage_extract"
        )
        run = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert run.returncode == 0, run.stderr
    with pytest.raises(AttributeError):
        synth.render_nothing  # noqa: B018


# ------------------------------------------------------------------ marriage


@pytest.mark.parametrize("seed", range(25))
def test_marriage_extract_fields_are_consistent(seed):
    reg_year = 1992 + seed
    _, truth = synth_extracts.render_marriage_extract(seed, dpi=40, reg_year=reg_year)
    f = truth["fields"]
    assert truth["kind"] == "ket_hon" and tuple(f)[: len(MARRIAGE_FIELDS)] == MARRIAGE_FIELDS
    assert set(f) - set(MARRIAGE_FIELDS) <= set(ENTRY_EXTRAS["ket_hon"]) and f["nguoi_ky"]
    reg = date.fromisoformat(f["ngay_dang_ky"])
    assert reg.year == reg_year and f["quyen_so"].endswith(f"/{reg_year}") and f["so"].isdigit()
    for key, min_age in (("chong", 20), ("vo", 18)):
        born = date.fromisoformat(f[f"ngay_sinh_{key}"])
        assert min_age <= (reg - born).days / 365.25 <= 62
        assert f[f"dan_toc_{key}"] in synth.ethnic_group_names()
        assert f[f"quoc_tich_{key}"] == "Việt Nam"
        assert re.fullmatch(r"\d{12}", f[f"so_dinh_danh_{key}"])
        assert f[f"ho_ten_{key}"] == f[f"ho_ten_{key}"].upper()
    assert f["noi_dang_ky"].startswith("Ủy ban nhân dân ")


def test_marriage_extract_has_a_section_per_spouse_with_the_same_labels():
    _, truth = synth_extracts.render_marriage_extract(3, dpi=40)
    lines, f = truth["lines"], truth["fields"]
    husband, wife = lines.index("Thông tin người chồng"), lines.index("Thông tin người vợ")
    assert husband < wife
    for start, end, key in ((husband, wife, "chong"), (wife, len(lines), "vo")):
        section = " ".join(lines[start:end])
        assert f"Họ, chữ đệm, tên: {f[f'ho_ten_{key}']}" in section
        born = date.fromisoformat(f[f"ngay_sinh_{key}"]).strftime("%d/%m/%Y")
        assert f"Ngày, tháng, năm sinh: {born}" in section
        residence = "Nơi thường trú:" if f.get(f"loai_cu_tru_{key}") else "Nơi cư trú:"
        for label in ("Dân tộc:", "Quốc tịch:", residence, "Số định danh cá nhân:"):
            assert label in section
    text = " ".join(lines)
    assert f"Nơi đăng ký kết hôn: {f['noi_dang_ky']}" in text
    reg = date.fromisoformat(f["ngay_dang_ky"]).strftime("%d/%m/%Y")
    assert f"Ngày, tháng, năm đăng ký: {reg}" in lines
    assert "ghi bằng chữ" not in text  # digits only unless asked


@pytest.mark.parametrize("seed", range(10))
def test_marriage_registration_date_in_words_reads_back(seed):
    _, truth = synth_extracts.render_marriage_extract(seed, dpi=40, date_words="regional")
    words = words_after(truth, "Ngày, tháng, năm đăng ký:")
    assert read_date(words) == date.fromisoformat(truth["fields"]["ngay_dang_ky"])


# ------------------------------------------------------------------ death


@pytest.mark.parametrize("seed", range(25))
def test_death_extract_fields_are_consistent(seed):
    reg_year = 1992 + seed
    _, truth = synth_extracts.render_death_extract(seed, dpi=40, reg_year=reg_year)
    f = truth["fields"]
    assert truth["kind"] == "khai_tu" and tuple(f)[: len(DEATH_FIELDS)] == DEATH_FIELDS
    assert set(f) - set(DEATH_FIELDS) <= set(ENTRY_EXTRAS["khai_tu"]) and f["nguoi_ky"]
    born, died = date.fromisoformat(f["ngay_sinh"]), date.fromisoformat(f["ngay_chet"])
    reg = date.fromisoformat(f["ngay_dang_ky"])
    assert born < died <= reg and reg.year == reg_year
    assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", f["gio_chet"])
    assert f["gioi_tinh"] in ("Nam", "Nữ") and f["dan_toc"] in synth.ethnic_group_names()
    assert re.fullmatch(r"\d{12}", f["so_dinh_danh"]) and f["ho_ten"] == f["ho_ten"].upper()
    assert f["nguyen_nhan_chet"] and f["noi_chet"] and f["nguoi_di_khai"]
    hour, minute = f["gio_chet"].split(":")
    line = f"Đã chết vào lúc: {hour} giờ {minute} phút, ngày {died.strftime('%d/%m/%Y')}"
    assert line in truth["lines"]
    text = " ".join(truth["lines"])
    residence = "thường trú" if f.get("loai_cu_tru") else "cư trú"
    for label, key in (
        (f"Nơi {residence} cuối cùng:", "noi_cu_tru"),
        ("Nơi chết:", "noi_chet"),
        ("Nguyên nhân chết:", "nguyen_nhan_chet"),
        ("Họ, chữ đệm, tên người đi khai tử:", "nguoi_di_khai"),
        ("Nơi đăng ký khai tử:", "noi_dang_ky"),
    ):
        assert f"{label} {f[key]}" in text


@pytest.mark.parametrize("seed", range(10))
def test_death_date_in_words_reads_back(seed):
    _, truth = synth_extracts.render_death_extract(seed, dpi=40, date_words="regional")
    words = words_after(truth, "Đã chết vào lúc:")
    assert read_date(words) == date.fromisoformat(truth["fields"]["ngay_chet"])


def test_years_outside_the_data_are_refused():
    for render in RENDERERS:
        with pytest.raises(ValueError):
            render(1, reg_year=1980)


# ------------------------------------------------------------------ dates in words


@pytest.mark.parametrize(
    ("n", "style", "words"),
    [
        (2005, synth.DateWords(nghin="ngàn", linh="lẻ"), "hai ngàn không trăm lẻ năm"),
        (25, synth.DateWords(lam="nhăm"), "hai mươi nhăm"),
        (15, synth.DateWords(lam="nhăm"), "mười lăm"),
        (24, synth.DateWords(tu="bốn"), "hai mươi bốn"),
        (21, synth.DateWords(mot="một"), "hai mươi một"),
        (1994, synth.DateWords(tu="bốn"), "một nghìn chín trăm chín mươi bốn"),
    ],
)
def test_number_in_words_variants(n, style, words):
    assert synth.number_in_words(n, style=style) == words


def test_date_in_words_default_is_unchanged_and_mong_is_a_variant():
    d = date(2001, 4, 5)
    assert synth.date_in_words(d) == "Ngày mùng năm tháng tư năm hai nghìn không trăm linh một"
    assert synth.date_in_words(d, style=synth.DateWords(mung="mồng")).startswith("Ngày mồng năm")


def test_regional_spellings_read_back_for_many_dates():
    rng = random.Random(1)
    seen = set()
    for _ in range(600):
        d = date(1900, 1, 1) + timedelta(days=rng.randrange(365 * 130))
        style = synth.DateWords.regional(rng, rng.choice(("north", "central", "south")))
        words = synth.date_in_words(d, style=style)
        seen |= set(words.split())
        assert read_date(words) == d
    assert {"mồng", "mùng", "lẻ", "linh", "ngàn", "nghìn", "nhăm", "lăm"} <= seen


def test_birth_extract_date_words_options():
    _, standard = synth.render_birth_extract(9, dpi=40)
    _, regional = synth.render_birth_extract(9, dpi=40, date_words="regional")
    _, none = synth.render_birth_extract(9, dpi=40, date_words=None)
    assert standard["fields"] == regional["fields"] == none["fields"]
    assert not any("ghi bằng chữ" in line for line in none["lines"])
    words = " ".join(regional["lines"]).split("ghi bằng chữ: ")[1].split(" Giới tính:")[0]
    assert read_date(words) == date.fromisoformat(regional["fields"]["ngay_sinh"])
    with pytest.raises(ValueError):
        synth.render_birth_extract(9, dpi=40, date_words="dialect")


# ------------------------------------------------------------------ fonts


@pytest.mark.parametrize("face", FACES)
def test_fonts_draw_every_character_of_the_new_pages(face):
    used = set()
    for seed, render in enumerate(RENDERERS * 3):
        used |= set("".join(render(seed, dpi=40, font=face, date_words="regional")[1]["lines"]))
    assert synth.missing_glyphs(face, "".join(used)) == []


def test_handwriting_face_has_every_vietnamese_letter_when_installed():
    if not synth.face_available("hand"):
        pytest.skip("no handwriting-like face (apt-get install fonts-sil-andika)")
    assert synth.missing_glyphs("hand", synth.VIETNAMESE_LETTERS + "0123456789:;,.-/()") == []
    img1, _ = synth_extracts.render_death_extract(2, dpi=60, font="hand")
    img2, _ = synth_extracts.render_death_extract(2, dpi=60, font="hand")
    assert img1.tobytes() == img2.tobytes()  # the wobble is seeded


# ------------------------------------------------------------------ real Tesseract


def character_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


@pytest.mark.tesseract
@pytest.mark.parametrize(
    ("render", "font"),
    [
        (synth_extracts.render_marriage_extract, "serif"),
        (synth_extracts.render_marriage_extract, "mono"),
        (synth_extracts.render_death_extract, "serif"),
        (synth_extracts.render_death_extract, "sans"),
    ],
)
def test_tesseract_reads_the_clean_extract(tmp_path, render, font):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)")
    img, truth = render(11, font=font, date_words="regional")
    path = tmp_path / "page.png"
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
    if "Failed loading language" in run.stderr:
        pytest.skip("Tesseract has no Vietnamese data (apt-get install tesseract-ocr-vie)")
    assert run.returncode == 0, run.stderr
    text = unicodedata.normalize("NFC", run.stdout)
    assert character_error_rate("\n".join(truth["lines"]), text) < 0.03
