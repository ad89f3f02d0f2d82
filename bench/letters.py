"""Documents bench (#18): multi-page Decree-30 documents read as a user reads them.

``python -m bench.letters [--docs 24] [--seed 31] [--out FILE]`` renders ``--docs`` documents
of 2–4 pages (:mod:`bench.corpus.letters`; cached under ``var/bench/letters-<seed>-<n>/``),
each as one multi-page PDF or TIFF with one mild capture, runs ``sohoa process FILE --out
DIR``'s own code on each (:func:`flows.offline.process_one`, one file at a time) and scores
``DIR/<stem>.json``:

- documents: was the file found to be one document holding all its pages?
- fields: the record of the document that holds page 1, field by field against the truth,
  values compared as on the real pages (:func:`bench.real.norm`: NFC, Ð→Đ, spaces collapsed,
  casefolded, trailing ".;:," stripped). Only fields the document prints count; a field whose
  value holds the clerk's handwriting is counted apart from the typed ones. "Auto-accepted"
  is ``needs_review: false``.

The Markdown report gives per field, per layout, per page position (printed on the first
page or on the signer's page) and the handwritten fields; :func:`write_section` puts it in
BENCHMARKS.md as "## Documents (#18)". Seeds of the calibration (7), the main bench (2020) and
scaling (9) are refused.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench import report
from bench.corpus import letter_scan
from bench.corpus import letters as corpus
from bench.real import norm

ROOT = Path(__file__).resolve().parents[1]
SEED = 31
#: Seeds other benches own: figures on them would not be independent.
TAKEN_SEEDS = {7: "calibration", 2020: "main bench", 9: "scaling"}
HEADER = "## Documents (#18)"
#: Bump when the documents change in a way the cache cannot see.
VERSION = 1
#: Layouts in turn: a công văn every third document, each titled type in each round of 12.
PLAN = (
    "cong_van",
    "quyet_dinh",
    "to_trinh",
    "cong_van",
    "bao_cao",
    "thong_bao",
    "cong_van",
    "ke_hoach",
    "giay_moi",
    "cong_van",
    "bien_ban",
    "hop_dong",
)
TARGET = 0.90
_COPY_WORDS = ("ký bởi", "thời gian ký", "sao y", "bản sao", "cơ quan:")


def doc_seed(seed: int, index: int) -> int:
    """The renderer seed of document ``index`` of a corpus."""
    return seed * 1000 + index


def build(root: Path, n: int, seed: int) -> list[tuple[Path, dict[str, Any]]]:
    """Render the corpus (documents already cached are reused); (file, truth) per document."""
    root.mkdir(parents=True, exist_ok=True)
    docs = []
    for i in range(n):
        stem = f"doc{i + 1:03d}"
        truth_path = root / f"{stem}.truth.json"
        if truth_path.exists():
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            if truth.get("version") == VERSION and (root / truth["file"]).exists():
                docs.append((root / truth["file"], truth))
                continue
        truth = _render(root, stem, seed, i)
        tmp = truth_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(truth_path)
        docs.append((root / truth["file"], truth))
    return docs


def _render(root: Path, stem: str, seed: int, index: int) -> dict[str, Any]:
    rng = random.Random(f"letters-{seed}-{index}")
    s = doc_seed(seed, index)
    images, truth = corpus.render_letter(s, layout=PLAN[index % len(PLAN)])
    recipe = letter_scan.pick_recipe(rng)
    images, truth = letter_scan.degrade_pages(images, truth, s, recipe)
    suffix = ".tif" if rng.random() < 0.3 else ".pdf"
    letter_scan.save_document(images, root / f"{stem}{suffix}", truth["dpi"])
    capture = next((st["op"] for st in recipe if st["op"] in ("jpeg", "scan_bilevel_200")), "")
    return truth | {
        "id": stem,
        "file": f"{stem}{suffix}",
        "capture": capture or "clean",
        "version": VERSION,
    }


def read_document(out: Path, stem: str) -> dict[str, Any]:
    """What ``<stem>.json`` says: documents (their pages) and the fields of page 1's document."""
    path = out / f"{stem}.json"
    if not path.exists():
        return {"documents": [], "fields": {}}
    data = json.loads(path.read_text(encoding="utf-8"))
    docs = data.get("documents") or []
    first = next((d for d in docs if 1 in (d.get("pages") or [])), None)
    records = (first or {}).get("records") or []
    fields = next((r.get("fields") or {} for r in records if r.get("schema") == "tthc"), {})
    return {"documents": [d.get("pages") or [] for d in docs], "fields": fields}


