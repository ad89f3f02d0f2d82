"""Multi-page Decree 30/2020 documents with ground truth: letters, decisions, reports …

:func:`render_letter` draws one document of 2–4 A4 pages (300 dpi by default) with the
drawing helpers of :mod:`bench.corpus.synth` (its canvas, runs, word wrap, date line),
handwriting and marks of :mod:`bench.corpus.inked`, issuers of
:mod:`bench.corpus.letter_issuers` and prose of :mod:`bench.corpus.letter_text`:

- page 1: the issuer block (1–3 lines, a short rule under it) and the national motto, the
  number line "Số: 12/SXD-QLN" (digits sometimes handwritten) and the place-date line (day
  sometimes handwritten); a công văn then has its "V/v …" summary wrapped under the number
  in the left column and a "Kính gửi:" list, a titled document (Quyết định, Tờ trình, Báo
  cáo, Thông báo, Kế hoạch, Giấy mời, Biên bản, Hợp đồng) a centred title and its summary
  on the next one or two centred lines;
- body pages, their number at the top from page 2 on;
- the signer's page: "Nơi nhận:" and its dash items bottom-left, the signer block on the
  right (an optional "KT./TM./Q./TL./TUQ." line, the title, seal and signature, the name
  with an optional rank or degree before it);
- optionally an annex page ("PHỤ LỤC" and a table) after the signer, and a copy mark on
  page 1 ("SAO Y BẢN CHÍNH" stamp or a digital-signature box "Ký bởi: …") that is no field.

Truth (NFC)::

    {"kind": "document", "layout": "cong_van" | "quyet_dinh" | …, "pages": n,
     "fields": {the 11 TTHC fields; "" when the layout prints none},
     "field_pages": {field: page number}, "handwritten": [...], "marks": [...],
     "annex": bool, "copy_mark": bool, "page_lines": [[line, …] per page], …}

:mod:`bench.corpus.letter_scan` captures the pages and writes them as one file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from PIL import Image

from bench.corpus import inked, synth
from bench.corpus import letter_text as lt
from bench.corpus import marks as mk
from bench.corpus.synth import _Canvas, _Cell, _Run
from schemas.models import TTHC_FIELDS

LAYOUTS = (
    "cong_van",
    "quyet_dinh",
    "to_trinh",
    "bao_cao",
    "thong_bao",
    "ke_hoach",
    "giay_moi",
    "bien_ban",
    "hop_dong",
)
TITLES = lt.TITLES
FIELDS = TTHC_FIELDS
#: Fields printed in the signer block and "Nơi nhận" (the signer's page); the rest on page 1.
SIGNER_FIELDS = ("chuc_vu_nguoi_ky", "cap_bac_nguoi_ky", "nguoi_ky", "noi_nhan")
COPY_MARKS = ("copy_stamp", "digital_signature")
_PAGE_MM = (210, 297)
_MARGINS_MM = (30, 190, 20, 277)  # left, right, top, bottom of the text
_PT = 13.0


class _Flow:
    """The pages of a document being typed, breaking to a new page at the bottom margin."""

    def __init__(self, seed: int, dpi: int, face: str):
        self.seed, self.dpi, self.face = seed, dpi, face
        self.pages: list[_Canvas] = []
        self.new_page()

    @property
    def c(self) -> _Canvas:
        """The page being typed."""
        return self.pages[-1]

    def px(self, mm: float) -> int:
        """Millimetres in pixels."""
        return self.c.px(mm)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Left, right, top and bottom of the text, in pixels."""
        return tuple(self.px(v) for v in _MARGINS_MM)  # type: ignore[return-value]

    def new_page(self) -> None:
        """Start a page; from page 2 on, its number is printed centred at the top."""
        paper = random.Random(f"paper-{self.seed}")  # the same paper and ink on every page
        canvas = _Canvas(_PAGE_MM, dpi=self.dpi, face=self.face, rng=paper)
        self.pages.append(canvas)
        left, right, top, _ = self.box
        if len(self.pages) >= 2:
            canvas.y = self.px(8)
            canvas.put([synth._cell(str(len(self.pages)), (left + right) / 2, "c")], _PT)
        canvas.y = top

    def line(self, cells: list[_Cell], pt: float, lead: float = 1.4) -> int:
        """Type one line, on a new page when it would cross the bottom margin."""
        if self.c.y + round(pt * self.dpi / 72 * lead) > self.box[3]:
            self.new_page()
        return self.c.put(cells, pt, lead=lead)

    def para(self, runs: list[_Run], pt: float = _PT, *, indent: float = 10, x0: float = 0) -> None:
        """A paragraph wrapped between the margins, first line indented ``indent`` mm."""
        left, right = self.box[0] + self.px(x0), self.box[1]
        first = self.px(indent)
        for i, words in enumerate(self.c.split_lines(runs, pt, right - left, first)):
            self.line([_Cell(tuple(words), left + (first if i == 0 else 0))], pt, 1.45)
        self.c.y += self.px(1.2)

    def height(self, runs: list[_Run], pt: float = _PT) -> int:
        """Pixels a paragraph of ``runs`` would take."""
        n = len(self.c.split_lines(runs, pt, self.box[1] - self.box[0], self.px(10)))
        return n * round(pt * self.dpi / 72 * 1.45) + self.px(1.2)


