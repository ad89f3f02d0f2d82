"""Per-book manifests: every object of a book with its SHA-256 and size.

A manifest lives at ``<phase>/<agency>/<book-type>/<book>/manifest.json`` and is
rewritten after each batch and each ``sohoa verify``. Its content depends only on
the objects it lists (no timestamp), so rewriting an unchanged book stores
nothing new. Entries come from the store's own metadata (``stat``), i.e. what
was verified at write time, for the keys the database refers to.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.verify import MANIFEST_NAME, book_prefix_of, expected_objects
from pipeline.db.models import Page
from pipeline.ports import ObjectStore

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "sohoa-manifest/1"


def build_manifest(prefix: str, entries: list[dict[str, object]]) -> bytes:
    """Serialise one book's manifest (sorted, deterministic)."""
    objects = sorted(entries, key=lambda e: str(e["key"]))
    doc = {
        "format": MANIFEST_FORMAT,
        "book": prefix,
        "count": len(objects),
        "bytes": sum(int(str(e["size"])) for e in objects),
        "objects": objects,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def write_manifests(
    sessions: sessionmaker[Session], store: ObjectStore, *, prefixes: set[str] | None = None
) -> list[str]:
    """Rewrite the manifest of every book (or of ``prefixes``); return the manifest keys.

    Objects the database names but the store lacks are left out (``sohoa verify``
    reports them); objects without a SHA-256 in their metadata likewise.
    """
    by_book: dict[str, list[dict[str, object]]] = defaultdict(list)
    for key, exp in expected_objects(sessions).items():
        prefix = book_prefix_of(key)
        if prefix is None or exp.role == "manifest" or (prefixes and prefix not in prefixes):
            continue
        stat = store.stat(key)
        if stat is None or not stat.sha256:
            continue
        by_book[prefix].append(
            {"key": key, "role": exp.role, "sha256": stat.sha256, "size": stat.size}
        )
    written = []
    for prefix, entries in sorted(by_book.items()):
        key = f"{prefix}/{MANIFEST_NAME}"
        store.put_bytes(key, build_manifest(prefix, entries), content_type="application/json")
        written.append(key)
    log.info("wrote %d manifest(s)", len(written))
    return written


def write_batch_manifests(
    sessions: sessionmaker[Session], store: ObjectStore, batch_id: int
) -> list[str]:
    """Rewrite the manifests of the books a batch wrote into (any phase)."""
    with sessions() as s:
        keys = [
            k
            for p in s.scalars(select(Page).where(Page.batch_id == batch_id))
            for k in (p.master_key, p.ocr_text_key)
            if k
        ]
    prefixes = {p for k in keys if (p := book_prefix_of(k))}
    return write_manifests(sessions, store, prefixes=prefixes) if prefixes else []
