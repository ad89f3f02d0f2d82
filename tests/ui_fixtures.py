"""Seed data for the web UI tests: a migrated SQLite, a book, a page preview, records, users.

No OCR: rows are written through the models, the preview and the v1 JSON through the store.
"""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.migrate import upgrade_db
from pipeline.db.models import (
    Batch,
    FieldRow,
    Page,
    RecordRow,
    User,
    make_engine,
    make_sessionmaker,
)
from pipeline.phases import load_plan
from pipeline.review.accounts import hash_password
from review_ui.security import WebConfig

PASSWORD = "mat-khau-thu-nghiem"
SECRET = "k" * 48
PREFIX = "phase-5/001.02.03/khai_sinh/02-1994"
ROLES = ("operator", "clerk", "manager", "admin")

# (name, value, raw, confidence, bbox in cleaned-image pixels, needs_review)
FIELDS_A = [
    ("so", "12", "12", 0.97, (300, 200, 120, 60), False),
    ("ho_ten", "Nguyễn Văn Aan", "Nguyễn Văn Aan", 0.41, (300, 400, 900, 80), True),
    ("ngay_sinh", "1994-03-05", "05/03/1994", 0.95, (300, 600, 700, 80), False),
    ("dan_toc", None, "Meo", 0.35, (300, 800, 300, 80), True),
    ("ngay_dang_ky", "1994-03-20", "20/03/1994", 0.92, (300, 1000, 700, 80), False),
]
FIELDS_B = [
    ("so", "13", "13", 0.97, (300, 1400, 120, 60), False),
    ("ho_ten", "Trần Thị Bình", "Trần Thị Bình", 0.55, (300, 1600, 900, 80), True),
    ("ngay_dang_ky", "1994-04-02", "02/04/1994", 0.9, (300, 1800, 700, 80), False),
]


@dataclass
class Seeded:
    """Ids and keys the tests look at."""

    page_id: int
    record_a: int
    record_b: int
    key_a: str
    users: dict[str, int]


@cache
def _migrated_template() -> bytes:
    """An empty database brought up by the migrations (once per test run)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.db"
        upgrade_db(f"sqlite:///{path}")
        return path.read_bytes()


@cache
def password_hash() -> str:
    """Argon2 is slow on purpose: hash the test password once per run."""
    return hash_password(PASSWORD)


def make_sessions(tmp: Path) -> sessionmaker[Session]:
    """A fresh SQLite database with the migrated schema (a copy of one migrated file)."""
    path = tmp / "ui.db"
    path.write_bytes(_migrated_template())
    return make_sessionmaker(make_engine(f"sqlite:///{path}"))


def add_users(sessions: sessionmaker[Session], names: dict[str, str]) -> dict[str, int]:
    """Users by name → role, all with :data:`PASSWORD`."""
    with sessions.begin() as s:
        rows = {
            n: User(username=n, role=r, password_hash=password_hash()) for n, r in names.items()
        }
        s.add_all(rows.values())
        s.flush()
        return {n: u.id for n, u in rows.items()}


def preview_png() -> bytes:
    """A 1200×1700 page with a dark bar where each field is (half of the cleaned size)."""
    im = Image.new("L", (1200, 1700), 255)
    draw = ImageDraw.Draw(im)
    for _, _, _, _, (x, y, w, h), _ in FIELDS_A + FIELDS_B:
        draw.rectangle([x // 2, y // 2, (x + w) // 2, (y + h) // 2], outline=0, width=2)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _record(page_id: int, idx: int, fields: list, created: datetime) -> RecordRow:  # type: ignore[type-arg]
    return RecordRow(
        page_id=page_id,
        entry_index=idx,
        schema_name="khai_sinh",
        schema_version="1",
        phase="phase-5",
        formation_year=1994,
        phase_source="record",
        status="needs_review",
        object_key=f"{PREFIX}/records/p00001-e{idx:02d}.v1.json",
        created_at=created,
        fields=[
            FieldRow(
                name=n, value=v, raw=r, confidence=c, bbox=list(b), needs_review=nr, provenance=[]
            )
            for n, v, r, c, b, nr in fields
        ],
    )


def seed(sessions: sessionmaker[Session], store) -> Seeded:  # type: ignore[no-untyped-def]
    """One book, one page with a stored preview, two records waiting for review, four users."""
    preview_key = f"{PREFIX}/previews/p00001.png"
    store.put_bytes(preview_key, preview_png(), content_type="image/png")
    now = datetime.now(UTC)
    with sessions.begin() as s:
        batch = Batch(
            agency="001.02.03",
            book_type="khai_sinh",
            book="02/1994",
            year_from=1994,
            year_to=1994,
            source="/seed",
        )
        s.add(batch)
        s.flush()
        page = Page(
            batch_id=batch.id,
            seq=1,
            source_name="p1.png",
            source_sha256="0" * 64,
            phase="phase-5",
            status="processed",
            kind="so_khai_sinh",  # a register page: its two records are its lines
            master_key=f"{PREFIX}/masters/{'0' * 64}.png",
            preview_key=preview_key,
            preview_scale=0.5,
        )
        s.add(page)
        s.flush()
        a = _record(page.id, 0, FIELDS_A, now - timedelta(days=3))
        b = _record(page.id, 1, FIELDS_B, now - timedelta(days=1))
        s.add_all([a, b])
        s.flush()
        ids = (page.id, a.id, b.id, a.object_key)
    for rec_fields, key in ((FIELDS_A, ids[3]), (FIELDS_B, ids[3].replace("e00", "e01"))):
        doc = {
            "schema": "khai_sinh",
            "version": 1,
            "status": "needs_review",
            "fields": {
                n: {"value": v, "raw": r, "confidence": c, "bbox": list(b), "needs_review": nr}
                for n, v, r, c, b, nr in rec_fields
            },
        }
        store.put_bytes(key, json.dumps(doc).encode(), content_type="application/json")
    users = add_users(sessions, {role + "1": role for role in ROLES})
    return Seeded(ids[0], ids[1], ids[2], ids[3], {r: users[r + "1"] for r in ROLES})


def make_config(sessions: sessionmaker[Session], store) -> WebConfig:  # type: ignore[no-untyped-def]
    """The app configuration the tests use."""
    return WebConfig(sessions=sessions, store=store, plan=load_plan(), secret=SECRET)