def score(truth: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    """One document's grouping and fields against its truth."""
    pages = list(range(1, truth["pages"] + 1))
    hand = set(truth.get("handwritten") or ())
    fields = {}
    for name, want in truth["fields"].items():
        if not want:
            continue
        fv = got["fields"].get(name) or {}
        value = fv.get("value")
        fields[name] = {
            "want": want,
            "got": value,
            "right": value not in (None, "") and norm(value) == norm(want),
            "accepted": bool(fv) and value not in (None, "") and fv.get("needs_review") is False,
            "hand": name in hand,
            "page": "first" if truth["field_pages"][name] == 1 else "last",
        }
    values = {n: norm(fv.get("value") or "") for n, fv in got["fields"].items()}
    leaked = [n for n, v in values.items() if any(w in v for w in _COPY_WORDS)]
    return {
        "id": truth["id"],
        "layout": truth["layout"],
        "pages": truth["pages"],
        "capture": truth.get("capture", ""),
        "copy_mark": truth.get("copy_mark", False),
        "found": got["documents"],
        "one_document": got["documents"] == [pages],
        "fields": fields,
        "copy_in_fields": leaked,
    }


def run(docs: Sequence[tuple[Path, dict[str, Any]]], work: Path) -> list[dict[str, Any]]:
    """Process each document like ``sohoa process FILE --out DIR`` and score it."""
    from flows.offline import process_one
    from pipeline.config import ProcessOptions

    results = []
    for path, truth in docs:
        out = work / truth["id"]
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        _, error = process_one(path, out, ProcessOptions(), work / "tmp")
        seconds = time.perf_counter() - start
        row = score(truth, read_document(out, path.stem))
        results.append(row | {"seconds": round(seconds, 2), "error": error})
        print(f"{truth['id']} {truth['layout']} {seconds:.1f} s", file=sys.stderr)
    return results


def _tally(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    c = {"n": 0, "right": 0, "accepted": 0, "wrong_accepted": 0}
    for f in items:
        c["n"] += 1
        c["right"] += f["right"]
        c["accepted"] += f["accepted"]
        c["wrong_accepted"] += f["accepted"] and not f["right"]
    return c


def _fields(
    results: Iterable[dict[str, Any]], *, hand: bool, name: str = "", page: str = ""
) -> list[dict[str, Any]]:
    """Scored fields of the results: typed or handwritten, of one field or page if given."""
    return [
        f
        for r in results
        for n, f in r["fields"].items()
        if f["hand"] == hand and name in ("", n) and page in ("", f["page"])
    ]


def _pct(num: int, den: int) -> str:
    return "–" if not den else f"{100 * num / den:.1f} %"


def _cells(c: dict[str, int]) -> str:
    acc, wrong = c["accepted"], c["wrong_accepted"]
    return (
        f"{c['right']}/{c['n']} ({_pct(c['right'], c['n'])}) | {acc} ({_pct(acc, c['n'])}) "
        f"| {wrong} | {_pct(acc - wrong, acc)}"
    )


_COLS = "| right | auto-accepted | wrong auto-accepted | auto-accept precision |"
_RULE = "|---|---|---|---|---|"


def _headline(results: list[dict[str, Any]], wall: float) -> list[str]:
    typed, hand = _tally(_fields(results, hand=False)), _tally(_fields(results, hand=True))
    one = sum(r["one_document"] for r in results)
    pages = sum(r["pages"] for r in results)
    secs = sum(r["seconds"] for r in results)
    leaks = [f"{r['id']}: {', '.join(r['copy_in_fields'])}" for r in results if r["copy_in_fields"]]
    met = "met" if typed["n"] and typed["right"] / typed["n"] >= TARGET else "not met"
    return [
        f"- Documents found as one document holding all their pages: {one}/{len(results)} "
        f"({_pct(one, len(results))}).",
        f"- Typed fields right: {typed['right']}/{typed['n']} ({_pct(typed['right'], typed['n'])}"
        f"; target ≥ {TARGET:.0%}: {met}); auto-accepted {typed['accepted']}, of them wrong "
        f"{typed['wrong_accepted']} (auto-accept precision "
        f"{_pct(typed['accepted'] - typed['wrong_accepted'], typed['accepted'])}).",
        f"- Handwritten fields right: {hand['right']}/{hand['n']}; auto-accepted "
        f"{hand['accepted']}, of them wrong {hand['wrong_accepted']}.",
        f"- Copy-mark text inside a field: {'; '.join(leaks) if leaks else 'none'} "
        f"({sum(r['copy_mark'] for r in results)} documents carry a copy mark).",
        f"- Time: {secs:.0f} s processing for {pages} pages ({secs / max(pages, 1):.1f} s a "
        f"page), {wall:.0f} s wall with rendering; errors: "
        f"{sum(1 for r in results if r['error'])}.",
    ]


def _field_table(results: list[dict[str, Any]]) -> list[str]:
    lines = ["| field (typed) " + _COLS, _RULE]
    for name in corpus.FIELDS:
        c = _tally(_fields(results, hand=False, name=name))
        if c["n"]:
            lines.append(f"| {name} | {_cells(c)} |")
    return [*lines, f"| all typed | {_cells(_tally(_fields(results, hand=False)))} |"]


def _group_table(results: list[dict[str, Any]], key: str, title: str) -> list[str]:
    lines = [
        f"| {title} | documents | one document | typed fields right "
        "| auto-accepted | wrong auto-accepted | auto-accept precision |",
        "|---|---|---|---|---|---|---|",
    ]
    for value in sorted({r[key] for r in results}, key=str):
        group = [r for r in results if r[key] == value]
        c = _tally(_fields(group, hand=False))
        one = sum(r["one_document"] for r in group)
        lines.append(f"| {value} | {len(group)} | {one} | {_cells(c)} |")
    return lines


def _position_table(results: list[dict[str, Any]]) -> list[str]:
    lines = ["| printed on " + _COLS, _RULE]
    for page, label in (("first", "first page (header)"), ("last", "signer's page")):
        lines.append(f"| {label} | {_cells(_tally(_fields(results, hand=False, page=page)))} |")
    return lines


def _hand_table(results: list[dict[str, Any]]) -> list[str]:
    lines = ["| handwritten field " + _COLS, _RULE]
    for name in ("so_ky_hieu", "ngay_ban_hanh"):
        c = _tally(_fields(results, hand=True, name=name))
        lines.append(f"| {name} | {_cells(c)} |")
    return lines


def _grouping(results: list[dict[str, Any]]) -> list[str]:
    split = [r for r in results if not r["one_document"]]
    if not split:
        return ["Every document was found whole (one document, all its pages)."]
    return [
        f"- {r['id']} ({r['layout']}, {r['pages']} pages): documents found {r['found']}"
        for r in split
    ]


def _miss(doc: str, name: str, f: dict[str, Any]) -> str:
    got = "—" if f["got"] in (None, "") else f["got"]
    return f"- {doc} `{name}`: read “{got}”, truth “{f['want']}”"


def _misses(results: list[dict[str, Any]], limit: int = 25) -> list[str]:
    rows = [
        (r["id"], name, f)
        for r in results
        for name, f in r["fields"].items()
        if not f["right"] and not f["hand"]
    ]
    wrong = [x for x in rows if x[2]["accepted"]]
    out = ["Wrong typed values auto-accepted:" if wrong else "No wrong typed value auto-accepted."]
    out += [_miss(*row) for row in wrong]
    out += ["", f"Typed fields not right ({len(rows)}; first {min(limit, len(rows))}):"]
    out += [_miss(*row) for row in rows[:limit]]
    return out


def render(results: list[dict[str, Any]], *, seed: int, command: str, wall: float) -> str:
    """The Markdown report ("## Documents (#18)")."""
    m = report.machine()
    pages = sum(r["pages"] for r in results)
    lines = [
        HEADER,
        "",
        f"`{command}` on {date.today():%Y-%m-%d}: {len(results)} documents, {pages} pages "
        f"(seed {seed}), read one file at a time with `sohoa process FILE --out DIR`'s code "
        f"(`flows.offline.process_one`), `OMP_THREAD_LIMIT=1`. Machine: {m['cpu']}, "
        f"{m['cores']} cores, {m['memory']}; {m['tesseract']}. Fields are those of the "
        "document holding page 1 in `DIR/<stem>.json`; only fields the document prints count; "
        "values compared as on the real pages (NFC, spaces collapsed, casefolded, trailing "
        "“.;:,” stripped).",
        "",
        *_headline(results, wall),
        "",
        "### Per field (typed)",
        "",
        *_field_table(results),
        "",
        "### Per layout",
        "",
        *_group_table(results, "layout", "layout"),
        "",
        "### Per page position",
        "",
        *_position_table(results),
        "",
        "### Handwritten fields (digits written by the clerk)",
        "",
        *_hand_table(results),
        "",
        "### Per capture",
        "",
        *_group_table(results, "capture", "capture"),
        "",
        "### Grouping",
        "",
        *_grouping(results),
        "",
        *_misses(results),
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Put the section in BENCHMARKS.md: replace an older one, else insert it before scaling.

    "## Scaling (#9)" stays the file's last section (see :func:`bench.scaling.write_section`).
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(
        report.put_section(text, HEADER, section, before="## Scaling (#9)"), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    """Render, read and score the documents; print the report (and write it with --out)."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--docs", type=int, default=24)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    ap.add_argument(
        "--benchmarks", type=Path, default=None, help="put the section in this BENCHMARKS.md"
    )
    args = ap.parse_args(argv)
    if args.seed in TAKEN_SEEDS:
        print(
            f"seed {args.seed} belongs to the {TAKEN_SEEDS[args.seed]}: choose another",
            file=sys.stderr,
        )
        return 2
    from bench.corpus import names

    names.activate()  # names the product's lists lack, as in the main bench
    start = time.perf_counter()
    root = ROOT / "var" / "bench" / f"letters-{args.seed}-{args.docs}"
    docs = build(root, args.docs, args.seed)
    with tempfile.TemporaryDirectory(prefix="sohoa-letters-") as tmp:
        results = run(docs, Path(tmp))
    wall = time.perf_counter() - start
    (root / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    command = "python -m bench.letters" + "".join(
        f" {flag} {value}" for flag, value in (("--docs", args.docs), ("--seed", args.seed))
    )
    text = render(results, seed=args.seed, command=command, wall=wall)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.benchmarks:
        write_section(args.benchmarks, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
