"""zhili totp_enable USERNAME: turn on two-factor sign-in (TOTP) for an admin or dispatcher."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.accounts.models import User
from zhili.accounts.services import TOTP_ROLES, user_totp_enable


class Command(BaseCommand):
    help = "为管理员或派单员开启动态口令（TOTP）双因素登录，打印供身份验证器扫描的地址。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在，请检查用户名。")
        if user.role not in TOTP_ROLES:
            raise CommandError("动态口令用于管理员和派单员账号；该用户的角色无需开启。")
        uri = user_totp_enable(user=user)
        self.stdout.write("已开启动态口令。请用身份验证器扫描或输入以下地址，此后登录需填写6位动态口令：")
        self.stdout.write(uri)
