"""What a multi-page Decree-30 document says: its plan, summary and body (bench only).

:func:`plan_document` draws a document's issuer (:mod:`bench.corpus.letter_issuers`),
number, date, summary, signer and recipients: the fields of its truth.

Made-up administrative prose in the registers offices write in: a công văn's requests, a
decision's bases and articles, a report's sections, a plan's aims, an invitation's time and
place, minutes, a contract's parties. Sentences are drawn from templates with slots (the
office, the subject, dates, other documents' numbers), so no two documents read alike; none
is copied from a real document.

A body is an opening, paragraphs of general prose (as many as the pages need) and a
closing, each a list of blocks ``(style, text)``: "p" a paragraph (first line indented), "h" a
bold heading at the left, "c" a centred bold line, "i" a paragraph in italics, "d" a dash
item.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.corpus import letter_issuers as li
from bench.corpus import synth

Block = tuple[str, str]

#: Title and number symbol of each titled layout.
TITLES = {
    "quyet_dinh": ("QUYẾT ĐỊNH", "QĐ"),
    "to_trinh": ("TỜ TRÌNH", "TTr"),
    "bao_cao": ("BÁO CÁO", "BC"),
    "thong_bao": ("THÔNG BÁO", "TB"),
    "ke_hoach": ("KẾ HOẠCH", "KH"),
    "giay_moi": ("GIẤY MỜI", "GM"),
    "bien_ban": ("BIÊN BẢN", "BB"),
    "hop_dong": ("HỢP ĐỒNG", "HĐ"),
}

#: Subjects of documents (a noun phrase that follows "V/v", "Về việc", "thực hiện").
TOPICS = (
    "triển khai công tác phòng, chống thiên tai và tìm kiếm cứu nạn năm {year}",
    "tăng cường bảo đảm trật tự, an toàn giao thông dịp Tết Nguyên đán",
    "rà soát, cập nhật cơ sở dữ liệu đất đai trên địa bàn {place}",
    "tổ chức kỳ thi tuyển sinh vào lớp 10 năm học {year}-{ny}",
    "thực hiện chế độ báo cáo thống kê định kỳ",
    "đẩy mạnh cải cách thủ tục hành chính và chuyển đổi số",
    "kiểm tra an toàn thực phẩm trong dịp lễ hội",
    "phòng, chống dịch bệnh sốt xuất huyết trong mùa mưa",
    "quản lý, sử dụng tài sản công tại các cơ quan, đơn vị",
    "tuyên truyền, phổ biến, giáo dục pháp luật năm {year}",
    "tiếp nhận hồ sơ thủ tục hành chính qua dịch vụ công trực tuyến",
    "kiện toàn Ban Chỉ đạo chuyển đổi số",
    "tổng kết công tác năm {year} và triển khai nhiệm vụ năm {ny}",
    "cung cấp thông tin phục vụ công tác thanh tra",
    "góp ý dự thảo Quy chế làm việc",
    "hướng dẫn quyết toán kinh phí năm {year}",
    "phòng cháy, chữa cháy trong mùa khô",
    "bảo vệ môi trường tại các cụm công nghiệp",
    "tuyển dụng viên chức năm {year}",
    "bồi dưỡng nghiệp vụ cho cán bộ, công chức cấp xã",
    "cấp giấy chứng nhận quyền sử dụng đất lần đầu",
    "xây dựng dự toán ngân sách nhà nước năm {ny}",
    "chấn chỉnh công tác văn thư, lưu trữ",
    "thực hiện chính sách đối với người có công",
    "bảo đảm an toàn thông tin mạng",
)
#: What a decision, plan, report … is about, after its title (no "Về việc" in these).
TITLED = {
    "quyet_dinh": (
        "Về việc thành lập Tổ công tác {topic}",
        "Về việc phê duyệt Kế hoạch {topic}",
        "Ban hành Quy chế phối hợp {topic}",
        "Về việc giao chỉ tiêu {topic}",
    ),
    "to_trinh": (
        "Về việc đề nghị phê duyệt kinh phí {topic}",
        "Đề nghị ban hành Kế hoạch {topic}",
    ),
    "bao_cao": ("Kết quả {topic}", "Tình hình thực hiện nhiệm vụ {topic}"),
    "thong_bao": ("Kết luận của lãnh đạo về {topic}", "Về việc {topic}"),
    "ke_hoach": ("Triển khai {topic}", "Thực hiện {topic}"),
    "giay_moi": ("Dự hội nghị {topic}", "Họp bàn về {topic}"),
    "bien_ban": ("Họp về {topic}", "Kiểm tra {topic}"),
    "hop_dong": ("Về việc cung cấp dịch vụ tư vấn {topic}", "Thuê khoán chuyên môn {topic}"),
}
#: Sentences of general administrative prose; a paragraph takes two to four of them.
SENTENCES = (
    "{org} đề nghị các cơ quan, đơn vị quán triệt đến cán bộ, công chức, viên chức và người "
    "lao động về nội dung {topic}.",
    "Phân công cụ thể người phụ trách, thời gian hoàn thành từng nội dung công việc.",
    "Các đơn vị chủ động rà soát, đánh giá kết quả đã đạt được, chỉ ra những tồn tại, hạn chế "
    "và nguyên nhân, đề xuất giải pháp khắc phục trong thời gian tới.",
    "Tăng cường công tác kiểm tra, giám sát việc thực hiện tại cơ sở; kịp thời phát hiện, xử "
    "lý nghiêm các trường hợp vi phạm theo quy định của pháp luật.",
    "Bố trí kinh phí từ nguồn ngân sách được giao năm {year} và các nguồn hợp pháp khác để "
    "thực hiện; việc thanh toán, quyết toán theo đúng quy định hiện hành.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị các đơn vị phản ánh kịp "
    "thời về {org} để được hướng dẫn, giải quyết.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, sử dụng văn bản điện tử và chữ ký số trong trao đổi "
    "văn bản giữa các cơ quan hành chính nhà nước trên địa bàn {place}.",
    "Phối hợp chặt chẽ với Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội "
    "cùng cấp trong công tác tuyên truyền, vận động nhân dân thực hiện.",
    "Báo cáo kết quả thực hiện gửi về {org} trước ngày {deadline} để tổng hợp, báo cáo cấp có "
    "thẩm quyền.",
    "Thủ trưởng các cơ quan, đơn vị chịu trách nhiệm về kết quả thực hiện nhiệm vụ được giao; "
    "không để xảy ra tình trạng chậm trễ, đùn đẩy trách nhiệm.",
    "Công khai quy trình, thời hạn giải quyết tại bộ phận tiếp nhận và trả kết quả; niêm yết "
    "đầy đủ thành phần hồ sơ để tổ chức, cá nhân biết, thực hiện.",
    "Trong năm {year}, số hồ sơ được tiếp nhận và giải quyết đúng hạn đạt {pct}%, tăng so với "
    "cùng kỳ năm trước; một số đơn vị còn chậm cập nhật số liệu.",
    "Tổ chức sơ kết, đánh giá rút kinh nghiệm sau mỗi đợt triển khai; biểu dương, khen thưởng "
    "kịp thời các tập thể, cá nhân có thành tích tiêu biểu.",
    "Việc triển khai phải bảo đảm đúng tiến độ, chất lượng, tiết kiệm và hiệu quả.",
    "Nhiều đơn vị đã chủ động xây dựng kế hoạch chi tiết, phân công rõ người, rõ việc, rõ thời "
    "gian thực hiện.",
    "Tuy nhiên, công tác phối hợp giữa các ngành, các cấp có lúc chưa kịp thời; việc tổng hợp "
    "số liệu ở một số địa phương còn chậm so với yêu cầu.",
    "Cơ sở vật chất, trang thiết bị phục vụ công tác chuyên môn từng bước được đầu tư, nâng "
    "cấp theo hướng hiện đại.",
    "Đội ngũ cán bộ làm công tác chuyên môn cơ bản đáp ứng yêu cầu nhiệm vụ; một số nơi còn "
    "thiếu về số lượng, hạn chế về kinh nghiệm.",
)
_KINH_GUI = (
    "Các phòng, ban, đơn vị trực thuộc",
    "Ủy ban nhân dân các huyện, thị xã, thành phố",
    "Ủy ban nhân dân các xã, phường, thị trấn",
    "Các sở, ban, ngành thuộc tỉnh",
    "Phòng Giáo dục và Đào tạo các huyện",
    "Các trường trung học phổ thông",
    "Trung tâm Phục vụ hành chính công",
    "Các đơn vị sự nghiệp công lập",
)
_NOI_NHAN = (
    "Như trên",
    "Như Điều 3",
    "UBND tỉnh (để b/c)",
    "Giám đốc Sở (để b/c)",
    "Lãnh đạo đơn vị",
    "Các phòng chuyên môn",
    "Trang thông tin điện tử",
    "Công đoàn cơ sở",
    "Thanh tra",
)
_LUU = ("Lưu: VT, {sub}", "Lưu: VT", "Lưu VT, {sub}")


def fill(template: str, ctx: dict[str, str]) -> str:
    """A template with its slots filled (slots the context lacks stay as written)."""
    return template.format_map(_Slots(ctx))


class _Slots(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def context(rng: random.Random, org: str, place: str, issued: date) -> dict[str, str]:
    """The slots of a document's prose."""
    deadline = issued + timedelta(days=rng.randint(10, 60))
    ref_day = issued - timedelta(days=rng.randint(5, 120))
    met = issued - timedelta(days=rng.randint(0, 4))
    ctx = {
        "org": org,
        "place": place,
        "year": str(issued.year),
        "ny": str(issued.year + 1),
        "deadline": f"{deadline.day:02d}/{deadline.month:02d}/{deadline.year}",
        "ref": f"{rng.randint(100, 3999)}/UBND-{rng.choice(('KT', 'VX', 'NC', 'TH'))} ngày "
        f"{ref_day.day:02d}/{ref_day.month:02d}/{ref_day.year}",
        "pct": str(rng.randint(82, 99)),
        "met": f"{met.day:02d}/{met.month:02d}/{met.year}",
    }
    ctx["topic"] = fill(rng.choice(TOPICS), ctx)
    return ctx


