"""Marriage and death extracts: labels, sections, wrapped values, cross-checks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bench.corpus.synth_extracts import render_death_extract, render_marriage_extract
from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import packaged
from pipeline.extract.forms import extract_death, extract_marriage, split_death_time
from pipeline.process import process_image
from schemas.models import DEATH_FIELDS, ENTRY_EXTRAS, MARRIAGE_FIELDS
from tests.fakes import page_from_lines

#: A page made of the truth's lines, left-aligned, has no signer block where a page has one.
_PLACED = ("nguoi_ky",)


def _labelled(truth: dict) -> dict:
    return {k: v for k, v in truth["fields"].items() if k not in _PLACED}


@pytest.mark.parametrize("seed", range(6))
def test_marriage_fields_by_section(seed):
    _, truth = render_marriage_extract(seed)
    rec = extract_marriage(page_from_lines(truth["lines"]), threshold=0.8, calibration=packaged())
    assert set(MARRIAGE_FIELDS) <= set(rec.fields) <= {*MARRIAGE_FIELDS, *ENTRY_EXTRAS["ket_hon"]}
    assert {k: f.value for k, f in rec.fields.items()} == _labelled(truth)
    assert not any(rec.fields[k].needs_review for k in MARRIAGE_FIELDS)


@pytest.mark.parametrize("seed", range(6))
def test_death_fields_including_time_of_death(seed):
    _, truth = render_death_extract(seed)
    rec = extract_death(page_from_lines(truth["lines"]), threshold=0.8, calibration=packaged())
    assert set(DEATH_FIELDS) <= set(rec.fields) <= {*DEATH_FIELDS, *ENTRY_EXTRAS["khai_tu"]}
    assert {k: f.value for k, f in rec.fields.items()} == _labelled(truth)


def test_split_death_time():
    assert split_death_time("08 giờ 15 phút, ngày 28/08/1998") == {
        "gio_chet": "08:15",
        "ngay_chet": "1998-08-28",
    }
    assert split_death_time("25 giờ, ngày 28/08/1998")["gio_chet"] is None
    assert split_death_time("08 giờ, ngày 28/08/1998")["gio_chet"] == "08:00"


def test_misread_minutes_leave_the_time_to_the_clerk():
    # "4ð" is no 04: a stray letter in or instead of the minutes is never dropped silently
    assert split_death_time("22 giờ 4ð phút, ngày 08/08/2007") == {
        "gio_chet": None,
        "ngay_chet": "2007-08-08",
    }
    assert split_death_time("22 giờ ð0 phút, ngày 08/08/2007")["gio_chet"] is None
    assert split_death_time("7h30, ngày 1/2/2000")["gio_chet"] == "07:30"


def test_death_registered_before_death_goes_to_review():
    _, truth = render_death_extract(1)
    lines = [
        ln.replace(ln.split(": ", 1)[1], "01/01/1900")
        if ln.startswith("Ngày, tháng, năm đăng ký")
        else ln
        for ln in truth["lines"]
    ]
    rec = extract_death(page_from_lines(lines), threshold=0.8, calibration=packaged())
    assert rec.fields["ngay_dang_ky"].needs_review
    assert any("trước ngày chết" in p for p in rec.fields["ngay_dang_ky"].provenance)


@pytest.mark.tesseract
@pytest.mark.parametrize(
    ("render", "schema"), [(render_marriage_extract, "ket_hon"), (render_death_extract, "khai_tu")]
)
def test_real_ocr_reads_most_fields(render, schema):
    im, truth = render(21)
    with tempfile.TemporaryDirectory() as d:
        out = process_image(
            im,
            stem="t",
            workdir=Path(d),
            options=ProcessOptions(),
            engine=TesseractEngine(),
            calibration=packaged(),
        )
    (rec,) = out.result.records
    assert rec.schema_name == schema
    right = sum(rec.fields[k].value == v for k, v in truth["fields"].items())
    assert right >= 0.85 * len(truth["fields"])
    wrong_accepted = [
        k
        for k, v in truth["fields"].items()
        if rec.fields[k].value != v and not rec.fields[k].needs_review
    ]
    assert len(wrong_accepted) <= 1
