"""Uploaded text files decode as UTF-8, UTF-16 (with BOM) or GB18030, else None."""

from __future__ import annotations

from zhili.core.text_files import text_bytes_decode

SAMPLE = "统一社会信用代码,企业名称\n91320402MA1XXXXX0X,常州某某科技有限公司\n"


def test_utf8_with_and_without_bom() -> None:
    assert text_bytes_decode(SAMPLE.encode("utf-8")) == (SAMPLE, "utf-8")
    assert text_bytes_decode(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8")) == (SAMPLE, "utf-8")


def test_gbk_saved_by_office_software() -> None:
    assert text_bytes_decode(SAMPLE.encode("gbk")) == (SAMPLE, "gb18030")


def test_utf16_with_bom() -> None:
    assert text_bytes_decode(SAMPLE.encode("utf-16")) == (SAMPLE, "utf-16")


def test_undecodable_bytes_give_none() -> None:
    assert text_bytes_decode(b"\xff\xfe\x00") is None  # a UTF-16 BOM followed by half a character
    assert text_bytes_decode(b"\x81\x30\x81") is None  # a truncated four-byte GB18030 sequence