def summary(layout: str, rng: random.Random, ctx: dict[str, str]) -> str:
    """The printed summary (trích yếu): "V/v …" for a công văn, else the line under the title."""
    if layout == "cong_van":
        lead = "V/v" if rng.random() < 0.8 else "Về việc"
        tail = rng.choice(("", "", " trên địa bàn {place}", " năm {year}", " trong thời gian tới"))
        return fill(f"{lead} {ctx['topic']}{tail}", ctx)
    return fill(rng.choice(TITLED[layout]), ctx)


def recipients(rng: random.Random) -> list[str]:
    """The "Kính gửi:" list of a công văn (one to four addressees)."""
    return rng.sample(_KINH_GUI, rng.randint(1, 4))


def noi_nhan(rng: random.Random, sub: str) -> list[str]:
    """The "Nơi nhận:" items as printed (2–6), without their dashes and end marks."""
    items = rng.sample(_NOI_NHAN, rng.randint(1, 5))
    return [*items, rng.choice(_LUU).format(sub=sub)]


def paragraph(rng: random.Random, ctx: dict[str, str], number: int = 0) -> Block:
    """A paragraph of general prose (numbered "2. …" when ``number``)."""
    text = " ".join(fill(t, ctx) for t in rng.sample(SENTENCES, rng.randint(2, 4)))
    return ("p", f"{number}. {text}" if number else text)


