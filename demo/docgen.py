"""Attached documents made in code, with known text: PDF (hand-built), DOCX, XLSX, OFD, and broken ones.

The PDF writer is hand-written because no pinned library writes CJK text without shipping a font: it
uses a Type0 font with Identity-H encoding and a ToUnicode map, so any reader recovers the characters
(glyphs are left to the viewer's substitute font). DOCX and XLSX come from python-docx and openpyxl.
OFD has no Python writer; it is a zip of the GB/T 33190 XML parts, written here.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape


def _pdf(objects: list[bytes]) -> bytes:
    """Serialise numbered objects (1-based, object 1 the catalog) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def _to_unicode() -> bytes:
    ranges = "\n".join(f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in range(256) if not 0xD8 <= h <= 0xDF)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{256 - 8} beginbfrange\n{ranges}\nendbfrange\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )
    return _stream(cmap.encode())


def make_pdf(pages: list[list[str]], image_only: bool = False) -> bytes:
    """A PDF whose page i shows the lines pages[i] (BMP characters); image_only draws a picture instead."""
    n = len(pages)
    # 1 catalog, 2 pages, 3 font, 4 descendant, 5 tounicode, 6 image, then (page, content) pairs
    kids = " ".join(f"{7 + 2 * i} 0 R" for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light /CIDToGIDMap /Identity "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        _to_unicode(),
        _stream(
            b"\x80\x40\x20" * 4,
            "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceRGB /BitsPerComponent 8 ",
        ),  # fmt: skip
    ]
    for i, lines in enumerate(pages):
        if image_only:
            content = b"q 400 0 0 300 100 400 cm /Im0 Do Q"
        else:
            ops = ["BT /F1 12 Tf 14 TL 50 780 Td"]
            for line in lines:
                ops.append(f"<{line.encode('utf-16-be').hex().upper()}> Tj T*")
            ops.append("ET")
            content = "\n".join(ops).encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {8 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> /XObject << /Im0 6 0 R >> >> >>".encode()
        )
        objects.append(_stream(content))
    return _pdf(objects)


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    """The same PDF protected by a user password (pypdf, RC4 so no crypto library is needed)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A DOCX with the paragraphs, then an optional table (python-docx)."""
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(rows: list[list[str | int]], title: str = "Sheet1") -> bytes:
    """An XLSX with one sheet of rows (openpyxl)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def make_ofd(pages: list[list[str]]) -> bytes:
    """An OFD package: OFD.xml → Doc_0/Document.xml → Pages/Page_i/Content.xml with one TextObject a line."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>demo</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
        )
        z.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>999'
            "</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
            f"</ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        for i, lines in enumerate(pages):
            objs = "".join(
                f'<ofd:TextObject ID="{100 + j}" Boundary="20 {20 + 8 * j} 170 8" Font="1" Size="4">'
                f'<ofd:TextCode X="0" Y="4">{escape(line)}</ofd:TextCode></ofd:TextObject>'
                for j, line in enumerate(lines)
            )
            z.writestr(
                f"Doc_0/Pages/Page_{i}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content><ofd:Layer ID="2">'
                f"{objs}</ofd:Layer></ofd:Content></ofd:Page>",
            )
    return out.getvalue()


def zip_bomb(name: str = "word/document.xml", size: int = 128 * 1024 * 1024) -> bytes:
    """A small zip (DOCX-shaped) whose one member inflates to `size` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                f.write(chunk)
    return out.getvalue()
