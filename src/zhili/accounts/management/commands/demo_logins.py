"""Print the demo URL and one login per role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.urls import NoReverseMatch, reverse

from zhili.accounts.demo import DEMO_PASSWORD, DEMO_USERS
from zhili.accounts.models import User

ROLE_START_PAGES = {
    "operator": "cases:intake", "dispatcher": "cases:triage", "handler": "cases:inbox",
    "gridworker": "cases:grid_worker", "leader": "dashboard:leader", "planner": "indicators:plan_list",
    "analyst": "enterprises:home", "admin": "admin:index", "citizen": "core:home",
}


def start_page(username: str) -> str:
    try:
        return reverse(ROLE_START_PAGES.get(username, "core:home")).lstrip("/")
    except NoReverseMatch:
        return ""


class Command(BaseCommand):
    help = "打印演示地址与各角色演示账号。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = options["url"]
        self.stdout.write("")
        self.stdout.write(f"zhili 演示平台 / demo platform: {url}")
        self.stdout.write(f"密码 / password (all demo users): {DEMO_PASSWORD}")
        self.stdout.write(f"{'用户名 username':<18}{'角色 role':<22}")
        for username, _role, display_name, _department in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                continue
            self.stdout.write(f"{username:<18}{user.get_role_display():<14}{display_name:<12} {url}{start_page(username)}")
        self.stdout.write("市民随手拍无需登录 / citizens report without an account: " + url + "cases/report/")
        self.stdout.write("")
