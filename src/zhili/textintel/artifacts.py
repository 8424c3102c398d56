"""Classifier artifacts on disk: joblib files under ``settings.ZHILI_MODEL_DIR`` with a SHA-256.

The hash recorded in the database is checked before unpickling, so a file that was changed
or swapped on disk is refused instead of executed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import joblib
from django.conf import settings
from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.textintel.classifier import CategoryClassifier


def model_directory() -> Path:
    directory = Path(settings.ZHILI_MODEL_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def classifier_artifact_write(classifier: CategoryClassifier, *, file_name: str) -> tuple[Path, str]:
    """Write the classifier as ``file_name`` in the model directory; return (path, sha256)."""
    path = model_directory() / file_name
    temporary = path.with_suffix(".partial")
    joblib.dump(classifier, temporary, compress=3)
    temporary.replace(path)
    return path, file_sha256(path)


def classifier_artifact_read(path: str | Path, *, expected_sha256: str) -> CategoryClassifier:
    """Load an artifact after checking its SHA-256; ApplicationError when missing or altered."""
    artifact = Path(path)
    if not artifact.is_absolute():
        artifact = model_directory() / artifact
    if not artifact.exists():
        raise ApplicationError(
            "classifier_artifact_missing",
            _("模型文件 %(path)s 不存在，请重新训练或激活其他版本。") % {"path": artifact},
        )
    if file_sha256(artifact) != expected_sha256:
        raise ApplicationError(
            "classifier_artifact_altered",
            _("模型文件 %(path)s 的校验值与登记不符，文件可能被改动，已拒绝加载。请重新训练。") % {"path": artifact},
        )
    loaded = joblib.load(artifact)
    if not isinstance(loaded, CategoryClassifier):
        raise ApplicationError("classifier_artifact_invalid", _("模型文件内容不是分类模型，已拒绝加载。"))
    return loaded
