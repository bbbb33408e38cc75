"""Hostile inputs, generated (nothing binary is committed): what an attacker or a broken
scanner puts in an archive.

Every builder writes into a folder it is given, from the bundled samples or from
``tests.pdfgen`` forms, with a fixed seed, so a failure can be reproduced:

- ``bit_flipped``: copies of a form with 1-8 random bits flipped (seeded per copy);
- ``surrogate_pdf`` / ``nul_pdf`` / ``private_use_pdf`` / ``no_tounicode_pdf``: a font's
  ToUnicode map pointing glyphs at lone surrogates, NUL or private-use code points, or
  removed (the text layer turns into control characters);
- ``huge_page_pdf``: an 8 KB PDF with one 14,400 pt page holding an image (a pixel bomb
  for OCR), and its text-layer twin (a form drawn on the huge page);
- ``many_images_pdf``: a page with hundreds of tiny images;
- ``vector_noise_pdf``: a page of tens of thousands of random ruling lines;
- ``zip_bombs``: a member inflating 1000x, a member whose header lies about its size, a
  zip nested past the depth limit, path traversal, an encrypted-looking member;
- ``symlink_loops``: ``a.pdf → b.pdf → a.pdf``, ``self.pdf → self.pdf``, a folder linking
  to its parent, a dangling link, a FIFO;
- ``xss_pdf``: a form whose cells hold script, iframe, image, form and style markup;
- ``non_numeric_pdf``: a form whose 全年执行数 is ``八万元整abc``.

``python -m tests.hostile_gen batch ARCHIVE OUT DB [--workers N]`` runs ``jixiao batch`` as
a child process and prints the exit code and the peak RSS of the largest process of the
batch (batch process or worker) as JSON, for the hostile suite and by hand.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pymupdf

from tests.pdfgen import Indicator, SelfEval, build

REPO = Path(__file__).resolve().parents[1]
SELF_EVAL = REPO / "samples" / "sample-self-eval.pdf"
TARGET = REPO / "samples" / "sample-target-decl.pdf"
MB = 1024 * 1024

XSS = (
    '<script>document.title="pwned"</script>',
    '<iframe srcdoc="<script>parent.pwned=1</script>"></iframe>',
    '<img src="http://127.0.0.1:9/x.png" onerror="window.pwned=1">',
    '<form action="http://127.0.0.1:9/"><button>Approve</button></form>',
    "<style>body{display:none}</style>",
)


def form(project: str = "档案数字化加工项目", executed: str = "106.20", **kw: str) -> SelfEval:
    """A correct one-page self-evaluation (its values can be swapped for hostile text)."""
    base = SelfEval(
        year=2022,
        project_name=project,
        department=kw.get("department", "某市档案局"),
        implementing_unit=kw.get("implementing_unit", "某市档案馆"),
        funds={
            "total": ("120.50", "118.00", executed, "10", "90.00", "9.00"),
            "current_year": ("100.00", "98.00", "90.20", "-", "92.04", "-"),
            "carryover": ("20.50", "20.00", "16.00", "-", "80.00", "-"),
            "other": ("0.00", "0.00", "0.00", "-", "0.00", "-"),
        },
        goal_expected="完成馆藏档案数字化加工",
        goal_actual="完成数字化加工三万卷",
        indicators=[
            Indicator(
                "产出指标",
                "数量指标",
                kw.get("indicator", "加工卷数"),
                "≥30000卷",
                "30500卷",
                "30",
                "30",
            ),
            Indicator("产出指标", "质量指标", "验收合格率", "≥98%", "99%", "20", "20"),
            Indicator("效益指标", "社会效益指标", "查档效率提升", "显著", "达成", "30", "27"),
            Indicator(
                "满意度指标", "服务对象满意度指标", "查档者满意度", "≥90%", "93%", "10", "10"
            ),
        ],
        total_score="96",
        grade="优",
    )
    return base


def bit_flipped(src: Path, out: Path, n: int, seed: int = 14) -> list[Path]:
    """``n`` copies of ``src`` with 1-8 random bits flipped each (copy i uses seed+i)."""
    data = src.read_bytes()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        rng = random.Random(seed * 100_003 + i)
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(buf))
            buf[pos] ^= 1 << rng.randrange(8)
        p = out / f"{src.stem}-flip-{i:03d}.pdf"
        p.write_bytes(bytes(buf))
        paths.append(p)
    return paths


def _retarget_tounicode(src: Path, dst: Path, targets: list[str], every: int = 1) -> Path:
    """Point bfchar entries of every ToUnicode map at ``targets`` (cycled; every
    ``every``-th entry), as a hostile or bit-flipped map would."""
    doc = pymupdf.open(src)
    pat = re.compile(rb"(<[0-9A-Fa-f]{2,4}>\s*)<([0-9A-Fa-f]{4,8})>")
    for x in range(1, doc.xref_length()):
        kind, val = doc.xref_get_key(x, "ToUnicode")
        if kind != "xref":
            continue
        ref = int(val.split()[0])
        stream = doc.xref_stream(ref)
        count = 0

        def swap(m: re.Match[bytes]) -> bytes:
            nonlocal count
            count += 1
            if count % every:
                return m.group(0)
            t = targets[(count // every) % len(targets)]
            return m.group(1) + b"<" + t.encode() + b">"

        doc.update_stream(ref, pat.sub(swap, stream))
    doc.save(dst)
    doc.close()
    return dst


def surrogate_pdf(dst: Path, src: Path = SELF_EVAL) -> Path:
    """Glyphs mapped to lone surrogates (``<DC01>``, ``<D800>``): one in forty."""
    return _retarget_tounicode(src, dst, ["DC01", "D800", "DFFF"], every=40)


def nul_pdf(dst: Path, src: Path = SELF_EVAL) -> Path:
    """Glyphs mapped to NUL, one in seven (MuPDF falls back to the glyph's code: stray
    control characters)."""
    return _retarget_tounicode(src, dst, ["0000"], every=7)


def private_use_pdf(dst: Path, src: Path = SELF_EVAL) -> Path:
    """Most glyphs mapped to private-use code points (a font without a real map)."""
    return _retarget_tounicode(src, dst, ["E001", "E002", "F8FF", "E0A5"], every=1)


def no_tounicode_pdf(dst: Path, src: Path = SELF_EVAL) -> Path:
    """Every font's ToUnicode map removed: the text layer reads as control characters."""
    doc = pymupdf.open(src)
    for x in range(1, doc.xref_length()):
        if doc.xref_get_key(x, "ToUnicode")[0] == "xref":
            doc.xref_set_key(x, "ToUnicode", "null")
    doc.save(dst)
    doc.close()
    return dst


