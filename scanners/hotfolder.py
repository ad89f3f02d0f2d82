"""Hot folder: pick up files a scanner (or a person) drops into a folder.

Layout of the watched folder ``ROOT``::

    ROOT/<batch>/manifest.json + files   one sub-folder per batch; the manifest names the book
    ROOT/<files>                         loose files; a separator sheet starts each book
    ROOT/done/   originals whose copies are stored in object storage and verified
    ROOT/failed/ files that could not be taken, each with ``<name>.reason.txt`` beside it

A file is read only after its size and modification time have stopped changing for
``settle`` seconds (a scanner or an SMB copy may still be writing it). Temporary, hidden
and system files are left where they are, each with its reason in :attr:`HotFolder.skipped`;
a link that leads out of its folder is never opened: it goes to ``failed/`` with a reason.
Two ways to notice files: watchdog's native events (local disks) plus a periodic rescan,
or polling alone (``poll=True``: SMB/NFS shares, where change events are not delivered
reliably).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import DEFAULT_PAGE_MEMORY_MB
from pipeline.errors import BadInputError
from pipeline.imaging.io import SKIP_REASONS, Skipped, leaves_folder, load_page, read_source
from pipeline.intake.capture import MANIFEST, BatchFolder, CaptureError, book_slug
from pipeline.intake.separator import find_separator
from pipeline.ports import DroppedFile
from schemas.models import BookMeta

log = logging.getLogger(__name__)

DONE, FAILED, STATE = "done", "failed", ".sohoa-hotfolder.json"
#: group of dropped files refused unopened (links out of their folder): they go to failed/
REFUSED = "refused"
BATCH_MANIFESTS = ("manifest.json", "sohoa.json")
IGNORED_DIRS = {DONE, FAILED, "@eadir", "#recycle", "$recycle.bin", "system volume information"}
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "manifest.json", "sohoa.json"}
#: the hot folder's own files beside the pages, never reported as skipped
OWN_NAMES = {STATE, *BATCH_MANIFESTS}
TEMP_SUFFIXES = {
    ".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".filepart",
    ".swp", ".lock", ".!sync", ".reason.txt", ".txt", ".json", ".md",
}  # fmt: skip


def is_ignored(path: Path) -> bool:
    """Temporary, hidden and system files that must never be taken."""
    name = path.name.lower()
    if name in IGNORED_NAMES or name.startswith((".", "~", "._")) or name.endswith("~"):
        return True
    return any(name.endswith(s) for s in TEMP_SUFFIXES)


def skip_reason(path: Path, folder: Path) -> str | None:
    """Why an entry of a watched folder is not taken (a ``SKIP_REASONS`` key), or None.

    Sub-folders and the folder's own files (manifests, state) are not entries to report:
    they return None too, as do page files; :meth:`HotFolder.acquire` tells them apart.
    """
    if leaves_folder(path, folder):
        return "link_outside"  # checked first: nothing behind such a link is ever opened
    name = path.name.lower()
    if path.is_dir() or name in OWN_NAMES:
        return None
    if name in IGNORED_NAMES:
        return "system"
    if name.startswith((".", "._")):
        return "hidden"
    if is_ignored(path):
        return "temporary"
    if not path.is_file():
        return "not_a_file"
    return None


def read_batch_manifest(folder: Path) -> BookMeta | None:
    """Book facts of a batch sub-folder (``book_type, agency, book, years``), or None."""
    for name in BATCH_MANIFESTS:
        path = folder / name
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        years = str(data.get("years", data.get("year_from", "")))
        y0, _, y1 = years.partition("-")
        return BookMeta(
            book_type=data["book_type"],
            agency=str(data["agency"]),
            book=str(data["book"]),
            year_from=int(data.get("year_from", y0)),
            year_to=int(data.get("year_to", y1 or y0)),
        )
    return None


@dataclass
class _Watch:
    size: int
    mtime_ns: int
    since: float


def separator_in(path: Path, *, memory_mb: int = DEFAULT_PAGE_MEMORY_MB) -> BookMeta | None:
    """Book facts when the file's first page (decoded within ``memory_mb``) is a separator."""
    try:
        src, data = read_source(path)
        page = load_page(data, src.kind, 0, pdf_dpi=150, name=path.name, memory_mb=memory_mb)
    except BadInputError:
        return None
    return find_separator(page)


