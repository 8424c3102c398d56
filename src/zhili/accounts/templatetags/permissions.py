"""``{% if user|can:"case.import" %}``: show a link only to a role that may open it (the one permission table).

    {% load permissions %}
    {% if user|can:"enterprise.import" %}<a href="…">数据导入</a>{% endif %}
"""

from __future__ import annotations

from typing import Any

from django import template

from zhili.accounts.permissions import Action, user_can

register = template.Library()


@register.filter
def can(user: Any, action: str) -> bool:
    return user_can(user, Action(action))