def opening(layout: str, rng: random.Random, ctx: dict[str, str], authority: str) -> list[Block]:
    """The blocks that open a layout's body (before the general prose)."""
    if layout == "cong_van":
        return [("p", fill(rng.choice(_CV_OPEN), ctx))]
    if layout == "quyet_dinh":
        bases = [("i", fill(b, ctx)) for b in rng.sample(_BASES, rng.randint(2, 3))]
        return [("c", authority), *bases, ("c", "QUYẾT ĐỊNH:"), _article1(rng, ctx)]
    return [(s, fill(t, ctx)) for s, t in _OPENINGS[layout]]


def closing(layout: str, ctx: dict[str, str]) -> list[Block]:
    """The closing blocks (the last ends "./.")."""
    if layout == "quyet_dinh":
        return [
            ("p", "Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
            ("p", "Điều 3. " + fill(_CLOSINGS[layout], ctx)),
        ]
    return [("p", fill(_CLOSINGS[layout], ctx))]


_CV_OPEN = (
    "Thực hiện Công văn số {ref} của Ủy ban nhân dân tỉnh, {org} đề nghị các cơ quan, đơn vị "
    "triển khai thực hiện một số nội dung sau:",
    "Nhằm {topic}, {org} đề nghị các đơn vị thực hiện tốt các nội dung sau đây:",
    "Căn cứ tình hình thực tế và kết quả kiểm tra trong thời gian qua, {org} yêu cầu Thủ "
    "trưởng các đơn vị chỉ đạo thực hiện các nhiệm vụ trọng tâm như sau:",
)
_BASES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;",
    "Căn cứ Công văn số {ref} của Ủy ban nhân dân tỉnh;",
    "Căn cứ Luật Cán bộ, công chức ngày 13 tháng 11 năm 2008;",
)


