"""Photos and files of a case: checked by content, size-limited, EXIF removed from the public copy."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from zhili.cases.models import AttachmentKind, Case, CaseAttachment
from zhili.core.errors import ApplicationError

ALLOWED_IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PHOTOS_PER_REPORT = 9
MAX_PIXELS = 60_000_000
PUBLIC_MAX_SIDE = 2048


@dataclass(frozen=True)
class ValidatedPhoto:
    original_name: str
    content: bytes
    public_content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    gps: tuple[float, float] | None  # EXIF GPS (WGS-84) when present and readable


def _exif_gps(image: Image.Image) -> tuple[float, float] | None:
    try:
        gps = image.getexif().get_ifd(0x8825)
        if not gps:
            return None

        def degrees(values: Sequence[float]) -> float:
            return float(values[0]) + float(values[1]) / 60 + float(values[2]) / 3600

        latitude = degrees(gps[2]) * (-1 if gps.get(1) == "S" else 1)
        longitude = degrees(gps[4]) * (-1 if gps.get(3) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        return None
    return longitude, latitude


def photo_validate(*, name: str, stream: IO[bytes], size: int | None = None) -> ValidatedPhoto:
    """Read an uploaded photo; refuse what is too big or not a JPEG/PNG/WebP image.

    The public copy is re-encoded from the pixels only, so EXIF (GPS, camera serial) is gone.
    """
    limit = int(getattr(settings, "ZHILI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    display_name = PurePath(name or "photo").name[:200]
    if size is not None and size > limit:
        raise ApplicationError("file_too_large", _("照片「%(name)s」超过 %(limit)d MB，请压缩后再上传。") % {
            "name": display_name, "limit": limit // (1024 * 1024)}, status_code=413)
    content = stream.read(limit + 1)
    if len(content) > limit:
        raise ApplicationError("file_too_large", _("照片「%(name)s」超过 %(limit)d MB，请压缩后再上传。") % {
            "name": display_name, "limit": limit // (1024 * 1024)}, status_code=413)
    if not content:
        raise ApplicationError("file_empty", _("照片「%(name)s」是空文件，请重新选择。") % {"name": display_name})
    not_image = ApplicationError("not_an_image", _(
        "文件「%(name)s」不是可识别的图片（支持 JPEG、PNG、WebP），请重新拍照或选择图片。") % {"name": display_name})
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format or ""
            if image_format not in ALLOWED_IMAGE_FORMATS:
                raise not_image
            gps = _exif_gps(image)
            width, height = image.size
            image.load()
            pixels = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise not_image from error
    pixels.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
    public = io.BytesIO()
    pixels.save(public, format="JPEG", quality=85)
    content_type, extension = ALLOWED_IMAGE_FORMATS[image_format]
    return ValidatedPhoto(
        original_name=display_name, content=content, public_content=public.getvalue(), content_type=content_type,
        extension=extension, width=width, height=height, sha256=hashlib.sha256(content).hexdigest(), gps=gps,
    )


def photos_validate(files: Sequence[tuple[str, IO[bytes], int | None]]) -> list[ValidatedPhoto]:
    if len(files) > MAX_PHOTOS_PER_REPORT:
        raise ApplicationError("too_many_photos", _("一次最多上传 %(count)d 张照片。") % {"count": MAX_PHOTOS_PER_REPORT})
    return [photo_validate(name=name, stream=stream, size=size) for name, stream, size in files]


_WRITTEN_IN: contextvars.ContextVar[tuple[list[CaseAttachment], ...]] = contextvars.ContextVar(
    "attachment_files_written_in", default=())


@contextlib.contextmanager
def attachment_files_kept_only_on_success() -> Iterator[None]:
    """Around a transaction that stores attachments: the files :func:`attachments_build` writes inside
    the block (at any depth) are deleted again when the block fails — the transaction's rollback
    removes the rows, this removes the files, which no rollback reaches. Nested blocks each clean up
    on their own failure; an outer block that fails after an inner one succeeded removes both."""
    written: list[CaseAttachment] = []
    token = _WRITTEN_IN.set((*_WRITTEN_IN.get(), written))
    try:
        yield
    except BaseException:
        for attachment in written:
            for stored in (attachment.private_file, attachment.public_file):
                if stored.name:
                    stored.storage.delete(stored.name)
        raise
    finally:
        _WRITTEN_IN.reset(token)


def attachments_build(*, case: Case, photos: Sequence[ValidatedPhoto], kind: str, uploaded_by_id: int | None,
                      at: dt.datetime) -> list[CaseAttachment]:
    """Write the files and return saved attachment rows (call inside the case's transaction, within
    :func:`attachment_files_kept_only_on_success`, so a failure leaves no file behind)."""
    rows: list[CaseAttachment] = []
    for index, photo in enumerate(photos):
        attachment = CaseAttachment(
            case=case, kind=kind, original_name=photo.original_name, content_type=photo.content_type,
            size_bytes=len(photo.content), sha256=photo.sha256, width=photo.width, height=photo.height,
            uploaded_by_id=uploaded_by_id, created_at=at,
        )
        stem = f"{case.number}-{kind}-{index + 1}-{photo.sha256[:10]}"
        for written in _WRITTEN_IN.get():
            written.append(attachment)
        attachment.private_file.save(f"{stem}.{photo.extension}", ContentFile(photo.content), save=False)
        attachment.public_file.save(f"{stem}.jpg", ContentFile(photo.public_content), save=False)
        attachment.save()
        rows.append(attachment)
    return rows


PHOTO_KINDS = {AttachmentKind.PHOTO, AttachmentKind.AFTER_PHOTO}
