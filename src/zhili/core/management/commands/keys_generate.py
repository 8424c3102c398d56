"""``zhili keys_generate``: print fresh production keys as environment lines, for the secret store."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhili.core.environment import personal_data_key_new, secret_key_new


class Command(BaseCommand):
    help = "生成生产环境密钥（ZHILI_SECRET_KEY、ZHILI_PII_KEY、ZHILI_METRICS_TOKEN），按环境变量格式输出。"
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"ZHILI_SECRET_KEY={secret_key_new()}")
        self.stdout.write(f"ZHILI_PII_KEY={personal_data_key_new()}")
        self.stdout.write(f"ZHILI_METRICS_TOKEN={secret_key_new()}")
