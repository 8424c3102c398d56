"""``zhili open311_apikey --name NAME [--user USERNAME]``: issue an API key and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.accounts.models import User
from zhili.cases.services.api_keys import api_key_issue


class Command(BaseCommand):
    help = "为对接系统签发 Open311 / JSON API 密钥（只显示一次，库中只存散列）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="对接系统名称")
        parser.add_argument("--user", default="", help="代表的用户名（可选；不填则只能提交新诉求）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"用户 {options['user']} 不存在")
        issued = api_key_issue(name=options["name"], user=user)
        self.stdout.write(issued.raw_key)
