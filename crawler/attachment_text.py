"""Text of attached documents: PDF, DOCX, XLSX, XLS, DOC/WPS and OFD bytes → text, pages, error.

Pure functions over bytes; no Scrapy. Each format is read by a well-kept library (pypdf, python-docx,
openpyxl, xlrd) or Debian's catdoc/antiword for the old Word/WPS binary format; OFD (GB/T 33190) has no
maintained Python reader, so its page XML is read here with zipfile and lxml. Every reader is bounded:
zip members are checked against a total uncompressed size before anything is inflated (a zip bomb named
.docx stops there), PDFs are read up to a page limit, spreadsheets up to a cell limit.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import lxml.etree as etree

TYPES = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd")
MAX_UNZIPPED = 100 * 1024 * 1024  # all members of a DOCX/XLSX/OFD together, as their headers declare
MAX_MEMBERS = 5000
MAX_RATIO = 200  # a member inflating more than this is treated as a bomb
MAX_PDF_PAGES = 2000
MAX_CELLS = 500_000
MAX_TEXT = 5_000_000  # characters kept per file
TOOL_TIMEOUT = 60


@dataclass
class FileText:
    """What was read from one file: its detected type, text, page count and, when it failed, why."""

    type: str
    text: str = ""
    pages: int | None = None
    error: str | None = None


def sniff(data: bytes, ext: str | None) -> str:
    """The file's real type from its first bytes (the link's extension only breaks ties)."""
    ext = (ext or "").lower().lstrip(".")
    if data[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: .doc, .xls, .wps, .et
        return ext if ext in ("doc", "xls", "wps", "et") else "doc"
    if data[:2] == b"PK":
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist()[:MAX_MEMBERS])
        except (zipfile.BadZipFile, OSError, ValueError):
            return ext or "zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "OFD.xml" in names or any(n.lower() == "ofd.xml" for n in names):
            return "ofd"
        return ext or "zip"
    return ext or "bin"


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)[:MAX_TEXT]


def _check_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip only when its declared sizes are sane; ValueError naming the limit otherwise."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"zip bomb: {len(infos)} members (limit {MAX_MEMBERS})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise ValueError(f"zip bomb: {total} bytes uncompressed (limit {MAX_UNZIPPED})")
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ValueError(f"zip bomb: {i.filename} inflates {i.file_size // max(i.compress_size, 1)}x")
    return zf


def pdf_text(data: bytes) -> FileText:
    """Text of a PDF by pypdf; a password-protected or image-only PDF is said so."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # an owner-password-only PDF opens with ""
            return FileText("pdf", error="password-protected PDF")
        n = len(reader.pages)
        parts = []
        images = 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            parts.append(page.extract_text() or "")
            try:
                images += len(page.images)
            except Exception:  # noqa: BLE001 - an unreadable image does not make the text wrong
                images += 1
    except FileNotDecryptedError:
        return FileText("pdf", error="password-protected PDF")
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        return FileText("pdf", error=f"corrupt PDF: {type(exc).__name__}: {exc}"[:300])
    text = _clean("\n".join(parts))
    if not text and images:
        return FileText("pdf", "", n, "image-only PDF (no text layer; OCR not done)")
    return FileText("pdf", text, n, None if text else "PDF without text")


def docx_text(data: bytes) -> FileText:
    """Paragraphs and table cells of a DOCX, in document order, by python-docx."""
    import docx

    _check_zip(data)
    document = docx.Document(io.BytesIO(data))
    out = []
    body = document.element.body
    for block in body.iterchildren():
        tag = etree.QName(block).localname
        if tag == "p":
            out.append("".join(t.text or "" for t in block.iter("{*}t")))
        elif tag == "tbl":
            for row in block.iter("{*}tr"):
                cells = ["".join(t.text or "" for t in c.iter("{*}t")) for c in row.iter("{*}tc")]
                out.append(" ".join(c for c in cells if c))
    return FileText("docx", _clean("\n".join(out)))