def _png(w: int = 8, h: int = 8) -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, w, h), False)
    pix.clear_with(200)
    return pix.tobytes("png")


def huge_page_pdf(dst: Path, side: float = 14_400.0, text: bool = False) -> Path:
    """One ``side`` × ``side`` pt page (the PDF maximum) covered by a small image, or with
    the sample form drawn over it (``text``: the text-layer twin)."""
    doc = pymupdf.open()
    page = doc.new_page(width=side, height=side)
    if text:
        src = pymupdf.open(SELF_EVAL)
        page.show_pdf_page(page.rect, src, 0)
        src.close()
    else:
        page.insert_image(page.rect, stream=_png())
    doc.save(dst, garbage=4, deflate=True)
    doc.close()
    return dst


def many_images_pdf(dst: Path, n: int = 700) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    png = _png(4, 4)
    for i in range(n):
        x, y = (i % 40) * 14 + 10, (i // 40) * 14 + 10
        page.insert_image(pymupdf.Rect(x, y, x + 12, y + 12), stream=png)
    doc.save(dst)
    doc.close()
    return dst


def vector_noise_pdf(dst: Path, segments: int = 60_000, seed: int = 14) -> Path:
    """A page of ``segments`` short random ruling lines around a 项目名称 label (the table
    finder's time grows with their square)."""
    doc = pymupdf.open()
    page = doc.new_page()
    shape = page.new_shape()
    rng = random.Random(seed)
    for _ in range(segments // 2):
        x, y = rng.uniform(0, 595), rng.uniform(0, 842)
        shape.draw_line((x, y), (x + rng.uniform(-50, 50), y))
        shape.draw_line((x, y), (x, y + rng.uniform(-50, 50)))
    shape.finish(width=0.5)
    shape.commit()
    page.insert_text((50, 50), "项目名称", fontname="china-s")
    doc.save(dst, deflate=True)
    doc.close()
    return dst


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _lying_sizes(data: bytes, name: str, claimed: int) -> bytes:
    """The zip with ``name``'s uncompressed size fields rewritten to ``claimed`` (local
    header and central directory): the header lies, the data inflates to what it is."""
    out = bytearray(data)
    raw = name.encode()
    for sig, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        i = out.find(sig)
        while i >= 0:
            n = struct.unpack_from("<H", out, i + (26 if sig == b"PK\x03\x04" else 28))[0]
            if bytes(out[i + name_at : i + name_at + n]) == raw:
                struct.pack_into("<I", out, i + size_at, claimed)
            i = out.find(sig, i + 4)
    return bytes(out)


def zip_bombs(out: Path, inflate_mb: int = 64) -> dict[str, Path]:
    """Archive tricks, each in its own zip (the good member in each must still be read)."""
    out.mkdir(parents=True, exist_ok=True)
    good = SELF_EVAL.read_bytes() + b"\n%zip member\n"
    zeros = b"\0" * (inflate_mb * MB)
    paths = {
        "bomb": _zip({"bomb.pdf": b"%PDF-1.7\n" + zeros, "good.pdf": good}),
        "liar": _lying_sizes(
            _zip({"liar.pdf": b"%PDF-1.7\n" + zeros[: 8 * MB], "good.pdf": good + b"2"}),
            "liar.pdf",
            1000,
        ),
        "deep": _zip({"a.zip": _zip({"b.zip": _zip({"c.pdf": good + b"3"})})}),
        "traversal": _zip({"../../etc/evil.pdf": good, "/abs.pdf": good, "ok.pdf": good + b"4"}),
        "not-a-zip": b"PK\x03\x04 this is not a zip at all",
    }
    written = {}
    for name, data in paths.items():
        p = out / f"{name}.zip"
        p.write_bytes(data)
        written[name] = p
    return written


def symlink_loops(out: Path) -> list[Path]:
    """Links that loop, dangle or climb, and a FIFO (which would block a reader)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "a.pdf").symlink_to("b.pdf")
    (out / "b.pdf").symlink_to("a.pdf")
    (out / "self.pdf").symlink_to("self.pdf")
    (out / "dangling.pdf").symlink_to("nowhere/missing.pdf")
    (out / "up").symlink_to("..", target_is_directory=True)
    made = [out / n for n in ("a.pdf", "b.pdf", "self.pdf", "dangling.pdf", "up")]
    if hasattr(os, "mkfifo"):
        os.mkfifo(out / "fifo.pdf")
        made.append(out / "fifo.pdf")
    return made


def xss_pdf(dst: Path) -> Path:
    """A form whose project name, department and an indicator hold markup payloads."""
    f = form(project=XSS[1], department=XSS[0], implementing_unit=XSS[2], indicator=XSS[3] + XSS[4])
    build([(f, None)], dst)
    return dst


def non_numeric_pdf(dst: Path, executed: str = "八万元整abc") -> Path:
    build([(form(executed=executed), None)], dst)
    return dst


def undecodable_name(folder: Path, data: bytes) -> Path | None:
    """A PDF whose file name is not UTF-8 (bytes 0xff 0xfe), where the file system allows it."""
    name = os.fsdecode(b"\xff\xfe-form.pdf")
    p = folder / name
    try:
        p.write_bytes(data)
    except (OSError, UnicodeError):
        return None
    return p


def run_batch_measured(
    archive: Path, out: Path, db_url: str, workers: int = 1, timeout: float = 900
) -> dict[str, object]:
    """``jixiao batch`` as a child process; its exit code, stderr, and the peak RSS of its
    largest process (the batch process or a worker it waited for), from ``getrusage``."""
    cmd = [sys.executable, "-m", "jixiao.cli", "batch", str(archive), "--out", str(out)]
    cmd += ["--db", db_url, "--workers", str(workers), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"rc": proc.returncode, "stderr": proc.stderr, "peak_rss_mb": peak_kb / 1024}


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[0] != "batch":
        print(__doc__)
        return 2
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    res = run_batch_measured(Path(argv[1]), Path(argv[2]), argv[3], workers)
    print(json.dumps(res, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
