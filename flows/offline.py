"""Offline processing (``sohoa process``) and staging of the demo batches."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.errors import SohoaError
from pipeline.pageio import list_page_files, load_page, read_source
from pipeline.process import process_image
from schemas.models import BookMeta


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files named, plus the page files of folders named, in order, without repeats."""
    out: list[Path] = []
    for p in paths:
        found = list_page_files(p) if p.is_dir() else [p]
        out.extend(f for f in found if f not in out)
    return out


def process_one(path: Path, out: Path, options: ProcessOptions, work_root: Path) -> tuple[str, str]:
    """Process every page of one file into ``out/<stem>.json``; return (name, error or "")."""
    try:
        src, data = read_source(path)
        work_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=work_root, prefix="process-") as tmp:
            # named intermediates go beside the JSON when asked for, else to a scratch dir
            workdir = out / "intermediates" if options.keep_intermediates else Path(tmp)
            for index in range(src.pages):
                stem = path.stem if src.pages == 1 else f"{path.stem}-p{index + 1:04d}"
                image = load_page(data, src.kind, index, name=path.name)
                outcome = process_image(
                    image, stem=stem, workdir=workdir, options=options, engine=TesseractEngine()
                )
                doc = outcome.result.contract()
                doc["source"] = str(path) if src.pages == 1 else f"{path}#page={index + 1}"
                (out / f"{stem}.json").write_text(
                    json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
                )
    except SohoaError as exc:
        return path.name, exc.message_vi
    return path.name, ""


def stage_demo_batches(samples: Path, dest: Path) -> list[tuple[Path, BookMeta]]:
    """Copy the sample pages into one folder per demo batch (idempotent)."""
    spec = json.loads((samples / "demo_batches.json").read_text(encoding="utf-8"))
    staged = []
    for b in spec["batches"]:
        folder = dest / b["name"]
        folder.mkdir(parents=True, exist_ok=True)
        for name in b["files"]:
            target = folder / name
            if not target.exists():
                shutil.copy2(samples / name, target)
        meta = BookMeta(
            book_type=b["book_type"],
            agency=b["agency"],
            book=b["book"],
            year_from=b["years"][0],
            year_to=b["years"][-1],
        )
        staged.append((folder, meta))
    return staged
