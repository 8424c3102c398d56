"""``zhili personal_data_rekey (--from-secret-key | --from-key-env VAR) [--dry-run]``.

Re-encrypts reporters' names, phones and ID numbers, and the users' TOTP secrets, under the
configured ``ZHILI_PII_KEY``:

* ``--from-secret-key``: the installation ran before December 2026, when the key was derived from the
  secret key. The old secret key is read from ``ZHILI_OLD_SECRET_KEY`` (default: the configured
  ``ZHILI_SECRET_KEY``, i.e. when it has not changed).
* ``--from-key-env VAR``: rotation; the previous ``ZHILI_PII_KEY`` is in the environment variable VAR.

Keys are taken from the environment, never from the command line (which other users can read in ps).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from zhili.accounts.services import users_totp_secrets_rekey
from zhili.cases.personal_data import personal_keys_derived_from_secret_key, personal_keys_from_key
from zhili.cases.services.personal_data_keys import cases_personal_data_rekey
from zhili.core.errors import ApplicationError


class Command(BaseCommand):
    help = "把报件人个人信息改用当前的 ZHILI_PII_KEY 加密（旧版由 SECRET_KEY 派生的密钥，或轮换前的旧密钥）。"

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-secret-key", action="store_true",
                            help="旧数据用由 SECRET_KEY 派生的密钥加密（旧 SECRET_KEY 取自 ZHILI_OLD_SECRET_KEY，未设则用当前的）")
        source.add_argument("--from-key-env", metavar="VAR", help="旧的 ZHILI_PII_KEY 所在的环境变量名")
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["from_secret_key"]:
                old_secret = os.environ.get("ZHILI_OLD_SECRET_KEY", "").strip() or settings.SECRET_KEY
                old_keys = personal_keys_derived_from_secret_key(old_secret)
                source = "secret_key"
            else:
                variable = options["from_key_env"]
                value = os.environ.get(variable, "").strip()
                if not value:
                    raise CommandError(f"环境变量 {variable} 未设置：请把旧的 ZHILI_PII_KEY 放进该变量后再运行。")
                old_keys = personal_keys_from_key(value)
                source = "pii_key"
            with transaction.atomic():  # cases and TOTP secrets together, or neither
                result = cases_personal_data_rekey(old_keys=old_keys, source=source, dry_run=options["dry_run"])
                totp = users_totp_secrets_rekey(old_keys=old_keys, dry_run=options["dry_run"])
        except (ApplicationError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        verb = "将重新加密" if result.dry_run else "已重新加密"
        self.stdout.write(f"{verb} {result.rekeyed} 件案件；{result.already_current} 件已是当前密钥。")
        self.stdout.write(f"{verb} {totp.rekeyed} 个账号的动态口令密钥；{totp.already_current} 个已是当前密钥。")