def _columns(flow: _Flow) -> tuple[float, float, float]:
    """Centres of the header's left and right columns, and the left column's width."""
    left, right = flow.box[0] - flow.px(12), flow.box[1] + flow.px(5)
    width = right - left
    return left + width * 0.22, left + width * 0.72, width * 0.44


def _draw_header(flow: _Flow, plan: lt.Plan) -> None:
    """Issuer block and motto, a short rule under each; then the number and place-date line."""
    c, (lc, rc, lw) = flow.c, _columns(flow)
    issuer = [[_Run(text, bold=bold)] for text, bold in plan.issuer.lines]
    motto = [
        [_Run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)],
        [_Run("Độc lập - Tự do - Hạnh phúc", bold=True)],
    ]
    pt = min(
        c.fit(motto[0], _PT - 0.5, flow.box[1] + flow.px(5) - (rc - (rc - lc) * 0.55) - 4),
        *(c.fit(r, _PT - 0.5, lw * 0.98) for r in issuer),
    )
    bases = []
    for i in range(max(len(issuer), 2)):
        cells = [_Cell(tuple(issuer[i]), lc, "c")] if i < len(issuer) else []
        cells += [_Cell(tuple(motto[i]), rc, "c")] if i < 2 else []
        bases.append(c.put(cells, pt, lead=1.3))
    gap = round(pt * flow.dpi / 72 * 0.45)
    w_is, w_mo = c.width(issuer[-1], pt) / 3, c.width(motto[1], pt)
    c.rule(lc - w_is / 2, lc + w_is / 2, bases[len(issuer) - 1] + gap)
    c.rule(rc - w_mo / 2, rc + w_mo / 2, bases[1] + gap)
    c.y += flow.px(3)
    _number_and_date(flow, plan, lc, rc)


def _number_and_date(flow: _Flow, plan: lt.Plan, lc: float, rc: float) -> None:
    c, f = flow.c, plan.fields
    digits, symbol = f["so_ky_hieu"].split("/", 1)
    number = (_Run("Số: "), _Run(digits, tag="so_ky_hieu"), _Run(f"/{symbol}"))
    if c.hand is not None and "ngay_ban_hanh" in c.hand_tags:
        when: tuple[_Run, ...] = synth._date_runs(f["dia_danh"], f["ngay_ban_hanh"])
    else:
        d = date.fromisoformat(f["ngay_ban_hanh"])
        when = (_Run(f"{f['dia_danh']}, {synth._vn_date(d)}", italic=True),)
    rc = min(rc, flow.box[1] + flow.px(5) - c.width(when, _PT) / 2)
    c.put([_Cell(number, lc, "c"), _Cell(when, rc, "c")], _PT, lead=1.5)


