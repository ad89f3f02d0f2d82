"""SANE adapter against SANE's own ``test`` backend (a virtual scanner), plus the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pipeline.intake.capture import BatchFolder, CaptureError
from schemas.models import BookMeta

sane = pytest.importorskip("sane")

pytestmark = pytest.mark.sane
ROOT = Path(__file__).resolve().parents[1]
SMALL = {
    "br_x": 20.0,
    "br_y": 25.0,
    "test_picture": "Color pattern",
    "read_return_value": "Default",
}


@pytest.fixture(scope="module")
def sane_config(tmp_path_factory) -> Path:
    """A SANE config dir that enables only the ``test`` backend (set before sane.init)."""
    conf = Path("/etc/sane.d/test.conf")
    if not conf.exists():
        pytest.skip("SANE's test backend is not installed (libsane1)")
    d = tmp_path_factory.mktemp("sane")
    (d / "dll.conf").write_text("test\n", encoding="ascii")
    shutil.copy(conf, d / "test.conf")
    old = os.environ.get("SANE_CONFIG_DIR")
    os.environ["SANE_CONFIG_DIR"] = str(d)
    yield d
    if old is None:
        os.environ.pop("SANE_CONFIG_DIR", None)
    else:
        os.environ["SANE_CONFIG_DIR"] = old


def _meta() -> BookMeta:
    return BookMeta(
        book_type="khai_sinh", agency="001.02.03", book="02/1994", year_from=1994, year_to=1994
    )


def _source(sane_config, **kw):
    from scanners.sane_scanner import SaneOptions, SaneSource

    extra = {**SMALL, **kw.pop("extra", {})}
    hook = kw.pop("hook", None)
    return SaneSource(SaneOptions("test:0", extra=extra, **kw), next_page=hook)


def test_lists_the_virtual_devices(sane_config):
    from scanners.sane_scanner import device_options, list_devices

    names = [d["name"] for d in list_devices()]
    assert "test:0" in names
    opts = {o["name"]: o for o in device_options("test:0")}
    assert "Automatic Document Feeder" in opts["source"]["allowed"]


def test_adf_scans_until_the_feeder_is_empty_writing_each_page_at_once(sane_config, tmp_path):
    src = _source(sane_config, adf=True)
    folder = BatchFolder.create(tmp_path / "b", _meta(), source=src.describe())
    on_disk_before_next = []
    for page in src.acquire():
        entry = folder.add_scan(page, check=False)
        on_disk_before_next.append((tmp_path / "b" / entry.file).exists())
    folder.set_status("complete")
    pages = BatchFolder.open(tmp_path / "b").pages
    assert len(pages) == 10  # the test backend's feeder holds 10 sheets
    assert all(on_disk_before_next)
    with Image.open(tmp_path / "b" / pages[0].file) as im:
        assert im.mode == "RGB"
        assert round(im.info["dpi"][0]) == 300
        assert im.size == (round(20 / 25.4 * 300), round(25 / 25.4 * 300))
    assert [p.file for p in pages] == [f"p{i:05d}.tif" for i in range(1, 11)]


def test_max_pages_and_flatbed_hook(sane_config):
    asked = []

    def hook(n: int) -> bool:
        asked.append(n)
        return n < 2

    pages = list(_source(sane_config, hook=hook).acquire())
    assert len(pages) == 2 and asked == [1, 2]
    assert len(list(_source(sane_config, adf=True, max_pages=3).acquire())) == 3


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("SANE_STATUS_JAMMED", "paper_jam"),
        ("SANE_STATUS_IO_ERROR", "device_gone"),
        ("SANE_STATUS_COVER_OPEN", "cover_open"),
    ],
)
def test_fault_mid_batch_keeps_pages_and_the_batch_resumes(sane_config, tmp_path, status, reason):
    src = _source(sane_config, adf=True)
    folder = BatchFolder.create(tmp_path / "b", _meta(), source="test")
    with pytest.raises(CaptureError) as info:
        for page in src.acquire():
            folder.add_scan(page, check=False)
            if len(folder.pages) == 3:
                src.device.read_return_value = status  # the backend now fails the next read
    assert info.value.reason == reason
    assert info.value.message_vi
    folder.set_status("interrupted", reason=reason)
    again = BatchFolder.open(tmp_path / "b")
    assert again.status == "interrupted" and len(again.pages) == 3
    fixed = {"read_return_value": "Default"}  # the operator cleared the fault
    for page in _source(sane_config, adf=True, max_pages=2, extra=fixed).acquire():
        again.add_scan(page, check=False)
    assert [p.file for p in BatchFolder.open(tmp_path / "b").pages][-1] == "p00005.tif"


def test_busy_unknown_device_and_low_dpi(sane_config):
    from scanners.sane_scanner import SaneOptions, SaneSource

    busy = _source(sane_config, extra={"read_return_value": "SANE_STATUS_DEVICE_BUSY"})
    with pytest.raises(CaptureError) as info:
        list(busy.acquire())
    assert info.value.reason == "device_busy" and info.value.retryable
    with pytest.raises(CaptureError) as info:
        list(SaneSource(SaneOptions("test:9")).acquire())
    assert info.value.reason == "device_not_found"
    assert "test:0" in info.value.message_vi
    with pytest.raises(CaptureError) as info:
        SaneSource(SaneOptions("test:0", dpi=150))
    assert info.value.reason == "dpi_too_low"


def test_cli_scan_adf_then_refuses_a_second_scan_of_the_same_book(sane_config, tmp_path):
    env = {
        **os.environ,
        "SOHOA_HOME": str(tmp_path / "home"),
        "SANE_CONFIG_DIR": str(sane_config),
        "COLUMNS": "200",
    }
    args = [sys.executable, "-m", "flows.cli", "scan", "--device", "test:0", "--source", "adf"]
    args += ["--book-type", "khai_sinh", "--agency", "001.02.03", "--book", "02/1994"]
    args += ["--years", "1994", "--dpi", "200", "--max-pages", "4", "--no-process"]
    run = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Trang    4" in run.stdout
    manifest = tmp_path / "home" / "capture" / "001.02.03_khai_sinh_02-1994" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert len(data["pages"]) == 4 and data["status"] == "complete"
    assert all("flags" in p["quality"] and p["phash"] for p in data["pages"])
    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2
    assert "--resume" in again.stderr
    resumed = subprocess.run(
        [*args, "--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads(manifest.read_text(encoding="utf-8"))["pages"]) == 8


def _sigpipe_ignored() -> bool:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGPIPE - 1)))
    raise AssertionError("no SigIgn line")


def test_scanning_leaves_sigpipe_ignored(sane_config):
    """libsane resets SIGPIPE while scanning; a later write to a closed pipe must not kill us."""
    assert _sigpipe_ignored()
    pages = list(_source(sane_config, adf=True, max_pages=2).acquire())
    assert len(pages) == 2
    assert _sigpipe_ignored()
    r, w = os.pipe()
    os.close(r)
    with pytest.raises(BrokenPipeError):
        os.write(w, b"x")  # the process would die here if SIGPIPE had its default action
    os.close(w)
