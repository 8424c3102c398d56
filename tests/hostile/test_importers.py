"""Every importer and upload check against hostile files: a clear error, and nothing written."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import files
from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseImportBatch
from zhili.cases.services.attachments import photo_validate
from zhili.cases.services.importing import import_batch_upload
from zhili.core.errors import ApplicationError
from zhili.enterprises.models import ImportBatch
from zhili.enterprises.services import SourceFileUpload, import_batch_stage
from zhili.geo.models import Area
from zhili.geo.services import grid_import_file
from zhili.indicators.models import Observation
from zhili.indicators.services import plan_workbook_import
from zhili.indicators.tests.factories import small_plan_create
from zhili.textintel.labelled_files import labelled_texts_read

MEMORY_CEILING_BYTES = 64 * files.MEBIBYTE


def _refused(call: Callable[[], Any]) -> ApplicationError:
    """Run ``call`` and return the ApplicationError it raises (anything else fails the test)."""
    with pytest.raises(ApplicationError) as caught:
        call()
    error = caught.value
    assert error.code
    assert error.message.strip()
    return error


def _peak_memory(call: Callable[[], Any]) -> tuple[ApplicationError, int]:
    tracemalloc.start()
    try:
        error = _refused(call)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error, peak


@pytest.fixture
def user(db: None) -> Callable[[str], User]:
    def create(role: str) -> User:
        return User.objects.create_user(username=f"hostile-{role}", password=None, role=role)

    return create


# -- geo ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_geo_zip_bomb_is_refused_without_inflating_it() -> None:
    bomb = files.zip_bomb_shapefile(uncompressed_megabytes=256)
    assert len(bomb) < 2 * files.MEBIBYTE
    error, peak = _peak_memory(lambda: grid_import_file(filename="grids.zip", data=bomb))
    assert error.code == "geo_import_rejected"
    assert peak < MEMORY_CEILING_BYTES
    assert Area.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_geo_truncated_shapefile_zip_is_refused(share: float) -> None:
    data = files.truncated(files.valid_shapefile_zip(), share=share)
    assert _refused(lambda: grid_import_file(filename="grids.zip", data=data)).code == "geo_import_rejected"
    assert Area.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(files.MALFORMED_GEOJSON))
def test_geo_malformed_geojson_is_refused(name: str) -> None:
    data = files.MALFORMED_GEOJSON[name]
    assert _refused(lambda: grid_import_file(filename="grids.geojson", data=data)).code == "geo_import_rejected"
    assert Area.objects.count() == 0


# -- cases bulk import -------------------------------------------------------------------------

@pytest.mark.django_db
def test_cases_import_refuses_a_100_megabyte_spreadsheet_without_reading_it(
        user: Callable[[str], User], tmp_path: Path) -> None:
    big = files.sparse_file(tmp_path / "big.xlsx", size=100 * files.MEBIBYTE, head=files.small_xlsx([["a"]])[:64])
    operator = user(Role.OPERATOR)
    with big.open("rb") as stream:
        error, peak = _peak_memory(lambda: import_batch_upload(name="big.xlsx", stream=stream, size=None,
                                                               actor=operator))
    assert (error.code, error.status_code) == ("file_too_large", 413)
    assert peak < MEMORY_CEILING_BYTES
    assert CaseImportBatch.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), [
    ("truncated.xlsx", files.truncated(files.small_xlsx([["诉求内容", "地址"], ["路灯不亮", "青年路"]]))),
    ("not_a_workbook.xlsx", b"PK\x03\x04 this is not a zip"),
    ("photo.csv", files.jpeg()),
    *sorted((name, content) for name, content in files.BAD_TEXT_ENCODINGS.items() if name != "utf16.csv"),
])
def test_cases_import_refuses_unreadable_files(user: Callable[[str], User], name: str, content: bytes) -> None:
    operator = user(Role.OPERATOR)
    _refused(lambda: import_batch_upload(name=name, stream=io.BytesIO(content), size=len(content), actor=operator))
    assert CaseImportBatch.objects.count() == 0
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_cases_import_reads_a_utf16_csv_as_excel_writes_it(user: Callable[[str], User]) -> None:
    content = files.BAD_TEXT_ENCODINGS["utf16.csv"]
    batch = import_batch_upload(name="utf16.csv", stream=io.BytesIO(content), size=len(content),
                                actor=user(Role.OPERATOR))
    assert (batch.headers, batch.row_count) == (["诉求内容", "地址"], 1)
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_cases_import_refuses_an_xlsx_bomb(user: Callable[[str], User]) -> None:
    bomb = files.xlsx_bomb(rows=60_000)
    assert len(bomb) < 2 * files.MEBIBYTE
    error = _refused(lambda: import_batch_upload(name="bomb.xlsx", stream=io.BytesIO(bomb), size=len(bomb),
                                                 actor=user(Role.OPERATOR)))
    assert error.code == "file_too_many_rows"
    assert CaseImportBatch.objects.count() == 0


# -- enterprises data import --------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), [
    ("tax.xlsx", files.truncated(files.small_xlsx([["统一社会信用代码", "税收(万元)"], ["91320402MA0000017X", 10]]))),
    ("tax.xlsx", b"PK\x03\x04 not a workbook"),
    ("tax.csv", files.jpeg()),
    *sorted(files.BAD_TEXT_ENCODINGS.items()),
])
def test_enterprise_import_refuses_unreadable_files(user: Callable[[str], User], name: str, content: bytes) -> None:
    upload = SourceFileUpload(file_name=name, content=content, source_kind="tax")
    _refused(lambda: import_batch_stage(actor=user(Role.ANALYST), year=2025, files=[upload]))
    assert ImportBatch.objects.count() == 0


# -- indicators template import -----------------------------------------------------------------

@pytest.mark.django_db
def test_indicator_template_import_refuses_a_100_megabyte_file(tmp_path: Path) -> None:
    plan, _indicator = small_plan_create()
    big = files.sparse_file(tmp_path / "big.xlsx", size=100 * files.MEBIBYTE, head=files.small_xlsx([["a"]])[:64])
    with big.open("rb") as stream:
        error, peak = _peak_memory(lambda: plan_workbook_import(plan=plan, stream=stream, actor=None,
                                                                file_name="big.xlsx"))
    assert error.message.strip()
    assert peak < MEMORY_CEILING_BYTES
    assert Observation.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("content", [
    files.truncated(files.small_xlsx([["指标", "2024"], ["A1", 10]])),
    b"PK\x03\x04 not a workbook",
    files.jpeg(),
    "编号,2024\nA1,10\n".encode("gbk"),
    files.xlsx_bomb(rows=20_000),
])
def test_indicator_template_import_refuses_unreadable_files(content: bytes) -> None:
    plan, _indicator = small_plan_create()
    _refused(lambda: plan_workbook_import(plan=plan, stream=io.BytesIO(content), actor=None, file_name="x.xlsx"))
    assert Observation.objects.count() == 0


# -- textintel training data --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content"), [
    ("train.xlsx", files.truncated(files.small_xlsx([["content", "label"], ["路灯不亮", "城建"]]))),
    ("train.xlsx", b"PK\x03\x04 not a workbook"),
    ("train.csv", b""),
    ("train.csv", files.jpeg()),
    ("train.exe", b"MZ"),
    *sorted(files.BAD_TEXT_ENCODINGS.items()),
])
def test_training_data_reader_refuses_unreadable_files(name: str, content: bytes) -> None:
    _refused(lambda: labelled_texts_read(data=content, file_name=name, text_columns=["content"],
                                         label_column="label"))


# -- photo upload checks ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(files.NOT_IMAGES))
def test_non_image_photos_are_refused(name: str) -> None:
    content = files.NOT_IMAGES[name]
    error = _refused(lambda: photo_validate(name=name, stream=io.BytesIO(content), size=len(content)))
    assert error.code in {"not_an_image", "file_empty"}


def test_truncated_photo_is_refused() -> None:
    content = files.truncated(files.jpeg(width=400, height=300), share=0.3)
    assert _refused(lambda: photo_validate(name="cut.jpg", stream=io.BytesIO(content), size=len(content))).code \
        == "not_an_image"


def test_decompression_bomb_photo_is_refused() -> None:
    content = files.png_decompression_bomb()
    error, peak = _peak_memory(lambda: photo_validate(name="bomb.png", stream=io.BytesIO(content),
                                                      size=len(content)))
    assert error.code == "not_an_image"
    assert peak < MEMORY_CEILING_BYTES


def test_fifty_megabyte_photo_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = files.sparse_file(tmp_path / "big.jpg", size=50 * files.MEBIBYTE, head=files.jpeg())
    with big.open("rb") as stream:
        error, peak = _peak_memory(lambda: photo_validate(name="big.jpg", stream=stream, size=None))
    assert (error.code, error.status_code) == ("file_too_large", 413)
    assert peak < MEMORY_CEILING_BYTES
