"""Django's ``flush``, passing the audit table's append-only triggers by the explicit maintenance switch.

Wiping a whole database (test isolation, a fresh demo) is the one legitimate deletion of audit rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlushCommand

from zhili.audit.services import audit_maintenance_mode


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        with audit_maintenance_mode(options["database"]):
            super().handle(**options)
