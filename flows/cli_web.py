"""Commands of the web side: ``serve``, ``users add``, ``inventory import``, ``bench-ui``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import EXIT_USAGE, console, err, setup
from pipeline.errors import ConfigError, SohoaError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from pipeline.config import Settings
    from pipeline.phases import PhasePlan
    from pipeline.ports import ObjectStore
    from review_ui.security import WebConfig


users_app = typer.Typer(help="Tài khoản trang web duyệt hồ sơ.", no_args_is_help=True)
inventory_app = typer.Typer(help="Kiểm kê sổ (giai đoạn 1).", no_args_is_help=True)


def _setup() -> None:
    setup()


def web_config(
    s: Settings, sessions: sessionmaker[Session], store: ObjectStore, plan: PhasePlan
) -> WebConfig:
    """The web app's configuration from settings (what ``sohoa serve`` runs with).

    Raises:
        ConfigError: no usable secret outside development, or a bad SOHOA_TRUSTED_PROXIES.
    """
    from pipeline.config import web_secret
    from review_ui.security import WebConfig, parse_proxies

    secret = web_secret(s)
    try:
        proxies = parse_proxies(s.trusted_proxies)
    except ValueError as exc:
        raise ConfigError(
            "SOHOA_TRUSTED_PROXIES phải là địa chỉ IP hoặc dải mạng, cách nhau bằng dấu phẩy"
        ) from exc
    return WebConfig(
        sessions=sessions,
        store=store,
        plan=plan,
        secret=secret,
        cookie_secure=s.session_cookie_secure,
        session_hours=s.session_hours,
        lock_minutes=s.lock_minutes,
        trusted_proxies=proxies,
        proxy_header=s.proxy_header,
    )


def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
) -> None:
    """Chạy trang web duyệt hồ sơ và bảng tiến độ."""
    _setup()
    import uvicorn

    from flows.wiring import make_plan, make_store, sessions, settings
    from review_ui.app import create_app

    s = settings()
    try:
        cfg = web_config(s, sessions(), make_store(s), make_plan(s))
    except ConfigError as exc:
        err.print(f"[red]Lỗi cấu hình:[/] {exc.message_vi}")
        raise typer.Exit(EXIT_USAGE) from exc
    console.print(f"Trang duyệt hồ sơ: http://{host}:{port}/  (Ctrl+C để dừng)")
    uvicorn.run(create_app(cfg), host=host, port=port, log_level="warning", proxy_headers=False)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    role: Annotated[str, typer.Option(help="operator, clerk, manager hoặc admin")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ stdin (dùng trong script)")
    ] = False,
) -> None:
    """Thêm tài khoản; mật khẩu được hỏi (không có mật khẩu mặc định)."""
    _setup()
    from flows.wiring import sessions
    from pipeline.review.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại")
    try:
        add_user(sessions(), name, role, password)
    except SohoaError as exc:
        err.print(f"[red]{exc.message_vi}[/]")
        raise typer.Exit(EXIT_USAGE) from exc
    console.print(f"Đã thêm tài khoản {name} ({role}).")


@inventory_app.command("import")
def inventory_import(
    file: Annotated[Path, typer.Argument(help="CSV: agency,book_type,book,years,estimated_pages")],
) -> None:
    """Nhập kiểm kê sổ của giai đoạn 1 (thêm mới hoặc cập nhật theo cơ quan, loại sổ, quyển)."""
    _setup()
    from flows.wiring import make_plan, sessions, settings
    from pipeline.intake.inventory import import_inventory, parse_inventory

    try:
        rows = parse_inventory(file.read_text(encoding="utf-8-sig"))
        result = import_inventory(sessions(), make_plan(settings()), rows)
    except OSError as exc:
        err.print(f"[red]Không đọc được {file}[/]")
        raise typer.Exit(EXIT_USAGE) from exc
    except SohoaError as exc:
        err.print(f"[red]{exc.message_vi}[/]")
        raise typer.Exit(EXIT_USAGE) from exc
    console.print(f"Kiểm kê: thêm {result.added} quyển, cập nhật {result.updated} quyển.")


def bench_ui(
    records: Annotated[int, typer.Option(help="Số hồ sơ")] = 100_000,
    fields: Annotated[int, typer.Option(help="Số trường mỗi hồ sơ")] = 10,
    requests: Annotated[int, typer.Option(help="Số lần đo mỗi trang")] = 200,
    db: Annotated[Path | None, typer.Option(help="Tệp SQLite (mặc định trong SOHOA_HOME)")] = None,
) -> None:
    """Đo thời gian máy chủ của hàng chờ và trang hồ sơ trên CSDL SQLite lớn."""
    _setup()
    from bench.ui import run_ui_bench
    from flows.wiring import settings

    path = db or settings().home_abs / "bench" / f"ui-{records}x{fields}.db"
    report = run_ui_bench(path, records=records, fields_per_record=fields, requests=requests)
    console.print(report)


def register(app: typer.Typer) -> None:
    """Add these commands to the main CLI."""
    app.command("serve")(serve)
    app.command("bench-ui")(bench_ui)
    app.add_typer(users_app, name="users")
    app.add_typer(inventory_app, name="inventory")