def _draw_opening(flow: _Flow, plan: lt.Plan) -> None:
    """A công văn's summary under the number and its "Kính gửi:"; or a title and summary."""
    c, (lc, _, lw) = flow.c, _columns(flow)
    left, right = flow.box[0], flow.box[1]
    summary = [_Run(plan.fields["trich_yeu"])]
    if plan.layout == "cong_van":
        for words in c.split_lines(summary, _PT - 1, lw * 0.85):
            c.put([_Cell(tuple(words), lc, "c")], _PT - 1, lead=1.2)
        c.y += flow.px(6)
        x = left + (right - left) * 0.22
        head = [_Run("Kính gửi:", italic=True)]
        if len(plan.kinh_gui) == 1:
            c.put([_Cell((*head, _Run(" " + plan.kinh_gui[0] + ".")), x)], _PT, lead=1.5)
        else:
            c.put([_Cell(tuple(head), x)], _PT, lead=1.4)
            last = len(plan.kinh_gui) - 1
            for i, who in enumerate(plan.kinh_gui):
                end = "." if i == last else ";"
                c.put([synth._cell(f"- {who}{end}", x + flow.px(22))], _PT, lead=1.4)
        c.y += flow.px(3)
        return
    mid = (left + right) / 2
    c.y += flow.px(4)
    c.put([synth._cell(TITLES[plan.layout][0], mid, "c", bold=True)], _PT + 1, lead=1.4)
    base = 0
    for words in c.split_lines([_Run(summary[0].text, bold=True)], _PT, (right - left) * 0.8):
        base = c.put([_Cell(tuple(words), mid, "c")], _PT, lead=1.35)
    c.rule(mid - flow.px(18), mid + flow.px(18), base + flow.px(3))
    c.y += flow.px(6)


def _block(flow: _Flow, style: str, text: str) -> None:
    left, right = flow.box[0], flow.box[1]
    if style == "c":
        flow.line([synth._cell(text, (left + right) / 2, "c", bold=True)], _PT, 1.6)
    elif style == "h":
        flow.para([_Run(text, bold=True)], indent=10)
    elif style == "i":
        flow.para([_Run(text, italic=True)], indent=10)
    elif style == "d":
        flow.para([_Run(f"- {text}")], indent=10)
    else:
        flow.para([_Run(text)], indent=10)


def _draw_body(flow: _Flow, plan: lt.Plan, rng: random.Random, body_pages: int) -> None:
    """Opening, then prose until the last body page is filled far enough, then the closing."""
    authority = f"{plan.issuer.head} {plan.issuer.ban_hanh}"
    if plan.issuer.collective:
        authority = plan.issuer.ban_hanh
    for style, text in lt.opening(plan.layout, rng, plan.ctx, authority):
        _block(flow, style, text)
    closing = lt.closing(plan.layout, plan.ctx)
    reserve = _signer_height(flow, plan) + sum(flow.height([_Run(t)]) for _, t in closing)
    fill_to = flow.box[2] + (flow.box[3] - flow.box[2]) * rng.uniform(0.2, 0.5)
    numbered = plan.layout in ("cong_van", "quyet_dinh", "to_trinh", "bao_cao", "ke_hoach")
    n = 0
    while True:
        n += 1
        style, text = lt.paragraph(rng, plan.ctx, n if numbered else 0)
        if len(flow.pages) >= body_pages:
            room = flow.box[3] - flow.c.y - reserve
            full = flow.c.y > fill_to and n > 2
            if full or (n > 1 and flow.height([_Run(text)]) > room):
                break
        _block(flow, style, text)
    for style, text in closing:
        _block(flow, style, text)


def _signer_height(flow: _Flow, plan: lt.Plan) -> int:
    lines = len(plan.titles) + 1
    return flow.px(8) + lines * round(_PT * flow.dpi / 72 * 1.35) + flow.px(30)


def _draw_signer(flow: _Flow, plan: lt.Plan) -> int:
    """ "Nơi nhận" on the left, the signer block on the right; return the signer's page number."""
    if flow.c.y + _signer_height(flow, plan) > flow.box[3]:
        flow.new_page()
    c, left, right = flow.c, flow.box[0], flow.box[1]
    c.y += flow.px(5)
    top, x = c.y, left + (right - left) * 0.72
    for title in plan.titles:
        c.put([synth._cell(title, x, "c", bold=True)], _PT, lead=1.3)
    c.y = max(c.y + flow.px(4), top + flow.px(30))
    c.anchors["signer"] = {"x": x, "top": top, "name_top": c.y}
    rank = plan.fields["cap_bac_nguoi_ky"]
    c.put([synth._cell(f"{rank} {plan.fields['nguoi_ky']}".strip(), x, "c", bold=True)], _PT)
    end, c.y = c.y, top
    c.put([synth._cell("Nơi nhận:", left, bold=True, italic=True)], _PT - 1, lead=1.2)
    for i, item in enumerate(plan.items):
        mark = "." if i == len(plan.items) - 1 else ";"
        c.put([synth._cell(f"- {item}{mark}", left)], _PT - 2, lead=1.2)
    c.y = max(c.y, end)
    return len(flow.pages)


