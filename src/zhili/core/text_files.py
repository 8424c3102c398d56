"""Decoding the text files people upload: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030."""

from __future__ import annotations

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def text_bytes_decode(data: bytes) -> tuple[str, str] | None:
    """``(text, encoding)`` of an uploaded text file, or None when it is none of the usual encodings.

    Tries UTF-16 when the file starts with its byte-order mark, else UTF-8 (a BOM is dropped), else
    GB18030, a superset of GBK and GB2312 — what Chinese office software saves "ANSI" CSV files in.
    The encoding is reported as ``utf-16``, ``utf-8`` or ``gb18030``. Callers word their own error.
    """
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None
    for encoding, name in (("utf-8-sig", "utf-8"), ("gb18030", "gb18030")):
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError:
            continue
    return None
