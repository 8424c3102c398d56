"""The application against a real streaming replica (``pg_basebackup -R`` of the test primary).

Routed reads run on the replica (``pg_is_in_recovery()`` on the serving connection); reads inside a
write, a user's reads just after a change, and all reads while the replica lags or is down run on
the primary, and ``/readyz`` says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.postgresql.conftest import Primary
from tests.postgresql.servers import (
    Server,
    application,
    application_environment,
    base_backup,
    configuration_include,
    deploy_file,
    free_port,
)

pytestmark = pytest.mark.postgresql_servers


@pytest.fixture
def replica(primary: Primary) -> Iterator[Server]:
    data = base_backup(primary.server, standby=True)
    # the copied postgresql.conf includes the primary's file; the replica's own settings come after it
    configuration_include(data, "zhili-replica.conf", deploy_file("replica.conf", {}))
    server = Server(data=data, port=free_port())
    server.start()
    try:
        server.wait_until("SELECT pg_is_in_recovery()", "t")
        primary.server.wait_until("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", "1")
        yield server
    finally:
        server.remove()


def test_routed_reads_run_on_the_replica_and_come_back_to_the_primary_when_they_must(
        primary: Primary, replica: Server) -> None:
    environment = application_environment(
        primary.url, DATABASE_REPLICA_URL=replica.url("zhili"), ZHILI_REPLICA_CHECK_SECONDS="0",
        ZHILI_REPLICA_MAX_LAG_SECONDS="1", ZHILI_REPLICA_STICKY_SECONDS="1")
    result: Any = application("replica_routing", environment)

    assert result["routed_alias"] == "replica"
    assert result["routed_in_recovery"] is True
    assert result["routed_case_count"] == result["case_count_on_primary"]
    assert result["alias_inside_atomic"] == "default"
    assert result["inside_atomic_in_recovery"] is False
    assert result["alias_outside_replica_reads"] == "default"
    assert result["primary_in_recovery"] is False
    page = result["page"]
    assert page["status"] == 200
    assert page["figure_queries_on_replica"] > 0
    assert page["figure_queries_on_primary"] == 0
    assert result["ready_replica"]["status"] == "ok"
    assert result["ready_replica"]["in_recovery"] is True

    assert result["post_status"] == 405  # the leader page takes no POST; any change-method request pins
    assert result["sticky_cookie_set"] is True
    assert result["page_after_post"]["figure_queries_on_replica"] == 0
    assert result["page_after_post"]["figure_queries_on_primary"] > 0
    assert result["page_after_sticky_period"]["figure_queries_on_replica"] > 0
    assert result["page_after_sticky_period"]["figure_queries_on_primary"] == 0

    assert result["page_while_lagging"]["status"] == 200
    assert result["page_while_lagging"]["figure_queries_on_replica"] == 0
    assert result["page_while_lagging"]["figure_queries_on_primary"] > 0
    lagging = result["ready_replica_while_lagging"]
    assert lagging["status"] == "warning"
    assert lagging["lag_seconds"] > 1
    assert "ZHILI_REPLICA_MAX_LAG_SECONDS=1" in lagging["message"]
    assert result["page_after_catch_up"]["figure_queries_on_replica"] > 0

    replica.stop()
    down: Any = application("replica_down", environment)
    assert down["routed_alias"] == "default", down
    assert down["page"]["status"] == 200
    assert down["page"]["figure_queries_on_replica"] == 0
    assert down["page"]["figure_queries_on_primary"] > 0
    assert down["ready_replica"]["status"] == "warning"
    assert down["ready_replica"]["message"].startswith("只读副本连接失败 (OperationalError)")
    assert down["ready_status"] in {"warning", "fail"}  # "fail" only when this checkout's static files are missing
