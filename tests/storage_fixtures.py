"""Fixtures for the storage and reliability tests: databases and a stand-in OCR engine.

``db_url`` is parametrized over a fresh SQLite file and a throwaway PostgreSQL
database (Debian's ``postgresql`` package, cluster 15/main, started if needed).
Bind the fixtures in a test module like the S3 ones::

    from tests import storage_fixtures

    pg_db_url = storage_fixtures.pg_db_url
    db_url = storage_fixtures.db_url
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.db.migrate import upgrade_db
from tests.fakes import page_from_lines
from tests.pg_fixtures import as_user, ensure_cluster

BIRTH_LINES = [
    "GIẤY KHAI SINH",
    "Số: 123 Quyển số: 01/1994",
    "Họ, chữ đệm, tên: NGUYỄN VĂN AN",
    "Ngày, tháng, năm sinh: 15/03/1994",
    "Nơi đăng ký: Ủy ban nhân dân xã Tân Lập",
    "Ngày đăng ký: 20/03/1994",
]


@dataclass(frozen=True)
class StubReading:
    """What :class:`StubEngine` returns: fixed words and a matching hOCR."""

    page: object
    hocr: str


class StubEngine:
    """An :class:`~pipeline.ports.OcrEngine` that reads fixed text (no Tesseract)."""

    def read(self, image: Path, *, workdir: Path, **_options: object) -> StubReading:
        """Return the fixed birth-extract text with plausible word boxes."""
        from PIL import Image

        with Image.open(image) as im:
            w, h = im.size
        page = page_from_lines(BIRTH_LINES, width=w, height=h, x0=10)
        return StubReading(page=page, hocr=stub_hocr(page))

    def orientation(self, image: Path) -> tuple[int, float] | None:
        """Upright, confidently."""
        return (0, 10.0)


def stub_hocr(page) -> str:  # noqa: ANN001 - OcrPage
    """A minimal Tesseract-like hOCR of an OcrPage."""
    out = [f"<div class='ocr_page' title='bbox 0 0 {page.width} {page.height}'>"]
    out.append(f"<div class='ocr_carea' title='bbox 0 0 {page.width} {page.height}'>")
    for line in page.lines:
        x, y, w, h = line.bbox
        out.append(f"<span class='ocr_line' title='bbox {x} {y} {x + w} {y + h}'>")
        for word in line.words:
            x, y, w, h = word.bbox
            conf = int(word.conf * 100)
            out.append(
                f"<span class='ocrx_word' title='bbox {x} {y} {x + w} {y + h}; x_wconf {conf}'>"
                f"{word.text}</span> "
            )
        out.append("</span>")
    out.append("</div></div>")
    return "<html><body>" + "".join(out) + "</body></html>"


# ------------------------------------------------------------------- PostgreSQL


def _as_postgres(sql: str) -> None:
    done = subprocess.run(
        [*as_user("postgres"), "psql", "-X", "-v", "ON_ERROR_STOP=1", "-qc", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def pg_db_url() -> Iterator[str]:
    """A fresh PostgreSQL database and role for one test; dropped afterwards."""
    port = ensure_cluster()  # starts Debian's cluster if needed, skips if not installed
    name = f"sohoa_s_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    _as_postgres(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    _as_postgres(f"CREATE DATABASE {name} OWNER {name}")
    try:
        yield f"postgresql+psycopg://{name}:{password}@127.0.0.1:{port}/{name}"
    finally:
        _as_postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _as_postgres(f"DROP ROLE IF EXISTS {name}")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sohoa.db'}"
    else:
        url = request.getfixturevalue("pg_db_url")
    upgrade_db(url)
    return url
