"""Hypothesis for the parsers the apps do not fuzz themselves: CSV/Excel importers, pasted tables,
numbers with units, GeoJSON, phone numbers. Any input gives a result or a clear ApplicationError —
never another exception."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from tests.hostile.files import small_xlsx
from zhili.cases.files import SheetTable, history_file_read
from zhili.cases.services.importing import KNOWN_HEADERS, import_mapping_guess
from zhili.core.errors import ApplicationError
from zhili.core.personal_data import phone_digits, phone_mask
from zhili.enterprises.files import decode_text, source_table_read
from zhili.geo.models import Area
from zhili.geo.services import grid_import_geojson
from zhili.indicators.files.plan_workbook import parse_number
from zhili.indicators.services import pasted_table_parse
from zhili.textintel.labelled_files import decode_csv_bytes, labelled_texts_read

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CELL_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
CELLS = st.one_of(CELL_TEXT, st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                  st.none())


def _refusal(call: Any) -> tuple[Any, ApplicationError | None]:
    """(result, None) or (None, the ApplicationError); any other exception fails the test."""
    try:
        return call(), None
    except ApplicationError as error:
        return None, error


def table_read(content: bytes, file_format: str) -> SheetTable:
    """The first sheet of a history file, as the cases importer reads it."""
    return history_file_read(content, file_name=f"upload.{file_format}", known_headers=KNOWN_HEADERS).sheets[0]


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    text = "\n".join(",".join(cell.replace(",", "，").replace("\n", " ") for cell in row) for row in rows)
    return text.encode(encoding, errors="replace")


ROWS = st.lists(st.lists(CELL_TEXT, min_size=1, max_size=5), min_size=0, max_size=8)


@SETTINGS
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_cases_csv_reader_reads_or_refuses(rows: list[list[str]], encoding: str) -> None:
    table, error = _refusal(lambda: table_read(_csv_bytes(rows, encoding), "csv"))
    if error is not None:
        assert error.message.strip()
        return
    assert all(isinstance(header, str) for header in table.headers)
    assert isinstance(import_mapping_guess(table.headers), dict)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_cases_reader_refuses_random_bytes_cleanly(data: bytes) -> None:
    for file_format in ("csv", "xlsx"):
        _table, error = _refusal(lambda file_format=file_format: table_read(data, file_format))
        assert error is None or error.message.strip()


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=4), min_size=1, max_size=6))
def test_cases_xlsx_reader_reads_or_refuses(rows: list[list[Any]]) -> None:
    try:
        content = small_xlsx(rows)
    except (ValueError, TypeError, IllegalCharacterError):
        return  # openpyxl itself refuses such cells (control characters): no file to read
    table, error = _refusal(lambda: table_read(content, "xlsx"))
    if error is not None:
        assert error.message.strip()
        return
    assert len(table.rows) <= len(rows)


@SETTINGS
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]), name=st.sampled_from(["a.csv", "a.xlsx"]))
def test_enterprise_source_reader_reads_or_refuses(rows: list[list[str]], encoding: str, name: str) -> None:
    content = _csv_bytes(rows, encoding)
    _table, error = _refusal(lambda: source_table_read(name, content))
    assert error is None or error.message.strip()


@SETTINGS
@given(data=st.binary(max_size=300))
def test_text_decoders_decode_or_refuse(data: bytes) -> None:
    for decode in (decode_text, decode_csv_bytes):
        decoded, error = _refusal(lambda decode=decode: decode(data))
        assert isinstance(decoded, (str, tuple)) if error is None else error.message.strip()


@SETTINGS
@given(rows=ROWS, name=st.sampled_from(["train.csv", "train.txt"]))
def test_training_data_reader_reads_or_refuses(rows: list[list[str]], name: str) -> None:
    content = _csv_bytes([["content", "label"], *rows], "utf-8")
    labelled, error = _refusal(lambda: labelled_texts_read(data=content, file_name=name, text_columns=["content"],
                                                           label_column="label"))
    if error is not None:
        assert error.message.strip()
        return
    assert len(labelled.texts) == len(labelled.labels)


@SETTINGS
@given(raw=st.one_of(CELL_TEXT, st.integers(), st.floats(), st.none(), st.booleans()),
       unit=st.sampled_from(["", "%", "亿元", "万人", "‰", "平方米"]), percent_format=st.booleans())
def test_indicator_numbers_parse_or_refuse(raw: Any, unit: str, percent_format: bool) -> None:
    try:
        value = parse_number(raw, unit=unit, percent_format=percent_format)
    except (ApplicationError, ValueError):
        return
    assert value is None or isinstance(value, float)


@SETTINGS
@given(text=st.text(max_size=300))
def test_pasted_indicator_tables_parse_with_listed_problems(text: str) -> None:
    indicators, problems = pasted_table_parse(text)
    assert isinstance(indicators, list)
    assert all(problem is not None for problem in problems)


COORDINATE = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-1000, 1000), st.text(max_size=3),
                       st.none())
GEOMETRY = st.fixed_dictionaries({
    "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Nonsense"]),
    "coordinates": st.recursive(st.lists(COORDINATE, max_size=3), lambda inner: st.lists(inner, max_size=4),
                                max_leaves=20),
})
FEATURE = st.fixed_dictionaries({
    "type": st.just("Feature"),
    "properties": st.fixed_dictionaries({"name": CELL_TEXT, "code": CELL_TEXT,
                                         "level": st.sampled_from(["district", "street", "grid", "x", ""])}),
    "geometry": st.one_of(st.none(), GEOMETRY),
})


@pytest.mark.django_db
@SETTINGS
@given(features=st.lists(FEATURE, max_size=4))
def test_geojson_import_imports_or_refuses_and_writes_nothing_when_refused(features: list[dict[str, Any]]) -> None:
    before = Area.objects.count()
    data = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    _report, error = _refusal(lambda: grid_import_geojson(data=data))
    if error is not None:
        assert error.message.strip()
        assert Area.objects.count() == before


@SETTINGS
@given(phone=st.text(max_size=30))
def test_phone_masks_never_reveal_the_middle_digits(phone: str) -> None:
    digits = phone_digits(phone)
    masked = phone_mask(phone)
    if len(digits) == 11:
        assert masked == f"{digits[:3]}****{digits[-4:]}"
    assert digits[3:7] not in masked or len(digits) < 8 or masked.count("*") >= 4
    assert io.StringIO(masked).read() == masked
