"""Bench-only names and places: absent from the product's lists, drawn and marked."""

from __future__ import annotations

import random

from bench.corpus import names, synth
from pipeline.extract.gazetteer import match_place
from pipeline.extract.signals import given_names_known, is_known_surname, reference_fit


def test_enough_names_and_places_remain_after_filtering() -> None:
    for gender in ("male", "female"):
        assert len(names.persons(gender)) >= 40
        assert len(names.given_names(gender)) >= 40
    assert len(names.places()) >= 40
    assert len(names.persons("male")) + len(names.persons("female")) >= 80


def test_none_is_known_to_the_reference_signal() -> None:
    for gender in ("male", "female"):
        for full in names.persons(gender):
            first = full.split()[0]
            assert not (is_known_surname(first) and given_names_known(full)), full
            assert reference_fit("ho_ten", full)[0] < 1.0, full
        for given in names.given_names(gender):
            assert reference_fit("ho_ten", f"Nguyễn {given}")[0] < 1.0, given
    units = "\n".join(names._unit_keys())
    for place in names.places():
        assert names.name_key(place) not in units, place


def test_an_unlisted_commune_is_not_matched_exactly() -> None:
    ward = {"ward": "Xã Mường Tè", "district": "Huyện Mường Tè", "province": "Tỉnh Lai Châu"}
    row = names.unlisted_ward(random.Random(1), ward)
    assert row["ward"].startswith("Xã ") and row["ward"] != ward["ward"]
    m = match_place(f"{row['ward']}, huyện Mường Tè, tỉnh Lai Châu")
    assert m is None or m.score < 0.999 or m.ward_old is None


def _records(seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    ward = synth._pick_ward(rng, 2005)
    return synth._register_entries(rng, ward, 2005, 1, 6)


def test_off_unless_the_bench_turns_it_on(monkeypatch) -> None:
    monkeypatch.delenv(names.ENV, raising=False)
    assert not names.active()
    assert all("unlisted" not in e for seed in range(10) for e in _records(seed))


def test_drawn_share_is_deterministic_and_marked(monkeypatch) -> None:
    """Drawn through the generator's own helpers (no rendering: fast)."""
    monkeypatch.setenv(names.ENV, "1")
    marked = {"name": 0, "place": 0}
    n = 0
    for seed in range(20):
        entries = _records(seed)
        assert entries == _records(seed)
        for entry in entries:
            n += 1
            lacking = entry.get("unlisted", [])
            marked["name"] += "ho_ten_me" in lacking
            marked["place"] += "noi_sinh" in lacking
            for field in lacking:
                value = entry[field]
                assert field in names.NAME_FIELDS or any(p in value for p in names.places())
    assert 0.04 * n <= marked["name"] <= 0.25 * n  # ~12 % of mothers
    assert 0.02 * n <= marked["place"] <= 0.18 * n  # ~8 % of birth places


def test_unlisted_fields_ignores_listed_values() -> None:
    fields = {
        "ho_ten": "NGUYỄN VĂN AN",
        "ho_ten_me": "Hờ Thị Mỷ",
        "noi_sinh": "Trạm y tế xã Huổi Lếch, huyện Mường Tè, tỉnh Lai Châu",
        "que_quan": "xã Kim Định, huyện Kim Thành, tỉnh Hải Dương",
        "so": "12",
    }
    assert names.unlisted_fields(fields) == ["ho_ten_me", "noi_sinh"]
