"""Hostile files, generated at test time (nothing binary is committed).

Large ones are sparse or streamed so that building them is fast and memory-light: the 100 MB
spreadsheet is a sparse file on disk, the zip bomb is deflated from a stream of zeros.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import shapefile
from openpyxl import Workbook
from PIL import Image

MEBIBYTE = 1024 * 1024


def zip_bomb_shapefile(*, uncompressed_megabytes: int = 256) -> bytes:
    """A zip of grid.shp/.shx/.dbf whose .shp inflates to ``uncompressed_megabytes`` of zeros (≈1000:1)."""
    buffer = io.BytesIO()
    chunk = bytes(MEBIBYTE)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("grid.shp", "w", force_zip64=True) as member:
            for _ in range(uncompressed_megabytes):
                member.write(chunk)
        archive.writestr("grid.shx", bytes(100))
        archive.writestr("grid.dbf", bytes(100))
    return buffer.getvalue()


def valid_shapefile_zip() -> bytes:
    """A correct one-grid shapefile zip, to truncate."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="utf-8") as writer:
        writer.field("name", "C", 40)
        writer.field("code", "C", 20)
        writer.field("level", "C", 20)
        writer.field("parent", "C", 20)
        writer.poly([[[120.0, 31.8], [120.01, 31.8], [120.01, 31.81], [120.0, 31.81], [120.0, 31.8]]])
        writer.record("导入区", "HZ9", "district", "")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("grid.shp", shp.getvalue())
        archive.writestr("grid.shx", shx.getvalue())
        archive.writestr("grid.dbf", dbf.getvalue())
    return buffer.getvalue()


def sparse_file(path: Path, *, size: int, head: bytes) -> Path:
    """A file of ``size`` bytes that starts with ``head`` and is a hole after it (no disk, no memory)."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.seek(size - 1)
        handle.write(b"\0")
    return path


def small_xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_bomb(*, rows: int = 300_000) -> bytes:
    """A small .xlsx whose one sheet declares ``rows`` rows of the same cell (highly compressible)."""
    row_xml = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (number, number)
                       for number in range(1, rows + 1))
    sheet = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + row_xml + b"</sheetData></worksheet>")
    template = zipfile.ZipFile(io.BytesIO(small_xlsx([["x"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in template.infolist():
            data = sheet if item.filename == "xl/worksheets/sheet1.xml" else template.read(item.filename)
            archive.writestr(item.filename, data)
    return buffer.getvalue()


def truncated(content: bytes, *, share: float = 0.5) -> bytes:
    return content[: max(1, int(len(content) * share))]


def jpeg(*, width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_decompression_bomb(*, side: int = 40_000) -> bytes:
    """A valid PNG header declaring side × side pixels (1.6 G pixels) with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(
        b"IEND", b"")


NOT_IMAGES = {
    "pdf.jpg": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    "page.jpg": b"<html><script>alert(1)</script></html>",
    "vector.png": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "program.jpg": b"MZ\x90\x00" + bytes(200),
    "empty.jpg": b"",
}

BAD_TEXT_ENCODINGS = {
    "utf16.csv": "诉求内容,地址\n路灯不亮,青年路\n".encode("utf-16"),
    "binary.csv": bytes(range(256)) * 8,
    "shift_jis_garbage.csv": "問題,住所\n騒音,東京\n".encode("shift_jis") + b"\xff\xfe\xfa",
}

MALFORMED_GEOJSON = {
    "truncated": b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Pol',
    "not_json": b"\x00\x01\x02 not json at all",
    "wrong_top_level": b'{"type": "Point", "coordinates": [120, 31]}',
    "empty_features": b'{"type": "FeatureCollection", "features": []}',
    "nan_coordinates": b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "A", '
                       b'"code": "HX1", "level": "district"}, "geometry": {"type": "Polygon", "coordinates": '
                       b'[[[NaN, 31], [120, Infinity], [120, 31], [NaN, 31]]]}}]}',
    "string_coordinates": b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "A",'
                          b' "code": "HX1", "level": "district"}, "geometry": {"type": "Polygon", "coordinates": '
                          b'"120,31"}}]}',
    "deep_nesting": b'{"type": "FeatureCollection", "features": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "self_intersecting_without_code": b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
                                      b'"properties": {}, "geometry": {"type": "Polygon", "coordinates": '
                                      b'[[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}]}',
    "gbk_wrong_fields": '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"名称": "网格"},'
                        ' "geometry": null}]}'.encode("gbk"),
}
