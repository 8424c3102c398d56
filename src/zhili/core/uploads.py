"""Reading an uploaded file with a size limit, before any of it is held in memory."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError


def upload_size_limit() -> int:
    return int(getattr(settings, "ZHILI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


def upload_read_limited(upload: UploadedFile[bytes], *, limit: int | None = None) -> bytes:
    """The upload's bytes; refuses (413, a clear message) a file larger than ``limit`` without reading it.

    The declared size is checked first; the read itself stops one byte past the limit, so a client
    that lies about the size cannot make the server hold more than that.
    """
    limit = limit or upload_size_limit()
    name = upload.name or "upload"
    too_large = ApplicationError(
        "file_too_large",
        _("文件「%(name)s」超过 %(limit)d MB 的上限，请拆分或压缩后再上传。") % {"name": name, "limit": limit // (1024 * 1024)},
        status_code=413,
    )
    if (upload.size or 0) > limit:
        raise too_large
    content: bytes = upload.read(limit + 1)
    if len(content) > limit:
        raise too_large
    return content
