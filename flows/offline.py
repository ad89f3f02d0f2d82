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

from flows.wiring import second_reader
from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.documents import PageInfo, TableShape, group_pages
from pipeline.errors import SohoaError
from pipeline.extract.calibration import packaged
from pipeline.extract.decree30 import ends_document, has_header, is_annex
from pipeline.imaging.io import SKIP_REASONS, Skipped, load_page, read_source, scan_folder
from pipeline.process import process_image
from schemas.models import BookMeta

log = logging.getLogger(__name__)
err = Console(stderr=True)


@dataclass(frozen=True)
class Job:
    """One input file and the stem of its JSON (``OUT/<stem>.json``, ``<stem>-p0001.json``).

    ``names`` holds the page JSON names decided up front for an input whose page names
    could meet another input's (see :func:`page_names`); empty: the usual names.
    """

    path: Path
    stem: str
    names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the input: its file name, or its path when names are shared."""
        return self.path.name if self.stem == self.path.stem else str(self.path)

    def page_name(self, index: int, pages: int) -> str:
        """The JSON name (without ``.json``) of page ``index`` of ``pages``."""
        if len(self.names) == pages:
            return self.names[index]
        return natural_names(self.stem, pages)[index]


def print_skipped(entry: Skipped) -> None:
    """Tell the operator a folder entry was not read, and why."""
    colour = "red" if entry.refused else "yellow"
    err.print(f"[{colour}]Bỏ qua {entry.path}: {entry.message_vi}[/]")


def _same_file_key(path: Path) -> Path:
    """One key per file however it is spelled or linked to."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: its spelling is all there is
        return Path.cwd() / path


def count_input_pages(path: Path) -> int:
    """Pages of an input file; 1 when it cannot be read (processing reports why)."""
    try:
        return read_source(path)[0].pages
    except SohoaError:
        return 1


def expand_inputs(
    paths: list[Path],
    *,
    on_skip: Callable[[Skipped], None] = print_skipped,
    count_pages: Callable[[Path], int] = count_input_pages,
) -> list[Job]:
    """Files named, plus the page files of folders named, in order, each file once.

    Every entry of a folder that is not read (hidden, temporary, a link out of the
    folder, …), and every repeat of a file already listed (another spelling, a link to
    it), is handed to ``on_skip`` with its reason. ``count_pages`` is asked only about
    inputs whose page names could meet another input's.
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
            key = _same_file_key(f)
            if key in seen:
                on_skip(Skipped(f, "duplicate", SKIP_REASONS["duplicate"]))
                continue
            seen.add(key)
            files.append(f)
    stems = output_stems(files)
    risky = may_share_page_names(stems)
    pages = [count_pages(f) if i in risky else 1 for i, f in enumerate(files)]
    names = page_names([stems[i] for i in sorted(risky)], [pages[i] for i in sorted(risky)])
    fixed = dict(zip(sorted(risky), names, strict=True))
    return [
        Job(f, stem, tuple(fixed.get(i, ())))
        for i, (f, stem) in enumerate(zip(files, stems, strict=True))
    ]


def output_stems(paths: list[Path]) -> list[str]:
    """The stem of each input's JSON, never the same for two inputs (README, offline contract).

    An input keeps its stem (``a.jpg`` → ``a``) unless another input has the same stem
    (ignoring case); then both keep their extension (``a.jpg``, ``a.png``). Inputs with the
    same name in different folders are named by their path below the folder they share
    (``x/a.jpg``, ``y/a.jpg`` → ``x-a.jpg``, ``y-a.jpg``). The paths are different files.
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
            out[i] = "-".join(full.relative_to(common).parts) or paths[i].name
    return _numbered(out)


def _numbered(names: list[str]) -> list[str]:
    """Last resort (names that differ only in case, …): a repeat gets the first free ``-N``.

    A name made here is taken too, so it never meets a name further on.
    """
    taken = {n.casefold() for n in names}
    claimed: set[str] = set()
    out = []
    for name in names:
        if name.casefold() in claimed:
            n = 2
            while f"{name}-{n}".casefold() in taken:
                n += 1
            name = f"{name}-{n}"
            taken.add(name.casefold())
        claimed.add(name.casefold())
        out.append(name)
    return out


def natural_names(stem: str, pages: int) -> list[str]:
    """The JSON names of a file's pages: its stem, or ``<stem>-p0001``, … when it has several."""
    return [stem] if pages == 1 else [f"{stem}-p{i + 1:04d}" for i in range(pages)]


