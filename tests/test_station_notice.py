"""The scanning station names the pages clerks held for rescanning (issue 20, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import capture_cli, wiring
from pipeline.review.hold import hold_record
from schemas.enums import BookType
from schemas.models import BookMeta
from tests.ui_fixtures import make_sessions, seed


class _Previews:
    """Only the preview image the seed stores: no page is read here."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str = "") -> None:
        self.last = (key, len(data), content_type)


@pytest.mark.parametrize("kind", ["rescan", "unreadable"])
def test_the_station_lists_held_pages_of_the_book_being_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    sessions = make_sessions(tmp_path)
    seeded = seed(sessions, _Previews())
    why = hold_record(sessions, seeded.record_a, seeded.users["clerk"], kind, "chữ bị nhòe")
    assert why is None
    monkeypatch.setattr(wiring, "sessions", lambda: sessions)
    meta = BookMeta(
        book_type=BookType("khai_sinh"),
        agency="001.02.03",
        book="02/1994",
        year_from=1994,
        year_to=1994,
    )
    capture_cli._tell_held(meta)
    said = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    label = "Cần quét lại" if kind == "rescan" else "Không đọc được"
    assert label in said and "p1.png" in said and "chữ bị nhòe" in said and "clerk1" in said
    assert "sohoa rescans --release" in said
    other = meta.model_copy(update={"book": "03/1994"})  # another book: nothing to say
    capture_cli._tell_held(other)
    assert capsys.readouterr().out == ""
