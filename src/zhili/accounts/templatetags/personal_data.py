"""``{% personal text target %}``: free text as the signed-in viewer may read it (the one policy).

    {% load personal_data %}
    {% personal case.description case %}

``target`` is the object the text belongs to (a case: its scope, reporter and 保密 flag decide);
the output is escaped like any other variable.
"""

from __future__ import annotations

from typing import Any

from django import template

from zhili.accounts.personal_data_policy import personal_text_for

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context: template.Context, text: Any, target: object | None = None) -> str:
    request = context.get("request")
    viewer = getattr(request, "user", None)
    return personal_text_for(viewer, "" if text is None else str(text), target)
