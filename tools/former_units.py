r"""Build ``pipeline/data/wards_former.csv`` and ``districts_former.csv`` (run once, by hand).

The gazetteer's pre-2025 tables are the General Statistics Office list as of January 2025:
communes merged or renamed in the 2019–2024 mergers are missing, yet old books name them
("xã Quỳnh Hưng, huyện Quỳnh Lưu" was merged away in 2020). Earlier transcriptions of the
same GSO list ship in older releases of the PyPI package ``vietnam-provinces`` (each
release's upload date is the snapshot's latest possible date). This script reads their
``data/nested-divisions.json`` and writes every unit whose name (type word or own name)
differs from the January 2025 list, with the last snapshot that lists it. Only the facts
(codes, names) are taken; the package's code is GPL-3.0-or-later and is not used.

    pip download --no-deps vietnam-provinces==0.2 vietnam-provinces==0.3.0 \\
        vietnam-provinces==0.4.3 vietnam-provinces==0.5.0 -d /tmp/vp
    python tools/former_units.py /tmp/vp
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "pipeline" / "data"
#: release → the month it was uploaded to PyPI (the snapshot is no later than that)
RELEASES = {"0.2": "2020-03", "0.3.0": "2021-02", "0.4.3": "2022-04", "0.5.0": "2023-05"}


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _key(name: str) -> str:
    """Compare names by their letters only (tone placement "Hoà"/"Hòa" and case ignored)."""
    decomposed = unicodedata.normalize("NFD", name.lower())
    marks = "".join(sorted(c for c in decomposed if unicodedata.combining(c)))
    return "".join(c for c in decomposed if c.isalnum()) + marks


def _snapshot(wheel: Path) -> list[dict]:  # type: ignore[type-arg]
    with zipfile.ZipFile(wheel) as z:
        return json.loads(z.read("vietnam_provinces/data/nested-divisions.json"))  # type: ignore[no-any-return]


def _read(name: str) -> dict[str, dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


def main(folder: Path) -> None:
    """Write the two tables from the wheels in ``folder``."""
    wards_now, districts_now = _read("wards_pre2025.csv"), _read("districts_pre2025.csv")
    wards: dict[tuple[str, str], dict[str, str]] = {}
    districts: dict[tuple[str, str], dict[str, str]] = {}
    for release, month in RELEASES.items():
        (wheel,) = folder.glob(f"vietnam_provinces-{release}-*.whl")
        for p in _snapshot(wheel):
            for d in p["districts"]:
                dcode, dname = f"{d['code']:03d}", _nfc(d["name"])
                now = districts_now.get(dcode)
                if now is None or _key(now["name"]) != _key(dname):
                    row = {"code": dcode, "province_code": f"{p['code']:02d}", "name": dname}
                    districts[(dcode, _key(dname))] = {**row, "listed_until": month}
                for w in d["wards"]:
                    wcode, wname = f"{w['code']:05d}", _nfc(w["name"])
                    now = wards_now.get(wcode)
                    if now is None or _key(now["name"]) != _key(wname):
                        row = {"code": wcode, "district_code": dcode, "name": wname}
                        wards[(wcode, _key(wname))] = {**row, "listed_until": month}
    for name, rows, cols in (
        ("districts_former.csv", districts, ("code", "province_code", "name", "listed_until")),
        ("wards_former.csv", wards, ("code", "district_code", "name", "listed_until")),
    ):
        with (DATA / name).open("w", encoding="utf-8", newline="") as f:
            out = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
            out.writeheader()
            out.writerows(sorted(rows.values(), key=lambda r: (r["code"], r["name"])))
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
