"""Deployment checks (``zhili check --deploy``): the production settings Django's own checks do not know."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from zhili.core.startup import configuration_problems, static_files_problems


@register(Tags.security, deploy=True)
def production_configuration_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = [Error(problem, id="zhili.E001") for problem in configuration_problems()]
    if "*" in settings.ALLOWED_HOSTS:
        messages.append(Warning("ZHILI_ALLOWED_HOSTS 含 *：任何 Host 头都被接受（外发链接可被指向别的域名）。请只写本平台的域名。",
                                hint="ZHILI_ALLOWED_HOSTS=zhili.example.gov.cn", id="zhili.W001"))
    if settings.TESTING:
        messages.append(Warning("ZHILI_TESTING 已设置：这是测试套件用的开关（开发密钥、任务立即执行），生产环境不能设置。",
                                hint="unset ZHILI_TESTING", id="zhili.W002"))
    if not settings.ZHILI_METRICS_TOKEN and not settings.ZHILI_METRICS_ALLOWED_NETWORKS:
        messages.append(Warning("ZHILI_METRICS_TOKEN 和 ZHILI_METRICS_ALLOWED_NETWORKS 都未设置：/metrics 拒绝所有访问，监控取不到数。",
                                hint=".venv/bin/zhili keys_generate 生成 ZHILI_METRICS_TOKEN", id="zhili.W003"))
    return messages


@register(Tags.staticfiles, deploy=True)
def collected_static_files_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Warning(problem, id="zhili.W004") for problem in static_files_problems()]


@register()
def translation_catalogues_compiled_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A catalogue edited and not compiled shows its old (or no) translations: the .mo is what Django reads."""
    return [Warning(problem, hint="scripts/compile-messages", id="zhili.W006")
            for problem in uncompiled_catalogue_problems()]


def uncompiled_catalogue_problems() -> list[str]:
    problems = []
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("zhili."):
            continue  # third-party packages ship their own compiled catalogues
        for catalogue in sorted(Path(app_config.path).glob("locale/*/LC_MESSAGES/*.po")):
            compiled = catalogue.with_suffix(".mo")
            if not compiled.exists():
                problems.append(f"{catalogue} 没有编译好的 {compiled.name}：界面显示不出这份译文。请运行 scripts/compile-messages。")
            elif compiled.stat().st_mtime < catalogue.stat().st_mtime:
                problems.append(f"{catalogue} 比 {compiled.name} 新：改过的译文还没编译。请运行 scripts/compile-messages。")
    return problems
