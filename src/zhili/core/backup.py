"""Backup and restore of the database: SQLite online backup, or pg_dump/pg_restore on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, connections

from zhili.core.errors import ApplicationError


def _postgresql_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update({
        "PGHOST": str(settings_dict.get("HOST") or "127.0.0.1"),
        "PGPORT": str(settings_dict.get("PORT") or "5432"),
        "PGUSER": str(settings_dict.get("USER") or "postgres"),
        "PGDATABASE": str(settings_dict["NAME"]),
    })
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return environment


def database_backup(*, destination: Path) -> Path:
    """Write a consistent copy of the live database to ``destination`` while it keeps serving."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        source = sqlite3.connect(str(settings_dict["NAME"]))
        target = sqlite3.connect(str(destination))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return destination
    if connection.vendor == "postgresql":
        if shutil.which("pg_dump") is None:
            raise ApplicationError("backup_tool_missing", "找不到 pg_dump。请安装 PostgreSQL 客户端（postgresql-client）后重试。")
        subprocess.run(  # noqa: S603 - fixed executable, arguments are ours
            ["pg_dump", "--format=custom", "--no-owner", f"--file={destination}"],  # noqa: S607
            check=True, env=_postgresql_environment(settings_dict), capture_output=True,
        )
        return destination
    raise ApplicationError("backup_unsupported", f"不支持备份此数据库类型：{connection.vendor}")


def database_restore(*, source: Path) -> None:
    """Replace the current database's contents with the backup at ``source``."""
    if not source.is_file():
        raise ApplicationError("backup_missing", f"备份文件不存在：{source}。请检查路径后重试。")
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        connections.close_all()
        backup = sqlite3.connect(str(source))
        target = sqlite3.connect(str(settings_dict["NAME"]))
        try:
            with target:
                backup.backup(target)
        finally:
            target.close()
            backup.close()
        return
    if connection.vendor == "postgresql":
        connections.close_all()
        subprocess.run(  # noqa: S603
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",  # noqa: S607
             f"--dbname={settings_dict['NAME']}", str(source)],
            check=True, env=_postgresql_environment(settings_dict), capture_output=True,
        )
        return
    raise ApplicationError("backup_unsupported", f"不支持恢复此数据库类型：{connection.vendor}")


def database_fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a content checksum per table of zhili's models (for round-trip checks)."""
    fingerprint: dict[str, tuple[int, str]] = {}
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        table = model._meta.db_table
        columns = [field.column for field in model._meta.concrete_fields if field.column]
        digest = hashlib.sha256()
        count = 0
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            for row in cursor.fetchall():
                digest.update(repr(tuple(bytes(value) if isinstance(value, memoryview) else value
                                         for value in row)).encode("utf-8"))
                count += 1
        fingerprint[table] = (count, digest.hexdigest())
    return fingerprint
