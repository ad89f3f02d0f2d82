"""Offline processing (``sohoa process``) and staging of the demo batches."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.errors import SohoaError
from pipeline.imaging.io import Skipped, load_page, read_source, scan_folder
from pipeline.process import process_image
from schemas.models import BookMeta

log = logging.getLogger(__name__)
err = Console(stderr=True)


@dataclass(frozen=True)
class Job:
    """One input file and the stem of its JSON (``OUT/<stem>.json``)."""

    path: Path
    stem: str

    @property
    def label(self) -> str:
        """How messages name the input: its file name, or its path when names are shared."""
        return self.path.name if self.stem == self.path.stem else str(self.path)


def print_skipped(entry: Skipped) -> None:
    """Tell the operator a folder entry was not read, and why."""
    colour = "red" if entry.refused else "yellow"
    err.print(f"[{colour}]Bỏ qua {entry.path}: {entry.message_vi}[/]")


def expand_inputs(
    paths: list[Path], *, on_skip: Callable[[Skipped], None] = print_skipped
) -> list[Job]:
    """Files named, plus the page files of folders named, in order, without repeats.

    Every entry of a folder that is not read (hidden, temporary, a link out of the
    folder, …) is handed to ``on_skip`` with its reason.
    """
    files: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        if p.is_dir():
            scan = scan_folder(p)
            for entry in scan.skipped:
                on_skip(entry)
            found = scan.files
        else:
            found = [p]
        for f in found:
            key = Path.cwd() / f  # the same spelling twice, not links to one file
            if key not in seen:
                seen.add(key)
                files.append(f)
    return [Job(f, stem) for f, stem in zip(files, output_stems(files), strict=True)]


def output_stems(paths: list[Path]) -> list[str]:
    """The stem of each input's JSON, never the same for two inputs (README, offline contract).

    An input keeps its stem (``a.jpg`` → ``a``) unless another input has the same stem
    (ignoring case); then both keep their extension (``a.jpg``, ``a.png``). Inputs with the
    same name in different folders are named by their path below the folder they share
    (``x/a.jpg``, ``y/a.jpg`` → ``x-a.jpg``, ``y-a.jpg``).
    """
    stems = [p.stem for p in paths]
    shared = Counter(s.casefold() for s in stems)
    out = [p.name if shared[s.casefold()] > 1 else s for p, s in zip(paths, stems, strict=True)]
    shared = Counter(o.casefold() for o in out)
    groups: dict[str, list[int]] = {}
    for i, o in enumerate(out):
        if shared[o.casefold()] > 1:
            groups.setdefault(o.casefold(), []).append(i)
    for idx in groups.values():
        where = [paths[i].resolve() for i in idx]
        common = Path(os.path.commonpath(where))
        for i, full in zip(idx, where, strict=True):
            out[i] = "-".join(full.relative_to(common).parts)
    taken: Counter[str] = Counter()
    for i, o in enumerate(out):  # last resort (names that differ only in case, …): a number
        taken[o.casefold()] += 1
        if taken[o.casefold()] > 1:
            out[i] = f"{o}-{taken[o.casefold()]}"
    return out


def process_one(
    job: Job | Path, out: Path, options: ProcessOptions, work_root: Path
) -> tuple[str, str]:
    """Process every page of one file into ``out/<stem>.json``; return (name, errors or "").

    A page that fails is reported and the file's other pages go on.
    """
    job = job if isinstance(job, Job) else Job(job, job.stem)
    try:
        src, data = read_source(job.path)
    except SohoaError as exc:
        return job.label, exc.message_vi
    errors: list[str] = []
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root, prefix="process-") as tmp:
        # named intermediates go beside the JSON when asked for, else to a scratch dir
        workdir = out / "intermediates" if options.keep_intermediates else Path(tmp)
        for index in range(src.pages):
            try:
                _process_page(job, src.kind, src.pages, data, index, out, workdir, options)
            except SohoaError as exc:
                errors.append(exc.message_vi)
            except Exception:  # noqa: BLE001 - one broken page must not stop the others
                log.exception("unexpected error on page %d of an input", index + 1)
                errors.append(f"Lỗi không mong đợi ở trang {index + 1} (xem nhật ký -v)")
    return job.label, "; ".join(errors)


def _process_page(
    job: Job,
    kind: str,
    pages: int,
    data: bytes,
    index: int,
    out: Path,
    workdir: Path,
    options: ProcessOptions,
) -> None:
    stem = job.stem if pages == 1 else f"{job.stem}-p{index + 1:04d}"
    image = load_page(data, kind, index, name=job.path.name, memory_mb=options.page_memory_mb)
    outcome = process_image(
        image, stem=stem, workdir=workdir, options=options, engine=TesseractEngine()
    )
    doc = outcome.result.contract()
    doc["source"] = str(job.path) if pages == 1 else f"{job.path}#page={index + 1}"
    (out / f"{stem}.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
    )


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
