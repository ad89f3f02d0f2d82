"""The real pages row: sohoa on the few real documents of ``../shared/real/`` (a development set).

The folder's ``truth.json`` gives, per document, the fields a clerk would key and which of them
are handwritten; a photographed page comes with its text (``.txt``). Each document is read with
``sohoa process`` (the offline contract, as another tool would) and scored field by field: a
field counts from the document's own JSON when sohoa writes one, else from the first page whose
record has it. Values are compared like ``../shared/hooks/real_check.py`` does (NFC, Ð→Đ,
casefold, trailing punctuation stripped). The photo's text is compared (CER) with bare Tesseract
on the same file.

These pages are few and used while developing: the row shows real failure modes; it is not a
figure to tune to.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench import baselines, metrics

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
#: Environment variable that points the row at another folder.
ENV_DIR = "SOHOA_REAL_DIR"
#: Seconds ``sohoa process`` may take on the whole folder.
PROCESS_TIMEOUT = 600


def real_dir(environ: Mapping[str, str]) -> Path:
    """The real pages folder: ``$SOHOA_REAL_DIR``, else ``../shared/real`` beside the checkout."""
    return Path(environ.get(ENV_DIR) or Path(ROOT).parent / "shared" / "real")


def norm(value: Any) -> str:
    """A value as compared on real pages: NFC, Ð→Đ, spaces collapsed, casefolded, no end dots."""
    s = unicodedata.normalize("NFC", str(value)).replace("\u00d0", "\u0110")
    return " ".join(s.split()).casefold().rstrip(".;:,")


def fields_of(out: Path, stem: str) -> dict[str, dict[str, Any]]:
    """The first non-empty value of each field sohoa wrote for one input file.

    From ``<stem>.json`` when sohoa wrote a document-level file, else from the page files
    ``<stem>-p*.json`` in page order.
    """
    whole = out / f"{stem}.json"
    files = [whole] if whole.exists() else sorted(out.glob(f"{stem}-p*.json"))
    got: dict[str, dict[str, Any]] = {}
    for f in files:
        for rec in json.loads(f.read_text(encoding="utf-8")).get("records") or []:
            for name, fv in (rec.get("fields") or {}).items():
                if fv and fv.get("value") not in (None, "") and name not in got:
                    got[name] = fv
    return got


def score_document(got: Mapping[str, Mapping[str, Any]], spec: Mapping[str, Any]) -> dict:
    """Fields right, auto-accepted, wrong auto-accepted and handwritten auto-accepted.

    Args:
        got: field name → predicted field (``value``, ``needs_review``), from :func:`fields_of`.
        spec: the document's entry of ``truth.json`` (``fields``, ``handwritten``).

    Returns:
        Counts (``fields``, ``right``, ``typed_right`` — right among the fields not written by
        hand, what issue 18's "typed fields" target counts —, ``accepted``, ``wrong_accepted``,
        ``hand_fields``, ``hand_accepted``, ``hand_wrong_accepted``) and ``wrong``: the
        auto-accepted wrong values as (field, read, truth).
    """
    hand = set(spec.get("handwritten") or ())
    c = dict.fromkeys(
        (
            "right",
            "typed_right",
            "accepted",
            "wrong_accepted",
            "hand_accepted",
            "hand_wrong_accepted",
        ),
        0,
    )
    wrong = []
    for name, want in spec["fields"].items():
        fv = got.get(name)
        ok = bool(fv) and norm(fv["value"]) == norm(want)
        acc = bool(fv) and fv.get("needs_review") is False
        c["right"] += ok
        c["typed_right"] += ok and name not in hand
        c["accepted"] += acc
        c["wrong_accepted"] += acc and not ok
        c["hand_accepted"] += acc and name in hand
        c["hand_wrong_accepted"] += acc and not ok and name in hand
        if acc and not ok:
            wrong.append((name, str(fv["value"]), str(want)))
    return {"fields": len(spec["fields"]), "hand_fields": len(hand), **c, "wrong": wrong}


def _run_process(files: list[Path], out: Path) -> str:
    """``sohoa process FILES --out OUT`` in a child process; its error output when it failed."""
    cmd = [sys.executable, "-m", "flows.cli", "process", *map(str, files), "--out", str(out)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    log.info("real pages: %s", " ".join(cmd))
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return f"sohoa process ran over {PROCESS_TIMEOUT} s"
    return "" if proc.returncode == 0 else (proc.stderr or proc.stdout)[-500:]


def _photo_cer(folder: Path, stem: str, spec: Mapping[str, Any], out: Path, lang: str) -> dict:
    ref = (folder / spec["text"]).read_text(encoding="utf-8")
    image = folder / spec["file"]
    page = out / f"{stem}.json"
    files = [page] if page.exists() else sorted(out.glob(f"{stem}-p*.json"))
    texts = [json.loads(f.read_text(encoding="utf-8")).get("text") or "" for f in files]
    row: dict[str, Any] = {"sohoa_cer": metrics.cer("\n".join(texts), ref) if files else None}
    try:
        row["tesseract_cer"] = metrics.cer(baselines.bare_tesseract_text(image, lang=lang), ref)
    except Exception as exc:  # noqa: BLE001 - a failing baseline is reported, not fatal
        row["tesseract_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return row


def run_real(folder: Path, *, lang: str = "vie") -> dict[str, Any]:
    """Read and score the real pages of ``folder``.

    Returns:
        ``{"dir", "documents": {stem: score}, "photos": {stem: CERs}}``, with ``"error"`` when
        ``sohoa process`` failed; ``{"dir", "skipped": why}`` when there is nothing to read.
    """
    truth_path = folder / "truth.json"
    if not truth_path.is_file():
        return {"dir": str(folder), "skipped": f"no truth.json in {folder}"}
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    docs = {k: v for k, v in truth.items() if (folder / v.get("file", "")).is_file()}
    if not docs:
        return {"dir": str(folder), "skipped": f"none of truth.json's files are in {folder}"}
    result: dict[str, Any] = {"dir": str(folder), "documents": {}, "photos": {}}
    with tempfile.TemporaryDirectory(prefix="sohoa-real-") as tmp:
        out = Path(tmp)
        error = _run_process([folder / v["file"] for v in docs.values()], out)
        if error:
            result["error"] = error
        for stem, spec in docs.items():
            if spec.get("fields"):
                result["documents"][stem] = score_document(fields_of(out, stem), spec)
            if spec.get("text") and (folder / spec["text"]).is_file():
                result["photos"][stem] = _photo_cer(folder, stem, spec, out, lang)
    return result


def _pct(num: float | None) -> str:
    return "–" if num is None else f"{num * 100:.1f} %"


def _typed(d: Mapping[str, Any]) -> str:
    """Typed fields right of all typed fields, and the share."""
    n = d["fields"] - d["hand_fields"]
    return f"{d.get('typed_right', 0)}/{n} ({_pct(d.get('typed_right', 0) / n if n else None)})"


def render_real(result: Mapping[str, Any]) -> list[str]:
    """The report section "Real pages (../shared/real, development set)" as markdown lines."""
    lines = ["## Real pages (../shared/real, development set)", ""]
    if "skipped" in result:
        return [*lines, f"Skipped: {result['skipped']} (set {ENV_DIR} to the folder)."]
    lines += [
        f"Folder: {result['dir']}. Few pages, read while developing: not a figure to tune to."
    ]
    if result.get("error"):
        lines += ["", f"`sohoa process` failed: {result['error']}"]
    lines += [
        "",
        "| document | fields right | typed fields right | auto-accepted | wrong auto-accepted "
        "| handwritten auto-accepted (wrong) |",
        "|---|---|---|---|---|---|",
    ]
    keys = ("fields", "right", "typed_right", "hand_fields", "accepted", "wrong_accepted")
    total = dict.fromkeys(keys, 0)
    for stem, d in result.get("documents", {}).items():
        for k in total:
            total[k] += d.get(k, 0)
        lines.append(
            f"| {stem} | {d['right']}/{d['fields']} | {_typed(d)} | {d['accepted']} "
            f"| {d['wrong_accepted']} "
            f"| {d['hand_accepted']} of {d['hand_fields']} ({d['hand_wrong_accepted']}) |"
        )
    acc = total["accepted"]
    lines.append(
        f"| all | {total['right']}/{total['fields']} | {_typed(total)} | {acc} "
        f"| {total['wrong_accepted']} "
        f"(precision {_pct((acc - total['wrong_accepted']) / acc if acc else None)}) | |"
    )
    wrong = [(s, w) for s, d in result.get("documents", {}).items() for w in d["wrong"]]
    if wrong:
        lines += ["", "Wrong values auto-accepted (they would enter the database unseen):"]
        lines += [f"- {s}: `{n}` read “{got}”, truth “{want}”" for s, (n, got, want) in wrong]
    for stem, p in result.get("photos", {}).items():
        tess = _pct(p.get("tesseract_cer")) if "tesseract_cer" in p else p.get("tesseract_error")
        lines += [
            "",
            f"Photo {stem}: CER sohoa {_pct(p.get('sohoa_cer'))}, bare Tesseract (psm 3) {tess} "
            "(the text truth is approximate).",
        ]
    return lines
