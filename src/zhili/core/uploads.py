"""Reading an uploaded file with a size limit, before any of it is held in memory."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError


def upload_size_limit() -> int:
    return int(getattr(settings, "ZHILI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


def size_text(size: int) -> str:
    """A byte count as a person reads it: "20 MB", "98 KB", "1000 字节"."""
    if size >= 1024 * 1024:
        return _("%(count)d MB") % {"count": size // (1024 * 1024)}
    if size >= 1024:
        return _("%(count)d KB") % {"count": size // 1024}
    return _("%(count)d 字节") % {"count": size}


def upload_read_limited(upload: UploadedFile[bytes], *, limit: int | None = None) -> bytes:
    """The upload's bytes; refuses (413, a clear message) a file larger than ``limit`` without reading it.

    The declared size is checked first; the read itself stops one byte past the limit, so a client
    that lies about the size cannot make the server hold more than that.
    """
    limit = limit or upload_size_limit()
    name = upload.name or "upload"
    too_large = ApplicationError(
        "file_too_large",
        _("文件「%(name)s」超过 %(limit)s 的上限，请拆分或压缩后再上传。") % {"name": name, "limit": size_text(limit)},
        status_code=413,
    )
    if (upload.size or 0) > limit:
        raise too_large
    content: bytes = upload.read(limit + 1)
    if len(content) > limit:
        raise too_large
    return content
