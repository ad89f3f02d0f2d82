"""Dossier models: one pydantic model per record type, every field a FieldValue.

Field names follow DESIGN.md (snake_case Vietnamese without diacritics). Each field carries
its printed label in Vietnamese as the JSON Schema title, and TTHC results carry the
Decree 30/2020 Annex VI tag of the metadata element they fill.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from schemas.models import (
    BIRTH_FIELDS,
    DEATH_FIELDS,
    ENTRY_EXTRAS,
    MARRIAGE_FIELDS,
    SCHEMA_VERSION,
    TTHC_FIELDS,
    FieldValue,
)

LABELS: dict[str, str] = {
    "so": "Số",
    "quyen_so": "Quyển số",
    "ho_ten": "Họ, chữ đệm, tên",
    "gioi_tinh": "Giới tính",
    "ngay_sinh": "Ngày, tháng, năm sinh",
    "ngay_sinh_bang_chu": "Ngày, tháng, năm sinh ghi bằng chữ",
    "dan_toc": "Dân tộc",
    "quoc_tich": "Quốc tịch",
    "noi_sinh": "Nơi sinh",
    "que_quan": "Quê quán",
    "so_dinh_danh": "Số định danh cá nhân",
    "ho_ten_me": "Họ, chữ đệm, tên người mẹ",
    "nam_sinh_me": "Năm sinh (mẹ)",
    "dan_toc_me": "Dân tộc (mẹ)",
    "quoc_tich_me": "Quốc tịch (mẹ)",
    "noi_cu_tru_me": "Nơi cư trú (mẹ)",
    "ho_ten_cha": "Họ, chữ đệm, tên người cha",
    "nam_sinh_cha": "Năm sinh (cha)",
    "dan_toc_cha": "Dân tộc (cha)",
    "quoc_tich_cha": "Quốc tịch (cha)",
    "noi_cu_tru_cha": "Nơi cư trú (cha)",
    "nguoi_di_khai": "Người đi khai",
    "noi_dang_ky": "Nơi đăng ký",
    "ngay_dang_ky": "Ngày, tháng, năm đăng ký",
    "ho_ten_chong": "Họ, chữ đệm, tên người chồng",
    "ngay_sinh_chong": "Ngày sinh (chồng)",
    "dan_toc_chong": "Dân tộc (chồng)",
    "quoc_tich_chong": "Quốc tịch (chồng)",
    "noi_cu_tru_chong": "Nơi cư trú (chồng)",
    "so_dinh_danh_chong": "Số định danh (chồng)",
    "ho_ten_vo": "Họ, chữ đệm, tên người vợ",
    "ngay_sinh_vo": "Ngày sinh (vợ)",
    "dan_toc_vo": "Dân tộc (vợ)",
    "quoc_tich_vo": "Quốc tịch (vợ)",
    "noi_cu_tru_vo": "Nơi cư trú (vợ)",
    "so_dinh_danh_vo": "Số định danh (vợ)",
    "noi_cu_tru": "Nơi cư trú cuối cùng",
    "ngay_chet": "Ngày chết",
    "gio_chet": "Giờ chết",
    "noi_chet": "Nơi chết",
    "nguyen_nhan_chet": "Nguyên nhân chết",
    "ghi_chu": "Ghi chú",
    "so_ky_hieu": "Số và ký hiệu văn bản",
    "ngay_ban_hanh": "Ngày, tháng, năm văn bản",
    "dia_danh": "Địa danh",
    "co_quan_chu_quan": "Cơ quan chủ quản",
    "co_quan_ban_hanh": "Tên cơ quan, tổ chức ban hành văn bản",
    "loai_van_ban": "Tên loại văn bản",
    "trich_yeu": "Trích yếu nội dung",
    "nguoi_ky": "Họ và tên người ký văn bản",
    "chuc_vu_nguoi_ky": "Chức vụ của người ký văn bản",
    "cap_bac_nguoi_ky": "Cấp bậc, học hàm, học vị người ký",
    "noi_nhan": "Nơi nhận",
    "trang_so": "Trang số (của sổ)",
    "loai_dang_ky": "Loại đăng ký",
    "ngay_sinh_me": "Ngày, tháng, năm sinh (mẹ)",
    "ngay_sinh_cha": "Ngày, tháng, năm sinh (cha)",
    "loai_cu_tru_me": "Loại cư trú (mẹ)",
    "loai_cu_tru_cha": "Loại cư trú (cha)",
    "loai_cu_tru_chong": "Loại cư trú (chồng)",
    "loai_cu_tru_vo": "Loại cư trú (vợ)",
    "loai_cu_tru": "Loại cư trú",
    "quan_he_nguoi_di_khai": "Quan hệ của người đi khai",
    "giay_to_nguoi_di_khai": "Loại giấy tờ tùy thân (người đi khai)",
    "so_giay_to_nguoi_di_khai": "Số giấy tờ tùy thân (người đi khai)",
    "ngay_cap_giay_to_nguoi_di_khai": "Ngày cấp giấy tờ (người đi khai)",
    "noi_cap_giay_to_nguoi_di_khai": "Nơi cấp giấy tờ (người đi khai)",
}

#: Decree 30/2020 Annex VI metadata tags filled by TTHC fields.
ANNEX_VI: dict[str, str] = {
    "so_ky_hieu": "CodeNumber + CodeNotation",
    "ngay_ban_hanh": "IssuedDate",
    "co_quan_ban_hanh": "OrganName",
    "loai_van_ban": "TypeName",
    "trich_yeu": "Subject",
    "nguoi_ky": "SignerInfo.FullName",
    "chuc_vu_nguoi_ky": "SignerInfo.Position",
    "noi_nhan": "To.OrganName",
}

DATE_FIELDS = {
    "ngay_sinh",
    "ngay_dang_ky",
    "ngay_sinh_chong",
    "ngay_sinh_vo",
    "ngay_chet",
    "ngay_ban_hanh",
    "ngay_sinh_me",
    "ngay_sinh_cha",
    "ngay_cap_giay_to_nguoi_di_khai",
}
YEAR_FIELDS = {"nam_sinh_me", "nam_sinh_cha"}


class Dossier(BaseModel):
    """Common part of every dossier record."""

    model_config = ConfigDict(extra="forbid")
    schema_version: str = SCHEMA_VERSION


def _field(name: str) -> tuple[Any, Any]:
    desc = (
        "ISO date YYYY-MM-DD"
        if name in DATE_FIELDS
        else ("year YYYY" if name in YEAR_FIELDS else "text as printed, NFC")
    )
    extra: dict[str, Any] | None = {"annex_vi": ANNEX_VI[name]} if name in ANNEX_VI else None
    return (
        FieldValue | None,
        Field(
            default=None, title=LABELS.get(name, name), description=desc, json_schema_extra=extra
        ),
    )


def _model(name: str, doc: str, fields: tuple[str, ...]) -> type[Dossier]:
    model = create_model(name, __base__=Dossier, **{f: _field(f) for f in fields})  # type: ignore[call-overload]
    model.__doc__ = doc
    return model


_BIRTH = (*BIRTH_FIELDS, *ENTRY_EXTRAS["khai_sinh"])
_MARRIAGE = (*MARRIAGE_FIELDS, *ENTRY_EXTRAS["ket_hon"])
_DEATH = (*DEATH_FIELDS, *ENTRY_EXTRAS["khai_tu"])
BirthExtract = _model("BirthExtract", "Trích lục khai sinh.", _BIRTH)
BirthEntry = _model("BirthEntry", "Một dòng sổ đăng ký khai sinh.", (*_BIRTH, "ghi_chu"))
MarriageExtract = _model("MarriageExtract", "Trích lục kết hôn.", _MARRIAGE)
MarriageEntry = _model("MarriageEntry", "Một dòng sổ đăng ký kết hôn.", (*_MARRIAGE, "ghi_chu"))
DeathExtract = _model("DeathExtract", "Trích lục khai tử.", _DEATH)
DeathEntry = _model("DeathEntry", "Một dòng sổ đăng ký khai tử.", (*_DEATH, "ghi_chu"))
TthcResult = _model("TthcResult", "Kết quả giải quyết TTHC (NĐ 30/2020, Phụ lục VI).", TTHC_FIELDS)

#: Record schema name → model (register entries use the "so_" names).
DOSSIERS: dict[str, type[Dossier]] = {
    "khai_sinh": BirthExtract,
    "so_khai_sinh": BirthEntry,
    "ket_hon": MarriageExtract,
    "so_ket_hon": MarriageEntry,
    "khai_tu": DeathExtract,
    "so_khai_tu": DeathEntry,
    "tthc": TthcResult,
}


def to_dossier(schema: str, fields: dict[str, FieldValue]) -> Dossier:
    """Validate a record's fields against its dossier model."""
    return DOSSIERS[schema].model_validate(fields)


def export_json_schemas(directory: Path) -> list[Path]:
    """Write one JSON Schema file per dossier model; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in DOSSIERS.items():
        schema = model.model_json_schema()
        schema["$id"] = f"https://sohoa.invalid/schemas/{name}-v{SCHEMA_VERSION}.json"
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
        paths.append(path)
    return paths
