"""The application behind PgBouncer in transaction mode (``ZHILI_PG_PREPARED_STATEMENTS=0``):
migrate (the folder's fixture migrates through it), intake, a page and a chunked export."""

from __future__ import annotations

from typing import Any

import pytest

from tests.postgresql.conftest import Primary, pooled_transactions
from tests.postgresql.servers import application, application_environment

pytestmark = pytest.mark.postgresql_servers


def test_the_application_works_through_pgbouncer_in_transaction_mode(primary: Primary) -> None:
    pool_mode = {row["key"]: row["value"] for row in primary.pooler.show("CONFIG")}["pool_mode"]
    assert pool_mode == "transaction"
    # the migration ran through the pooler: every migration is at least one transaction
    applied = int(primary.server.query("SELECT count(*) FROM django_migrations", database="zhili"))
    assert applied > 50
    assert primary.migration_transactions >= applied

    before = pooled_transactions(primary.pooler, "zhili")
    result: Any = application("pooled", application_environment(primary.pooler.url("zhili"),
                                                                ZHILI_PG_PREPARED_STATEMENTS="0"))
    assert len(result["numbers"]) == 3
    stored = set(primary.server.query("SELECT number FROM cases_case", database="zhili").split())
    assert set(result["numbers"]) <= stored
    assert result["page_status"] == 200
    assert result["export_state"] == "done"
    assert result["export_rows"] == result["case_count"]
    assert result["options"] == {"prepare_threshold": None}
    assert result["server_side_cursors_disabled"] is True
    assert pooled_transactions(primary.pooler, "zhili") > before