def may_share_page_names(stems: list[str]) -> set[int]:
    """Indexes of inputs whose page names could be another's (``scan`` and ``scan-p0001``).

    Page names of two different stems can only meet when one stem begins with the other
    followed by ``-p``; every other input keeps its usual names whatever its page count.
    """
    folded = [s.casefold() for s in stems]
    risky: set[int] = set()
    for i, a in enumerate(folded):
        for j, b in enumerate(folded):
            if i != j and b.startswith(a + "-p"):
                risky.update((i, j))
    return risky


def page_names(stems: list[str], pages: list[int]) -> list[list[str]]:
    """Every page's JSON name, no two the same (ignoring case); input order decides.

    Each page gets its usual name (:func:`natural_names`); when two pages would share one,
    the first in input order keeps it and the later gets the first free ``-N``.
    """
    flat = [name for stem, n in zip(stems, pages, strict=True) for name in natural_names(stem, n)]
    unique = iter(_numbered(flat))
    return [[next(unique) for _ in range(n)] for n in pages]


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
    pages: list[PageInfo | str] = []
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root, prefix="process-") as tmp:
        # named intermediates go beside the JSON when asked for, else to a scratch dir
        workdir = out / "intermediates" if options.keep_intermediates else Path(tmp)
        for index in range(src.pages):
            try:
                pages.append(
                    _process_page(job, src.kind, src.pages, data, index, out, workdir, options)
                )
            except SohoaError as exc:
                errors.append(exc.message_vi)
                pages.append(exc.message_vi)
            except Exception:  # noqa: BLE001 - one broken page must not stop the others
                log.exception("unexpected error on page %d of an input", index + 1)
                errors.append(f"Lỗi không mong đợi ở trang {index + 1} (xem nhật ký -v)")
                pages.append(errors[-1])
    if src.pages > 1:
        write_documents(job, pages, out)
    return job.label, "; ".join(errors)


def write_documents(job: Job, pages: list[PageInfo | str], out: Path) -> None:
    """``out/<stem>.json`` of a multi-page input: its documents, their records, its pages.

    The page files stay as they are; a page that failed is listed with its reason.
    """
    read = [p for p in pages if isinstance(p, PageInfo)]
    docs = group_pages(read)
    where = {p.number: i + 1 for i, d in enumerate(docs) for p in d.pages}
    listing = []
    for index, page in enumerate(pages):
        name = job.page_name(index, len(pages))
        row: dict[str, object] = {"page": index + 1, "file": f"{name}.json"}
        if isinstance(page, PageInfo):
            row.update(kind=page.kind, document=where.get(page.number))
        else:
            row["error"] = page
        listing.append(row)
    doc = {
        "source": str(job.path),
        "pages": listing,
        "documents": [d.contract(i + 1) for i, d in enumerate(docs)],
        "records": [r.contract() for d in docs for r in d.records],
    }
    (out / f"{job.stem}.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def _process_page(
    job: Job,
    kind: str,
    pages: int,
    data: bytes,
    index: int,
    out: Path,
    workdir: Path,
    options: ProcessOptions,
) -> PageInfo:
    stem = job.page_name(index, pages)
    image = load_page(data, kind, index, name=job.path.name, memory_mb=options.page_memory_mb)
    outcome = process_image(
        image,
        stem=stem,
        workdir=workdir,
        options=options,
        engine=TesseractEngine(),
        calibration=packaged(),
        second=second_reader(),
    )
    doc = outcome.result.contract()
    doc["source"] = str(job.path) if pages == 1 else f"{job.path}#page={index + 1}"
    (out / f"{stem}.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return PageInfo(
        number=index + 1,
        name=stem,
        kind=outcome.result.kind,
        records=outcome.result.records,
        header=has_header(outcome.ocr.page),
        ends=ends_document(outcome.ocr.page),
        annex=is_annex(outcome.ocr.page),
        table=TableShape.of_steps([s.model_dump() for s in outcome.result.provenance]),
    )


def grouping_line(job: Job, out: Path) -> str | None:
    """How a multi-page input's pages were grouped, for the operator; None for one page."""
    path = out / f"{job.stem}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if "documents" not in doc:
        return None
    spans = []
    for d in doc["documents"]:
        pages = d["pages"]
        span = f"trang {pages[0]}" + (f"–{pages[-1]}" if len(pages) > 1 else "")
        if "spread" in d:  # a register's left and right pages, entries joined
            span += f": trang trái + phải của sổ, {len(d['records'])} mục"
        spans.append(span)
    return f"{job.label}: {len(doc['pages'])} trang → {len(doc['documents'])} văn bản" + (
        f" ({'; '.join(spans)})" if spans else ""
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
