"""Server time of the review queue and the record view on a large SQLite database.

Seeds (once, cached by size) a database through the migrations and bulk inserts, then times
requests through the ASGI app in-process (no network), and prints p50/p95 per route.
Target (issue #6): p95 <= 150 ms with 100 000 records and 1 000 000 fields.

    python -m bench.ui [--records 100000] [--fields 10] [--requests 200]
    sohoa bench-ui
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.db.migrate import upgrade_db
from pipeline.review.accounts import hash_password
from schemas.models import BIRTH_FIELDS

PASSWORD = "bench-mat-khau-dai"
AGENCIES = [f"001.{i:02d}.{j:02d}" for i in range(1, 11) for j in range(1, 6)]
PHASES = ["phase-2", "phase-3", "phase-4", "phase-5"]
#: the fields of a birth registration, in schema order (a record takes the first N)
FIELD_NAMES = list(BIRTH_FIELDS)
VALUES = {
    "ho_ten": "Nguyễn Văn An",
    "ngay_sinh": "1994-03-05",
    "dan_toc": "Kinh",
    "noi_sinh": "xã Tân Lập, huyện Đan Phượng, Hà Tây",
    "ngay_dang_ky": "1994-03-20",
}


def seed(path: Path, *, records: int, fields_per_record: int, pages_per_book: int = 200) -> None:
    """Create and fill the database at ``path`` (bulk inserts in one transaction)."""
    upgrade_db(f"sqlite:///{path}")
    rnd = random.Random(6)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    start = datetime.now(UTC) - timedelta(days=60)
    per_page = 2
    n_pages = (records + per_page - 1) // per_page
    n_books = (n_pages + pages_per_book - 1) // pages_per_book
    with con:
        con.execute(
            "INSERT INTO users (id, username, role, password_hash, active, created_at) "
            "VALUES (1, 'clerk', 'clerk', ?, 1, ?)",
            (hash_password(PASSWORD), start.isoformat()),
        )
        _seed_books(con, n_books, start)
        _seed_pages(con, n_pages, pages_per_book, start)
        _seed_records(con, records, (per_page, pages_per_book), start, rnd)
        _seed_fields(con, records, FIELD_NAMES[:fields_per_record], rnd)
    con.execute("ANALYZE")
    con.close()


def _seed_books(con: sqlite3.Connection, n_books: int, start: datetime) -> None:
    con.executemany(
        "INSERT INTO batches (id, agency, book_type, book, year_from, year_to, source, "
        "status, created_at) VALUES (?, ?, 'khai_sinh', ?, ?, ?, ?, 'open', ?)",
        [
            (
                b + 1,
                AGENCIES[b % len(AGENCIES)],
                f"{b:03d}/{1990 + b % 30}",
                1990 + b % 30,
                1990 + b % 30,
                f"/scan/{b}",
                start.isoformat(),
            )
            for b in range(n_books)
        ],
    )


def _seed_pages(con: sqlite3.Connection, n_pages: int, per_book: int, start: datetime) -> None:
    con.executemany(
        "INSERT INTO pages (id, batch_id, seq, source_name, source_sha256, page_index, size, "
        "phase, status, created_at, updated_at, preview_key, preview_scale) "
        "VALUES (?, ?, ?, ?, ?, 0, 0, ?, 'processed', ?, ?, ?, 0.5)",
        [
            (
                p + 1,
                p // per_book + 1,
                p % per_book + 1,
                f"p{p}.png",
                f"{p:064x}",
                PHASES[(p // per_book) % 4],
                start.isoformat(),
                start.isoformat(),
                f"previews/p{p}.png",
            )
            for p in range(n_pages)
        ],
    )


def _seed_records(
    con: sqlite3.Connection,
    records: int,
    sizes: tuple[int, int],
    start: datetime,
    rnd: random.Random,
) -> None:
    per_page, per_book = sizes
    statuses = ("needs_review", "needs_review", "auto_accepted", "approved")
    con.executemany(
        "INSERT INTO records (id, page_id, entry_index, schema_name, schema_version, phase, "
        "formation_year, phase_source, status, object_key, created_at, version) "
        "VALUES (?, ?, ?, 'khai_sinh', '1', ?, 1994, 'record', ?, ?, ?, 1)",
        [
            (
                r + 1,
                r // per_page + 1,
                r % per_page,
                PHASES[(r // per_page // per_book) % 4],
                statuses[rnd.randrange(4)],
                f"records/r{r}.v1.json",
                (start + timedelta(seconds=30 * r)).isoformat(),
            )
            for r in range(records)
        ],
    )


def _seed_fields(
    con: sqlite3.Connection, records: int, names: list[str], rnd: random.Random
) -> None:
    con.executemany(
        "INSERT INTO fields (record_id, name, value, raw, confidence, bbox, needs_review, "
        "provenance) VALUES (?, ?, ?, ?, ?, '[100, 200, 600, 60]', ?, '[]')",
        (
            (r + 1, n, VALUES.get(n, "12"), VALUES.get(n, "12"), 0.9, int(rnd.random() < 0.15))
            for r in range(records)
            for n in names
        ),
    )


class _Store:
    """Every preview key reads as one page-sized preview PNG (approval is not timed)."""

    _png: bytes | None = None

    def get_bytes(self, key: str) -> bytes:
        if _Store._png is None:
            import io

            from PIL import Image, ImageDraw

            im = Image.new("L", (1131, 1600), 250)
            draw = ImageDraw.Draw(im)
            for i in range(40):
                draw.text((80, 60 + 36 * i), f"Ho, chu dem, ten: NGUYEN VAN {i:03d}", fill=20)
            buf = io.BytesIO()
            im.save(buf, format="PNG")
            _Store._png = buf.getvalue()
        return _Store._png


def _time(client, urls: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for url in urls:
        t = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {r.status_code}")
    return out


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_ui_bench(
    path: Path, *, records: int = 100_000, fields_per_record: int = 10, requests: int = 200
) -> str:
    """Seed (unless ``path`` exists), time the routes, return a small text report."""
    import re

    from fastapi.testclient import TestClient

    from pipeline.db.models import make_engine, make_sessionmaker
    from pipeline.phases import load_plan
    from review_ui.app import _warm_up, create_app
    from review_ui.security import WebConfig

    path.parent.mkdir(parents=True, exist_ok=True)
    seeded = ""
    if path.exists():
        upgrade_db(f"sqlite:///{path}")  # a database seeded before newer migrations
    else:
        t = time.perf_counter()
        seed(path, records=records, fields_per_record=fields_per_record)
        seeded = f"seeded in {time.perf_counter() - t:.1f} s; "
    sessions = make_sessionmaker(make_engine(f"sqlite:///{path}"))
    cfg = WebConfig(sessions=sessions, store=_Store(), plan=load_plan(), secret="b" * 48)  # type: ignore[arg-type]
    _warm_up()
    client = TestClient(create_app(cfg, warm_up=False))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]  # type: ignore[index]
    client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    rnd = random.Random(1)
    queue_urls = [
        rnd.choice(
            [
                "/review",
                "/review?phase=phase-3",
                f"/review?agency={rnd.choice(AGENCIES)}",
                f"/review?p={rnd.randrange(20)}",
                "/review?phase=phase-4&book=007/1997",
            ]
        )
        for _ in range(requests)
    ]
    record_urls = [f"/records/{rnd.randrange(1, records + 1)}" for _ in range(requests)]
    _time(client, queue_urls[:5] + record_urls[:5])  # warm caches
    lines = [
        f"bench-ui: {records} records, {records * fields_per_record} fields ({path.name}); "
        f"{seeded}{requests} requests per route"
    ]
    for name, urls in (("queue", queue_urls), ("record view", record_urls)):
        ms = _time(client, urls)
        lines.append(
            f"  {name:12s} p50 {_pct(ms, 50):6.1f} ms   p95 {_pct(ms, 95):6.1f} ms   "
            f"max {max(ms):6.1f} ms   (target p95 <= 150 ms)"
        )
    return "\n".join(lines)


def measure_first_paint(path: Path, *, records: int, pages: int = 20) -> str:
    """First contentful paint of the record view in headless chromium (Debian's), p50/p95.

    The app runs under uvicorn on 127.0.0.1 with the seeded database; the clerk logs in
    through the form, then opens ``pages`` random records, each in a fresh navigation.
    """
    from bench.browser import serving
    from pipeline.db.models import make_engine, make_sessionmaker
    from pipeline.phases import load_plan
    from review_ui.app import create_app
    from review_ui.security import WebConfig

    sessions = make_sessionmaker(make_engine(f"sqlite:///{path}"))
    cfg = WebConfig(sessions=sessions, store=_Store(), plan=load_plan(), secret="b" * 48)  # type: ignore[arg-type]
    with serving(create_app(cfg)) as base:
        paints = _record_paints(base, records=records, pages=pages)
    if not paints:
        return "  record view first paint: not measured (no paint entries)"
    paints.sort()
    p95 = paints[min(len(paints) - 1, round(0.95 * (len(paints) - 1)))]
    return (
        f"  record view first contentful paint (chromium, {len(paints)} pages): "
        f"p50 {statistics.median(paints):6.0f} ms   p95 {p95:6.0f} ms   (target < 1000 ms)"
    )


def _record_paints(base: str, *, records: int, pages: int) -> list[float]:
    """Log in as the clerk, open ``pages`` random records: their first contentful paints."""
    import random as _random

    from playwright.sync_api import sync_playwright

    from bench.browser import CHROMIUM, CHROMIUM_ARGS

    paints: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state("load")
        rnd = _random.Random(2)
        for _ in range(pages):
            page.goto(f"{base}/records/{rnd.randrange(1, records + 1)}", wait_until="load")
            fcp = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime"
            )
            if fcp is not None:
                paints.append(float(fcp))
        browser.close()
    return paints


def main() -> None:
    """Command-line entry point (``python -m bench.ui``)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--fields", type=int, default=10)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--db", type=Path, default=None, help="SQLite file (kept for reruns)")
    ap.add_argument(
        "--paint", action="store_true", help="also time first paint in headless chromium"
    )
    a = ap.parse_args()
    db = a.db or Path(tempfile.gettempdir()) / f"sohoa-bench-ui-{a.records}x{a.fields}.db"
    print(run_ui_bench(db, records=a.records, fields_per_record=a.fields, requests=a.requests))
    if a.paint:
        print(measure_first_paint(db, records=a.records))


if __name__ == "__main__":
    main()
