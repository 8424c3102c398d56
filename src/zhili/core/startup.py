"""What must be true before a process of a production installation starts, and the refusal when it is not.

Called by ``zhili.config.wsgi`` (any WSGI server), the gunicorn configuration (``zhili.config.gunicorn``,
before any worker forks) and the ``zhili`` console script for ``runserver``, ``migrate`` and
``run_huey``. Each problem is one line that names the environment variable or the command that fixes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from zhili.core.environment import GENERATE_KEYS_COMMAND, personal_data_key_problem

_MISSING_MESSAGES = {
    "ZHILI_SECRET_KEY": ("ZHILI_SECRET_KEY 未设置：生产环境必须设置 Django 密钥（用 {command} 生成，存入密钥库）。"
                         " / ZHILI_SECRET_KEY is not set: generate one with {command}."),
    "ZHILI_PII_KEY": ("ZHILI_PII_KEY 未设置：生产环境必须设置个人信息加密密钥（用 {command} 生成，与 ZHILI_SECRET_KEY 分开保管）。"
                      " / ZHILI_PII_KEY is not set: generate one with {command}."),
    "ZHILI_ALLOWED_HOSTS": ("ZHILI_ALLOWED_HOSTS 未设置：请写本平台对外的域名（逗号分隔，例如 zhili.example.gov.cn）。"
                            " / ZHILI_ALLOWED_HOSTS is not set: list the site's host names, comma-separated."),
}
COLLECT_COMMAND = ".venv/bin/zhili collectstatic --noinput"


def configuration_problems() -> list[str]:
    """Missing or malformed keys and hosts (empty in development and tests, which need none)."""
    problems = [_MISSING_MESSAGES[name].format(command=GENERATE_KEYS_COMMAND)
                for name in settings.ZHILI_MISSING_PRODUCTION_SETTINGS]
    if settings.ZHILI_PII_KEY:
        problem = personal_data_key_problem(settings.ZHILI_PII_KEY)
        if problem:
            problems.append(problem)
    return problems


def static_files_problems() -> list[str]:
    """Production serves collected, hashed files: the manifest and every file a page needs must exist."""
    if settings.DEVELOPMENT:
        return []  # development serves the source directories through the finders
    manifest_path = Path(settings.STATIC_ROOT) / "staticfiles.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [f"静态文件未收集：{manifest_path} 不存在或不可读。请运行 {COLLECT_COMMAND}（make serve 会自动运行）。"
                f" / Static files are not collected: run {COLLECT_COMMAND}."]
    paths = manifest.get("paths", {}) if isinstance(manifest, dict) else {}
    problems = []
    for name in settings.ZHILI_REQUIRED_STATIC_FILES:
        hashed = paths.get(name)
        if hashed and (Path(settings.STATIC_ROOT) / hashed).is_file():
            continue
        if name.startswith("vendor/"):
            problems.append(f"前端库文件 {name} 不在已收集的静态文件中：node_modules 缺失。请运行 npm ci（或 make setup），"
                            f"再运行 {COLLECT_COMMAND}。 / {name} is missing: run npm ci, then {COLLECT_COMMAND}.")
        else:
            problems.append(f"静态文件 {name} 未收集：请运行 {COLLECT_COMMAND}。 / {name} is not collected: run "
                            f"{COLLECT_COMMAND}.")
    return problems


def database_problems() -> list[str]:
    """The database answers (for ``migrate`` and the job worker, which can do nothing without it)."""
    # deferred: runs before (or while) Django is set up; importing at module level would need settings
    from django.db import DatabaseError, connections

    connection = connections["default"]
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        variable = "ZHILI_DATA_DIR" if connection.vendor == "sqlite" else "DATABASE_URL"
        return [f"{variable}：数据库连接失败（{first_line}）。请检查 {variable} 的主机、端口、用户名、数据库名，"
                f"以及数据库服务是否在运行。 / the database does not answer: check {variable}."]
    return []


def queue_problems() -> list[str]:
    """Redis answers when ``REDIS_URL`` is set (the embedded SQLite queue needs nothing)."""
    if not settings.REDIS_URL:
        return []
    # deferred: runs before (or while) Django is set up; importing at module level would need settings
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, ValueError) as error:
        return [f"REDIS_URL：任务队列 Redis 连接失败（{type(error).__name__}: {error}）。请检查 REDIS_URL 和 Redis 服务。"
                f" / Redis does not answer: check REDIS_URL."]
    return []


def refuse_to_start(*, process: str, serves_pages: bool = False, needs_database: bool = False,
                    needs_queue: bool = False) -> None:
    """Raise :class:`ImproperlyConfigured` listing every problem; the caller exits with it."""
    problems = configuration_problems()
    if serves_pages:
        problems += static_files_problems()
    if needs_database and not problems:
        problems += database_problems()
    if needs_queue and not problems:
        problems += queue_problems()
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ImproperlyConfigured(f"zhili {process} 拒绝启动 / refuses to start:\n{lines}\n"
                                   "生产环境变量见 docs/operations.md（“配置”）。 / See docs/operations.md, Configuration.")
