"""``sohoa verify``: check the archive against the database, rewrite the manifests."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from flows.cli_common import console, guarded, setup

EXIT_DISAGREE = 1

KIND_VI = {"missing": "thiếu", "mismatch": "sai mã kiểm tra", "orphan": "mồ côi"}


def verify(
    as_json: Annotated[bool, typer.Option("--json", help="In JSON cho máy đọc")] = False,
    repair: Annotated[
        bool, typer.Option("--repair", help="Tải lại bản gốc từ thư mục lô khi có thể")
    ] = False,
    deep: Annotated[
        bool, typer.Option("--deep", help="Đọc lại toàn bộ nội dung và tính lại SHA-256")
    ] = False,
) -> None:
    """Đối chiếu CSDL với kho lưu trữ: thiếu, mồ côi, sai mã kiểm tra; ghi lại manifest."""
    from flows.wiring import make_store, sessions, settings
    from pipeline.archive.manifest import write_manifests
    from pipeline.archive.verify import verify_store

    setup()

    def run():  # noqa: ANN202 - local closure
        store = make_store(settings())
        report = verify_store(sessions(), store, deep=deep, repair=repair)
        write_manifests(sessions(), store)
        return report

    report = guarded(run)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_DISAGREE)


def _print_report(report) -> None:  # noqa: ANN001 - VerifyReport, imported lazily
    if report.findings:
        table = Table(title="Sai lệch giữa CSDL và kho lưu trữ")
        for col in ("Loại", "Đối tượng", "Chi tiết", "Sửa"):
            table.add_column(col)
        for f in report.findings:
            fixed = {"reuploaded": "đã tải lại", "requeued": "chờ xử lý lại"}.get(f.repaired, "")
            table.add_row(KIND_VI.get(f.kind, f.kind), f.key, f.detail, fixed)
        console.print(table)
    summary = (
        f"Đã kiểm {report.checked} đối tượng: thiếu {report.count('missing')}, "
        f"sai {report.count('mismatch')}, mồ côi {report.count('orphan')}."
    )
    console.print(("[green]Khớp. [/]" if report.ok else "[red]Không khớp. [/]") + summary)


def rescans(
    release: Annotated[
        int | None,
        typer.Option("--release", help="Mã trang đã quét lại: đưa hồ sơ của trang về hàng chờ"),
    ] = None,
) -> None:
    """Trang cán bộ duyệt báo không đọc được hoặc cần quét lại; --release khi đã quét lại."""
    from rich.markup import escape

    from flows.wiring import sessions
    from pipeline.review.hold import held_pages, release_hold

    setup()
    if release is not None:
        n = guarded(lambda: release_hold(sessions(), release, None))
        if n is None:
            console.print(f"[yellow]Trang {release} không được báo cần quét lại.[/]")
        else:
            console.print(f"Đã bỏ giữ trang {release}; {n} hồ sơ về hàng chờ duyệt.")
        return
    held = guarded(lambda: held_pages(sessions()))
    if not held:
        console.print("Không có trang nào cần quét lại.")
        return
    table = Table(title="Trang cần quét lại hoặc không đọc được")
    for col in ("Mã trang", "Quyển sổ", "Trang", "Tệp", "Việc cần làm", "Lý do", "Cán bộ báo"):
        table.add_column(col)
    for h in held:
        table.add_row(
            *(escape(x) for x in (str(h.page_id), h.book, str(h.page), h.source_name)),
            *(escape(x) for x in (h.kind_label, h.reason, h.by)),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add these commands to the main CLI."""
    app.command("verify")(verify)
    app.command("rescans")(rescans)