def _article1(rng: random.Random, ctx: dict[str, str]) -> Block:
    first = rng.choice(
        (
            "Phê duyệt Kế hoạch {topic} với các nội dung chủ yếu sau:",
            "Thành lập Tổ công tác {topic}; Tổ công tác có nhiệm vụ sau:",
            "Giao các đơn vị thực hiện {topic} theo các yêu cầu sau:",
        )
    )
    return ("p", "Điều 1. " + fill(first, ctx))


_OPENINGS: dict[str, tuple[Block, ...]] = {
    "to_trinh": (
        ("p", "Kính gửi: Ủy ban nhân dân {place}."),
        ("h", "1. Sự cần thiết"),
        ("p", "Thực hiện Công văn số {ref}, để {topic}, việc ban hành kế hoạch là cần thiết."),
        ("h", "2. Nội dung đề nghị"),
    ),
    "bao_cao": (
        ("p", "Thực hiện Công văn số {ref}, {org} báo cáo kết quả như sau:"),
        ("h", "I. KẾT QUẢ THỰC HIỆN"),
    ),
    "thong_bao": (
        (
            "p",
            "Ngày {met}, {org} tổ chức cuộc họp về {topic}. Sau khi nghe báo cáo và ý "
            "kiến của các đơn vị, {org} thông báo như sau:",
        ),
    ),
    "ke_hoach": (
        ("h", "I. MỤC ĐÍCH, YÊU CẦU"),
        ("p", "Nhằm {topic}, nâng cao trách nhiệm của cơ quan, đơn vị và người đứng đầu."),
        ("h", "II. NỘI DUNG THỰC HIỆN"),
    ),
    "giay_moi": (
        (
            "p",
            "{org} trân trọng kính mời đại diện lãnh đạo các cơ quan, đơn vị tham dự hội nghị "
            "về {topic}.",
        ),
        ("p", "Thời gian: 08 giờ 00, ngày {deadline}."),
        ("p", "Địa điểm: Hội trường {org}."),
        ("h", "Nội dung hội nghị"),
    ),
    "bien_ban": (
        (
            "p",
            "Hôm nay, vào lúc 14 giờ 00 ngày {met}, tại trụ sở {org}, chúng tôi gồm đại "
            "diện các đơn vị có liên quan tiến hành họp về {topic}.",
        ),
        ("h", "I. THÀNH PHẦN"),
        ("d", "Đại diện {org}: lãnh đạo và các phòng chuyên môn;"),
        ("d", "Đại diện các đơn vị phối hợp;"),
        ("h", "II. NỘI DUNG"),
    ),
    "hop_dong": (
        ("i", "Căn cứ Bộ luật Dân sự số 91/2015/QH13 ngày 24 tháng 11 năm 2015;"),
        ("p", "Hôm nay, ngày {met}, tại {org}, chúng tôi gồm:"),
        ("h", "BÊN A (Bên thuê): {org}"),
        ("h", "BÊN B (Bên cung cấp dịch vụ): Công ty tư vấn và dịch vụ {place}"),
        ("p", "Hai bên thống nhất ký kết hợp đồng với các điều khoản sau:"),
    ),
}
_CLOSINGS = {
    "cong_van": "{org} đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện./.",
    "quyet_dinh": "Chánh Văn phòng, Thủ trưởng các đơn vị liên quan chịu trách nhiệm thi hành "
    "Quyết định này./.",
    "to_trinh": "{org} kính trình Ủy ban nhân dân xem xét, phê duyệt./.",
    "bao_cao": "Trên đây là báo cáo kết quả thực hiện của {org}./.",
    "thong_bao": "{org} thông báo để các cơ quan, đơn vị biết, thực hiện./.",
    "ke_hoach": "Trên đây là Kế hoạch {topic}; đề nghị các đơn vị triển khai thực hiện./.",
    "giay_moi": "Rất mong các đại biểu tham dự đúng thời gian, địa điểm./.",
    "bien_ban": "Biên bản kết thúc vào lúc 16 giờ 30 cùng ngày, đã đọc lại cho các thành viên "
    "cùng nghe và nhất trí./.",
    "hop_dong": "Hợp đồng được lập thành 04 bản có giá trị pháp lý như nhau, mỗi bên giữ 02 bản./.",
}

