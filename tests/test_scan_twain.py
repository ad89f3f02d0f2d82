"""TWAIN adapter with a fake data source (pytwain's surface; TWAIN itself is Windows-only)."""

from __future__ import annotations

import io
import sys
import types

import pytest
from PIL import Image

from pipeline.intake.capture import CaptureError
from pipeline.ports import PageSource
from scanners.twain_scanner import TwainOptions, TwainSource, load_twain


class TwainError(Exception):
    pass


class PaperJam(TwainError):
    pass


class FakeSource:
    def __init__(self, module, pages: int, jam_after: int | None, dpi: float) -> None:
        self.m, self.left, self.jam_after, self.dpi = module, pages, jam_after, dpi
        self.caps: dict[int, object] = {}
        self.sent = 0
        self.closed = False

    def set_capability(self, cap, type_id, value):
        self.caps[cap] = value

    @property
    def image_info(self):
        return {"XResolution": self.dpi, "YResolution": self.dpi}

    def request_acquire(self, show_ui, modal_ui):
        assert show_ui is False

    def xfer_image_natively(self):
        if self.jam_after is not None and self.sent == self.jam_after:
            raise PaperJam()
        self.sent += 1
        self.left -= 1
        return self.sent, self.left

    def close(self):
        self.closed = True


def fake_twain(pages=3, jam_after=None, dpi=300.0, names=("Fake Scanner",)):
    m = types.SimpleNamespace()
    for i, name in enumerate(
        "ICAP_XRESOLUTION ICAP_YRESOLUTION ICAP_PIXELTYPE CAP_FEEDERENABLED CAP_AUTOFEED "
        "CAP_XFERCOUNT TWTY_FIX32 TWTY_UINT16 TWTY_BOOL TWTY_INT16 TWPT_RGB TWPT_GRAY".split()
    ):
        setattr(m, name, 100 + i)
    m.exceptions = types.SimpleNamespace(TwainError=TwainError)
    m.opened = []
    m.freed = []

    def dib_to_bm_file(handle):
        im = Image.new("RGB", (120, 160), (255 - handle * 20, 255, 255))
        buf = io.BytesIO()
        im.save(buf, format="BMP")
        return buf.getvalue()

    class SourceManager:
        def __init__(self, parent):
            self.source_list = list(names)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def open_source(self, name):
            src = FakeSource(m, pages, jam_after, dpi)
            m.opened.append(src)
            return src

    m.SourceManager = SourceManager
    m.dib_to_bm_file = dib_to_bm_file
    m.global_handle_free = m.freed.append
    return m


def test_twain_source_is_a_page_source_and_scans_the_feeder():
    tw = fake_twain(pages=3)
    src = TwainSource(TwainOptions("Fake Scanner", dpi=300, adf=True), module=tw)
    assert isinstance(src, PageSource)
    pages = list(src.acquire())
    assert [p.origin for p in pages] == ["twain #1", "twain #2", "twain #3"]
    assert all(p.dpi == 300 and p.image.size == (120, 160) for p in pages)
    caps = tw.opened[0].caps
    assert caps[tw.ICAP_XRESOLUTION] == 300.0 and caps[tw.ICAP_PIXELTYPE] == tw.TWPT_RGB
    assert caps[tw.CAP_FEEDERENABLED] is True
    assert tw.freed == [1, 2, 3] and tw.opened[0].closed


def test_twain_jam_keeps_earlier_pages():
    src = TwainSource(TwainOptions("Fake Scanner", adf=True), module=fake_twain(5, jam_after=2))
    got = []
    with pytest.raises(CaptureError) as info:
        for page in src.acquire():
            got.append(page)
    assert len(got) == 2 and info.value.reason == "paper_jam"


def test_twain_unknown_source_low_dpi_and_not_on_linux():
    with pytest.raises(CaptureError) as info:
        list(TwainSource(TwainOptions("Other"), module=fake_twain()).acquire())
    assert info.value.reason == "device_not_found" and "Fake Scanner" in info.value.message_vi
    with pytest.raises(CaptureError):
        list(TwainSource(TwainOptions("Fake Scanner"), module=fake_twain(dpi=150.0)).acquire())
    if sys.platform != "win32":
        with pytest.raises(CaptureError) as info:
            load_twain()
        assert info.value.reason == "twain_unavailable"