class HotFolder:
    """A watched folder as a :class:`~pipeline.ports.PageSource` of dropped files."""

    def __init__(
        self,
        root: Path,
        *,
        settle: float = 2.0,
        default_meta: BookMeta | None = None,
        clock: Callable[[], float] = time.monotonic,
        page_memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
    ) -> None:
        self.root = root
        self.settle = settle
        self.default_meta = default_meta
        self.page_memory_mb = page_memory_mb  # SOHOA_PAGE_MEMORY_MB, read by the caller
        self._clock = clock
        self._watch: dict[Path, _Watch] = {}
        self._skipped: dict[Path, Skipped] = {}
        self._pass_skipped: dict[Path, Skipped] = {}

    def describe(self) -> str:
        """The folder."""
        return f"thư mục {self.root}"

    # ------------------------------------------------------------------ stability
    def _stable(self, path: Path, now: float) -> bool:
        try:
            st = path.stat()
        except OSError:
            self._watch.pop(path, None)
            return False
        seen = self._watch.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
            self._watch[path] = _Watch(st.st_size, st.st_mtime_ns, now)
            return False
        if now - seen.since < self.settle or st.st_size == 0:
            return False
        try:
            with path.open("rb") as f:  # a writer holding an exclusive lock (Windows) fails here
                f.read(1)
        except OSError:
            return False
        return True

    def _candidates(self, folder: Path) -> list[Path]:
        taken, _refused = self._entries(folder)
        return [p for p in taken if p.is_file()]

    def _entries(self, folder: Path) -> tuple[list[Path], list[Path]]:
        """Entries that may be taken and links out of the folder; note the ones left out."""
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            log.warning("cannot list a watched folder: %s", exc.strerror)
            return [], []
        taken, refused = [], []
        for p in entries:
            reason = skip_reason(p, folder)
            if reason == "link_outside":
                refused.append(p)
            elif reason is None:
                taken.append(p)
            else:
                self._pass_skipped[p] = Skipped(p, reason, SKIP_REASONS[reason])
        return [p for p in taken if not is_ignored(p)], refused

    def _refused(self, folder: Path) -> list[DroppedFile]:
        """Links out of ``folder``: dropped files that can only fail, with the reason."""
        message = SKIP_REASONS["link_outside"]
        _taken, refused = self._entries(folder)
        return [DroppedFile(p, REFUSED, None, f"{p.name}: {message}") for p in refused]

    @property
    def skipped(self) -> list[Skipped]:
        """Files left in the folder at the last pass (hidden, temporary, …), with reasons."""
        return list(self._skipped.values())

    def _end_pass(self) -> None:
        new = [s for p, s in self._pass_skipped.items() if p not in self._skipped]
        for reason, count in Counter(s.reason for s in new).items():
            log.info("hot folder: %d file(s) not taken (%s)", count, reason)
        self._skipped, self._pass_skipped = self._pass_skipped, {}

    # ------------------------------------------------------------------ state
    def _state(self) -> dict:
        try:
            return json.loads((self.root / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _set_current(self, meta: BookMeta) -> None:
        state = {**self._state(), "current": meta.model_dump(mode="json")}
        (self.root / STATE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    def current_book(self) -> BookMeta | None:
        """The book of loose files: the last separator sheet, else the default."""
        current = self._state().get("current")
        return BookMeta.model_validate(current) if current else self.default_meta

    # ------------------------------------------------------------------ acquire
    def acquire(self) -> Iterator[DroppedFile]:
        """One pass: every file that has settled, with its batch group and book.

        Links that lead out of their folder come first, as files to fail (never opened).
        """
        now = self._clock()
        self._pass_skipped = {}
        for sub in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if sub.name.lower() in IGNORED_DIRS or sub.name.startswith("."):
                continue
            if leaves_folder(sub, self.root):
                continue  # a linked-in folder is not looked into
            yield from self._refused(sub)
            files = self._candidates(sub)
            try:
                meta = read_batch_manifest(sub)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                problem = f"manifest.json của thư mục {sub.name} không đọc được: {exc}"
                settled = [p for p in files if self._stable(p, now)]
                yield from (DroppedFile(p, sub.name, None, problem) for p in settled)
                continue
            if meta is not None:
                # a batch sub-folder is taken whole, once all of it has settled
                if files and all([self._stable(p, now) for p in files]):
                    yield from (DroppedFile(p, sub.name, meta) for p in files)
                continue
            yield from self._loose(files, now, group_prefix=sub.name + "/")
        yield from self._refused(self.root)
        yield from self._loose(self._candidates(self.root), now, group_prefix="")
        self._end_pass()

    def _loose(self, files: list[Path], now: float, *, group_prefix: str) -> Iterator[DroppedFile]:
        stable = [self._stable(p, now) for p in files]  # look at every file each pass
        for path, settled in zip(files, stable, strict=True):
            if not settled:
                return  # keep the order: later files wait for earlier ones
            sheet = separator_in(path, memory_mb=self.page_memory_mb)
            if sheet is not None:
                self._set_current(sheet)
                log.info("separator sheet: a new book starts")
                yield DroppedFile(path, "separator", sheet)
                continue
            meta = self.current_book()
            group = group_prefix + (_book_group(meta) if meta else "unknown")
            yield DroppedFile(path, group, meta)

    # ------------------------------------------------------------------ settle
    def _target(self, path: Path, area: str) -> Path:
        rel = path.relative_to(self.root)
        target = self.root / area / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        n = 1
        while target.exists():
            target = target.with_name(f"{rel.stem}-{n}{rel.suffix}")
            n += 1
        return target

    def done(self, path: Path) -> Path:
        """Move an original whose copy is stored and verified to ``done/``."""
        target = self._target(path, DONE)
        shutil.move(path, target)
        self._watch.pop(path, None)
        self._tidy(path.parent, DONE)
        return target

    def failed(self, path: Path, reason: str) -> Path:
        """Move a file that cannot be taken to ``failed/`` with a reason file beside it."""
        target = self._target(path, FAILED)
        shutil.move(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        self._watch.pop(path, None)
        self._tidy(path.parent, FAILED)
        return target

    def _tidy(self, folder: Path, area: str) -> None:
        """Once a batch sub-folder is empty, move its manifest along and remove it."""
        if folder == self.root or self._candidates(folder):
            return
        for name in BATCH_MANIFESTS:
            if (folder / name).exists():
                shutil.move(folder / name, self._target(folder / name, area))
        try:
            folder.rmdir()
        except OSError:
            pass

    # ------------------------------------------------------------------ loop
    def run(
        self,
        handle: Callable[[list[DroppedFile]], None],
        *,
        poll: bool = False,
        interval: float = 2.0,
        stop: threading.Event | None = None,
        once: bool = False,
    ) -> None:
        """Watch until ``stop`` is set; hand each pass's settled files to ``handle``.

        With ``once``, return as soon as a pass finds nothing and no file is settling.
        """
        stop = stop or threading.Event()
        wake = threading.Event()
        observer = None if poll else _start_observer(self.root, wake)
        try:
            while not stop.is_set():
                found = list(self.acquire())
                if found:
                    handle(found)
                    continue
                if once and not any(p.exists() for p in self._watch):
                    return
                # unsettled files are looked at again after the settle time
                delay = min(interval, self.settle / 2) if self._watch else interval
                wake.wait(delay)
                wake.clear()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)


def _book_group(meta: BookMeta) -> str:
    return book_slug(meta)


def _start_observer(root: Path, wake: threading.Event) -> object:
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class _Wake(FileSystemEventHandler):
        def on_any_event(self, event: object) -> None:
            wake.set()

    observer = Observer()
    observer.schedule(_Wake(), str(root), recursive=True)
    observer.start()
    return observer


NO_BOOK = (
    "Không biết tệp thuộc quyển sổ nào: thả vào thư mục con có manifest.json, đặt tờ phân "
    "cách (sohoa separator) trước trang đầu, hoặc chạy lệnh theo dõi với --book-type/--agency/"
    "--book/--years."
)
#: What a batch ingest returns: for each SHA-256 copied, None when its master is stored
#: and verified, else the reason (Vietnamese) it is not.
IngestFn = Callable[[Path, BookMeta], dict[str, str | None]]


@dataclass
class TakeReport:
    """What one pass did."""

    done: int = 0
    failed: int = 0
    separators: int = 0
    batches: list[Path] = field(default_factory=list)


def take(
    hot: HotFolder,
    found: list[DroppedFile],
    *,
    batches: Path,
    ingest: IngestFn,
    known: Callable[[str], str | None] = lambda _sha: None,
) -> TakeReport:
    """Copy settled files into batch folders, ingest them, then move the originals.

    An original goes to ``done/`` only when ingest reports its copy stored in object
    storage and verified; otherwise to ``failed/`` with the reason. ``known(sha256)``
    describes an earlier copy of the same bytes (a duplicate), or returns None.
    """
    report = TakeReport()
    groups: dict[str, list[DroppedFile]] = {}
    for d in found:
        if d.group == "separator":
            hot.done(d.path)
            report.separators += 1
        else:
            groups.setdefault(d.group, []).append(d)
    for group, items in groups.items():
        meta = items[0].meta
        if meta is None:
            for d in items:
                hot.failed(d.path, d.problem or NO_BOOK)
                report.failed += 1
            continue
        folder = _batch_folder(batches, group, meta, hot)
        copied = _copy_in(hot, folder, items, known, report)
        if not copied:
            continue
        report.batches.append(folder.path)
        results = ingest(folder.path, meta)
        for d, sha in copied:
            reason = results.get(sha, "Chưa lưu được bản gốc vào kho lưu trữ")
            if reason is None:
                hot.done(d.path)
                report.done += 1
            else:
                hot.failed(d.path, reason)
                report.failed += 1
    return report


def _batch_folder(batches: Path, group: str, meta: BookMeta, hot: HotFolder) -> BatchFolder:
    name = "hot-" + book_slug(meta) + "-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", group).strip("-")
    path = batches / name
    if (path / MANIFEST).exists():
        return BatchFolder.open(path)
    return BatchFolder.create(path, meta, source=hot.describe())


def _copy_in(
    hot: HotFolder,
    folder: BatchFolder,
    items: list[DroppedFile],
    known: Callable[[str], str | None],
    report: TakeReport,
) -> list[tuple[DroppedFile, str]]:
    copied = []
    for d in items:
        try:
            src, _data = read_source(d.path)
        except BadInputError as exc:
            hot.failed(d.path, exc.message_vi)
            report.failed += 1
            continue
        if folder.known(src.sha256) is None:
            earlier = known(src.sha256)
            if earlier:
                hot.failed(d.path, f"Trùng nội dung (SHA-256) với {earlier}")
                report.failed += 1
                continue
            try:
                folder.add_file(d.path, src.sha256)
            except CaptureError as exc:
                hot.failed(d.path, exc.message_vi)
                report.failed += 1
                continue
        copied.append((d, src.sha256))
    return copied