def _draw_annex(flow: _Flow, plan: lt.Plan, rng: random.Random) -> None:
    """An annex page: "PHỤ LỤC", what it lists, the document it goes with, and a table."""
    flow.new_page()
    c, left, right = flow.c, flow.box[0], flow.box[1]
    mid = (left + right) / 2
    spec = lt.annex(rng, plan.ctx, plan.people[1:])
    d = date.fromisoformat(plan.fields["ngay_ban_hanh"])
    kind = plan.fields["loai_van_ban"]
    ref = f"(Kèm theo {kind} số {plan.fields['so_ky_hieu']} ngày {d:%d/%m/%Y})"
    c.put([synth._cell("PHỤ LỤC", mid, "c", bold=True)], _PT + 1, lead=1.4)
    c.put([synth._cell(str(spec["subtitle"]), mid, "c", bold=True)], _PT, lead=1.4)
    c.put([synth._cell(ref, mid, "c", italic=True)], _PT - 1, lead=2.0)
    edges = [left, left + (right - left) * 0.12, left + (right - left) * 0.68, right]
    rows: list[list[str]] = [list(spec["head"]), *spec["rows"]]  # type: ignore[call-overload]
    top = c.y
    for r, row in enumerate(rows):
        c.rule(left, right, c.y)
        c.y += flow.px(1.5)
        at = [x + flow.px(2) for x in edges]
        cells = [synth._cell(t, x, bold=r == 0) for t, x in zip(row, at, strict=False)]
        c.put(cells, _PT - 1, lead=1.6)
    c.rule(left, right, c.y)
    for x in edges:
        c.draw.line([(x, top), (x, c.y)], fill=c.ink, width=2)


@dataclass(frozen=True)
class Options:
    """What a document has besides its text (drawn from the seed when not given)."""

    layout: str
    pages: int
    annex: bool
    handwritten: tuple[str, ...]
    marks: tuple[str, ...]
    copy_mark: str  # "", "copy_stamp" or "digital_signature"
    face: str


def pick_options(rng: random.Random, **given: Any) -> Options:
    """The options of a document: ``given`` ones as they are, the others drawn."""
    drawn = {
        "layout": rng.choice(LAYOUTS),
        "pages": rng.choice((2, 2, 3, 3, 4)),
        "annex": rng.random() < 0.25,
        "handwritten": tuple(
            f for f, p in (("so_ky_hieu", 0.5), ("ngay_ban_hanh", 0.4)) if rng.random() < p
        ),
        "marks": tuple(
            m
            for m, p in (("seal", 0.85), ("signature", 0.9), ("margin_note", 0.25))
            if rng.random() < p
        ),
        "copy_mark": rng.choices(("", *COPY_MARKS), (70, 15, 15))[0],
        "face": rng.choice(("serif", "serif", "serif", "sans")),
    }
    given = {k: v for k, v in given.items() if v is not None}
    if "handwritten" in given or "marks" in given:
        given = {k: tuple(v) if k in ("handwritten", "marks") else v for k, v in given.items()}
    return Options(**(drawn | given))


def render_letter(
    seed: int,
    *,
    dpi: int = 300,
    layout: str | None = None,
    pages: int | None = None,
    annex: bool | None = None,
    handwritten: tuple[str, ...] | None = None,
    marks: tuple[str, ...] | None = None,
    copy_mark: str | None = None,
    face: str | None = None,
) -> tuple[list[Image.Image], dict[str, Any]]:
    """Render one multi-page Decree-30 document.

    Args:
        seed: seed of the document's own generator (same seed, same pages and truth).
        dpi: resolution of the A4 pages.
        layout: one of :data:`LAYOUTS`.
        pages: pages wanted, 2–4, the annex included (the text may run one page over).
        annex: an annex page after the signer.
        handwritten: fields whose digits the clerk writes by hand: "so_ky_hieu" (the
            number), "ngay_ban_hanh" (the day, sometimes the month).
        marks: "seal", "signature" (the signer's page), "margin_note" (page 1).
        copy_mark: "copy_stamp" ("SAO Y BẢN CHÍNH") or "digital_signature" ("Ký bởi: …") on
            page 1, or "" for none.
        face: "serif", "sans" or "mono".

    Returns:
        The pages (grayscale, RGB when inked) and the document's truth.
    """
    rng = random.Random(seed)
    opts = pick_options(
        rng,
        layout=layout,
        pages=pages,
        annex=annex,
        handwritten=handwritten,
        marks=marks,
        copy_mark=copy_mark,
        face=face,
    )
    plan = lt.plan_document(rng, opts.layout)
    flow = _Flow(seed, dpi, opts.face)
    tags = set(opts.handwritten)
    if "ngay_ban_hanh" in tags and random.Random(f"hand-month-{seed}").random() < 0.35:
        tags.add("ngay_ban_hanh.month")
    inked.start_hand(flow.c, seed, tags, pt=_PT)
    if opts.copy_mark:  # room above the header for a stamp or signature box at the top
        flow.c.y = flow.px(36)
    _draw_header(flow, plan)
    _draw_opening(flow, plan)
    _draw_body(flow, plan, rng, max(1, opts.pages - opts.annex))
    signer_page = _draw_signer(flow, plan)
    if opts.annex:
        _draw_annex(flow, plan, rng)
    images, extra = _finish(flow, plan, opts, seed, signer_page)
    return images, _truth(flow, plan, opts, seed, signer_page) | extra