def xlsx_text(data: bytes) -> FileText:
    """Cell values of every sheet of an XLSX (one line per row), by openpyxl in read-only mode."""
    import openpyxl

    _check_zip(data)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out, cells = [], 0
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_CELLS:
                    break
                out.append(" ".join(str(v) for v in row if v not in (None, "")))
        return FileText("xlsx", _clean("\n".join(out)), len(wb.worksheets))
    finally:
        wb.close()


def xls_text(data: bytes, kind: str = "xls") -> FileText:
    """Cell values of an old binary Excel (or WPS .et) workbook, by xlrd."""
    import xlrd

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    out, cells = [], 0
    for sheet in book.sheets():
        for r in range(sheet.nrows):
            row = sheet.row_values(r)
            cells += len(row)
            if cells > MAX_CELLS:
                break
            out.append(" ".join(_cell(v) for v in row if v not in (None, "")))
    return FileText(kind, _clean("\n".join(out)), book.nsheets)


def _cell(v: object) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def doc_text(data: bytes, kind: str = "doc") -> FileText:
    """Text of an old Word or WPS binary document by catdoc, else antiword (Debian packages)."""
    tools = [("catdoc", ["-d", "utf-8", "-w"]), ("antiword", ["-m", "UTF-8.txt"])]
    available = [(shutil.which(name), args) for name, args in tools if shutil.which(name)]
    if not available:
        return FileText(kind, error="no reader for .doc/.wps (install Debian's catdoc or antiword)")
    with tempfile.NamedTemporaryFile(suffix="." + kind) as tmp:
        tmp.write(data)
        tmp.flush()
        last = ""
        for exe, args in available:
            try:
                proc = subprocess.run(
                    [str(exe), *args, tmp.name], capture_output=True, timeout=TOOL_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired:
                last = f"{Path(str(exe)).name} took longer than {TOOL_TIMEOUT}s"
                continue
            text = _clean(proc.stdout.decode("utf-8", "replace"))
            if proc.returncode == 0 and text:
                return FileText(kind, text)
            last = proc.stderr.decode("utf-8", "replace").replace(tmp.name, "file").strip()[:200] or "no text"
    return FileText(kind, error=f"unreadable {kind}: {last}")


_PAGE_NO = re.compile(r"(\d+)")


def ofd_text(data: bytes) -> FileText:
    """Text of an OFD: every TextCode of every page's Content.xml, pages in order (zipfile + lxml)."""
    zf = _check_zip(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    pages = [n for n in zf.namelist() if re.search(r"(^|/)Pages/[^/]+/Content\.xml$", n, re.I)]

    def order(name: str) -> tuple[int, ...]:
        return tuple(int(x) for x in _PAGE_NO.findall(name))

    out = []
    for name in sorted(pages, key=order):
        root = etree.fromstring(zf.read(name), parser)
        for obj in root.iter("{*}TextObject"):
            out.append("".join(code.text or "" for code in obj.iter("{*}TextCode")))
    if not pages:
        raise ValueError("no page content (not an OFD document)")
    return FileText("ofd", _clean("\n".join(out)), len(pages))


def extract_text(data: bytes, ext: str | None = None) -> FileText:
    """The text of one attached file; never raises (a broken file comes back with `error` set)."""
    kind = sniff(data, ext)
    readers = {
        "pdf": pdf_text,
        "docx": docx_text,
        "xlsx": xlsx_text,
        "xls": xls_text,
        "et": lambda d: xls_text(d, "et"),
        "doc": doc_text,
        "wps": lambda d: doc_text(d, "wps"),
        "ofd": ofd_text,
    }
    reader = readers.get(kind)
    if reader is None:
        return FileText(kind, error=f"not a document type newsmon reads ({kind})")
    try:
        return reader(data)
    except Exception as exc:  # noqa: BLE001 - any library failure on a hostile file is a recorded error
        msg = str(exc)
        prefix = "" if msg.startswith("zip bomb") else f"corrupt {kind}: {type(exc).__name__}: "
        return FileText(kind, error=(prefix + msg)[:300])
