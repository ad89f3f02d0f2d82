"""Templates and the Vietnamese formatting filters they use."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from pipeline.db.models import aware
from pipeline.review.accounts import ROLE_LABELS
from pipeline.review.complete import completion_kind
from pipeline.review.dashboard import VN_TZ
from pipeline.review.queue import agency_names
from review_ui.security import page_csrf, web
from schemas.dossiers import LABELS

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_LABELS = {
    "needs_review": "Cần duyệt",
    "auto_accepted": "Tự chấp nhận",
    "approved": "Đã duyệt",
    "superseded": "Đã thay bằng hồ sơ của văn bản ghép lại",
    "held": "Đang giữ: trang không đọc được hoặc cần quét lại",
    "second_keying": "Chờ người thứ hai nhập lại các trường chính",
    "arbitration": "Hai lần nhập khác nhau: chờ phân xử",
}
BOOK_TYPES = {"khai_sinh": "Khai sinh", "ket_hon": "Kết hôn", "khai_tu": "Khai tử", "tthc": "TTHC"}


def vn_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy (local day for timestamps)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = aware(value).astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def vn_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM, local time."""
    return aware(value).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if value else ""


def vn_prose(value: date | None) -> str:
    """Prose date: ngày 5 tháng 3 năm 2024."""
    return f"ngày {value.day} tháng {value.month} năm {value.year}" if value else ""


@pass_context
def agency_label(ctx: Any, code: str | None) -> str:
    """An agency as people know it: "UBND xã Quỳnh Hưng (40.QUYNH-HUNG)", or its code alone."""
    name = (ctx.get("agency_names") or {}).get(code or "")
    return f"{name} ({code})" if name else (code or "")


def vn_number(value: float | int | None, digits: int = 0) -> str:
    """Numbers as Vietnamese write them: 12.345 and 3,5."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_percent(value: float | None) -> str:
    """42,5 %."""
    return "—" if value is None else vn_number(100 * value, 1) + " %"


def age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in days or hours."""
    if value is None:
        return "—"
    delta = (now or datetime.now(VN_TZ)) - aware(value)
    days = delta.days
    return f"{days} ngày" if days >= 1 else f"{max(0, delta.seconds // 3600)} giờ"


def span_vi(days: int) -> str:
    """A length of time as people say it: "12 ngày", "3 tháng", "12 năm 11 tháng"."""
    days = abs(int(days))
    if days < 31:
        return f"{days} ngày"
    months = round(days / 30.44)
    years, months = divmod(months, 12)
    if not years:
        return f"{months} tháng"
    return f"{years} năm" + (f" {months} tháng" if months else "")


#: What a record is, in plain words (the schema's code never reaches a screen).
SCHEMA_LABELS = {
    "khai_sinh": "Khai sinh",
    "ket_hon": "Kết hôn",
    "khai_tu": "Khai tử",
    "tthc": "Kết quả thủ tục hành chính",
    "so_khai_sinh": "Khai sinh (sổ đăng ký)",
    "so_ket_hon": "Kết hôn (sổ đăng ký)",
    "so_khai_tu": "Khai tử (sổ đăng ký)",
}
_PHASE = re.compile(r"^phase-(\d+)$")
_LABEL_HIT = re.compile(r"nhãn @?(\w+) \(khớp (\d+)%\)")


def phase_label(prefix: str | None) -> str:
    """A phase prefix in words: phase-5 → "Giai đoạn 5"; outside the plan → "Ngoài kế hoạch"."""
    m = _PHASE.match(prefix or "")
    if m:
        return f"Giai đoạn {m[1]}"
    return "Ngoài kế hoạch" if prefix == "ngoai-ke-hoach" else (prefix or "")


def plain_reason(text: str) -> str:
    """A provenance note in plain words: nhãn @dan_toc (khớp 100%) → nhãn “Dân tộc” (khớp 100 %)."""
    return _LABEL_HIT.sub(
        lambda m: f"nhãn “{LABELS.get(m[1], m[1].replace('_', ' '))}” (khớp {m[2]} %)", text
    )


def shown_value(value: str | None, name: str | None) -> str:
    """An audited value as the form shows it (dates dd/mm/yyyy)."""
    if value is None:
        return ""
    if name and name.startswith("ngay_") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    return value


def audited(value: str | None, name: str | None, action: str = "") -> str:
    """An audit row's value in plain words: dates dd/mm/yyyy, phases by name, no storage keys.

    A "move" row holds the object's storage key: the clerk sees the phase it is in and the
    file's name ("Giai đoạn 4 · 000123.v2.json"), not the key.
    """
    if value is None:
        return ""
    if name == "phase":
        return phase_label(value)
    if action == "move":
        first, _, rest = value.partition("/")
        return f"{phase_label(first)} · {rest.rsplit('/', 1)[-1]}" if rest else phase_label(first)
    return shown_value(value, name)


TEMPLATES.env.filters.update(
    agency_label=agency_label,
    audited=audited,
    completion_kind=completion_kind,
    phase_label=phase_label,
    plain_reason=plain_reason,
    shown_value=shown_value,
    span_vi=span_vi,
    vn_date=vn_date,
    vn_datetime=vn_datetime,
    vn_prose=vn_prose,
    vn_number=vn_number,
    vn_percent=vn_percent,
    age=age,
)
TEMPLATES.env.globals.update(
    LABELS=LABELS,
    ROLE_LABELS=ROLE_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    BOOK_TYPES=BOOK_TYPES,
    SCHEMA_LABELS=SCHEMA_LABELS,
)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the signed-in user, the page's CSRF token and agency names."""
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf", page_csrf(request))
    if context["user"] is not None and "agency_names" not in context:
        context["agency_names"] = agency_names(web(request).sessions)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