def _finish(
    flow: _Flow, plan: lt.Plan, opts: Options, seed: int, signer_page: int
) -> tuple[list[Image.Image], dict[str, Any]]:
    """Write the handwritten values and draw the marks, page by page."""
    issued = date.fromisoformat(plan.fields["ngay_ban_hanh"])
    sans = synth.font_files("sans")
    text = inked.MarkText(
        seal=f"{plan.issuer.ban_hanh} * {plan.issuer.place.upper()} *",
        issued=issued,
        font=sans[0],
        bold=sans[1],
    )
    images, hand, drawn = [], [], []
    for number, canvas in enumerate(flow.pages, start=1):
        names = [m for m in opts.marks if m == "margin_note" and number == 1]
        names += [m for m in opts.marks if m in ("seal", "signature") and number == signer_page]
        names += ["copy_stamp"] if number == 1 and opts.copy_mark == "copy_stamp" else []
        img, extra = inked.finish_page(canvas, seed * 10 + number, marks=tuple(names), text=text)
        hand += extra.get("handwritten", [])
        drawn += [{"mark": m["mark"], "page": number} for m in extra.get("mark_boxes", [])]
        if number == 1 and opts.copy_mark == "digital_signature":
            img = _digital_signature(img, canvas, plan, issued, random.Random(f"esign-{seed}"))
            drawn.append({"mark": "digital_signature", "page": 1})
        images.append(img)
    extra = {"handwritten": hand, "marks": [d["mark"] for d in drawn], "mark_pages": drawn}
    return images, extra


def _digital_signature(
    img: Image.Image, canvas: _Canvas, plan: lt.Plan, issued: date, rng: random.Random
) -> Image.Image:
    """The box a digitally signed copy prints at the top right: who signed it, and when."""
    page = np.asarray(img.convert("RGB")).copy()
    when = datetime.combine(issued, datetime.min.time())
    when += timedelta(seconds=rng.randint(7 * 3600, 17 * 3600))
    lines = [
        f"Ký bởi: {plan.issuer.title}",
        f"Cơ quan: {plan.issuer.place}",
        f"Thời gian ký: {when:%d.%m.%Y %H:%M:%S} +07:00",
    ]
    at = (page.shape[1] - canvas.px(rng.uniform(82, 92)), canvas.px(rng.uniform(4, 8)))
    ink = mk.STAMP_BLUE if rng.random() < 0.6 else rng.choice(mk.RED_INKS)
    sans = synth.font_files("sans")
    mk.draw_copy_stamp(
        page, at, lines, rng, font_path=sans[0], bold_path=sans[1], px=canvas.px(2.6), ink=ink
    )
    return Image.fromarray(page)


def _truth(flow: _Flow, plan: lt.Plan, opts: Options, seed: int, signer_page: int) -> dict:
    pages = {name: signer_page if name in SIGNER_FIELDS else 1 for name in FIELDS}
    return synth._nfc(
        {
            "kind": "document",
            "layout": plan.layout,
            "pages": len(flow.pages),
            "fields": plan.fields,
            "field_pages": {k: v for k, v in pages.items() if plan.fields[k]},
            "annex": opts.annex,
            "copy_mark": bool(opts.copy_mark),
            "copy_kind": opts.copy_mark,
            "issuer_lines": len(plan.issuer.lines),
            "signer_page": signer_page,
            "page_lines": [c.lines for c in flow.pages],
            "font": opts.face,
            "dpi": flow.dpi,
            "seed": seed,
        }
    )