_TASKS = (
    "Rà soát, tổng hợp số liệu",
    "Xây dựng kế hoạch chi tiết",
    "Tổ chức tập huấn nghiệp vụ",
    "Kiểm tra, giám sát tại cơ sở",
    "Sơ kết, đánh giá kết quả",
    "Báo cáo tổng hợp",
    "Tuyên truyền, phổ biến",
)
_ROLES = ("Tổ trưởng", "Tổ phó", "Thành viên", "Thành viên", "Thư ký")


def annex(rng: random.Random, ctx: dict[str, str], people: list[str]) -> dict[str, object]:
    """An annex page's subtitle and table (a list of members, or of tasks with deadlines).

    Args:
        rng: the document's generator.
        ctx: the prose slots.
        people: names to list as members.
    """
    if rng.random() < 0.5:
        rows = [[str(i + 1), p, _ROLES[min(i, 4)]] for i, p in enumerate(people)]
        return {
            "subtitle": "Danh sách thành viên",
            "head": ["STT", "Họ và tên", "Nhiệm vụ"],
            "rows": rows,
        }
    tasks = rng.sample(_TASKS, rng.randint(4, len(_TASKS)))
    rows = [[str(i + 1), t, f"Quý {rng.randint(1, 4)}/{ctx['year']}"] for i, t in enumerate(tasks)]
    return {
        "subtitle": "Nội dung và tiến độ thực hiện",
        "head": ["STT", "Nội dung công việc", "Thời gian"],
        "rows": rows,
    }


@dataclass
class Plan:
    """Everything a document says, drawn from its seed before anything is drawn."""

    layout: str
    issuer: li.Issuer
    fields: dict[str, str]
    titles: list[str]
    items: list[str]  # "Nơi nhận" items as printed, without dashes and end marks
    ctx: dict[str, str]
    kinh_gui: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)


def plan_document(rng: random.Random, layout: str) -> Plan:
    """Draw a document's issuer, fields and prose slots."""
    issuer = li.pick_issuer(rng)
    year = issuer.year
    start = date(year, 7, 1) if year >= 2025 else date(year, 1, 1)
    issued = start + timedelta(days=rng.randrange((date(year, 12, 31) - start).days))
    title, abbr = TITLES.get(layout, ("", ""))
    ctx = context(rng, issuer.title, issuer.place, issued)
    region = rng.choice(("north", "central", "south"))
    people = [synth._person(rng, region, rng.choice(("male", "female"))) for _ in range(5)]
    titles = li.signer_titles(issuer, rng)
    rank = li.signer_rank(issuer, rng)
    sub = issuer.symbol if rng.random() < 0.3 else rng.choice(li.SUB_UNITS)
    items = [i for i in noi_nhan(rng, sub) if layout == "quyet_dinh" or "Điều" not in i]
    fields = {
        "so_ky_hieu": f"{rng.randint(1, 2999)}/{li.number_symbol(issuer, abbr, rng)}",
        "ngay_ban_hanh": issued.isoformat(),
        "dia_danh": issuer.place,
        "co_quan_chu_quan": issuer.chu_quan,
        "co_quan_ban_hanh": issuer.ban_hanh,
        "loai_van_ban": title.capitalize() if title else "Công văn",
        "trich_yeu": summary(layout, rng, ctx),
        "chuc_vu_nguoi_ky": " ".join(titles),
        "cap_bac_nguoi_ky": rank,
        "nguoi_ky": people[0],
        "noi_nhan": "; ".join(items),
    }
    kinh_gui = recipients(rng) if layout == "cong_van" else []
    return Plan(layout, issuer, fields, titles, items, ctx, kinh_gui, people)
