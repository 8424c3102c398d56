"""The case list's paginator: exact counts for small lists, the planner's estimate for huge ones,
and text search that reaches descriptions through the trigram index on PostgreSQL."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case
from zhili.cases.pagination import CaseListPaginator, queryset_row_estimate
from zhili.cases.selectors import case_list
from zhili.cases.tests.factories import People, World, case_create


def _cases(count: int) -> list[Case]:
    return [case_create(description=f"第{index}号路灯不亮，晚上很黑") for index in range(count)]


def test_small_list_is_counted_exactly_and_pages_like_django(world: World, people: People) -> None:
    created = _cases(5)
    if connection.vendor == "postgresql":
        # The planner's estimate for a table it never analysed comes from its size on disk, which
        # other tests' rolled-back rows inflate (CI saw 19 for these 5 rows); with statistics, as
        # autovacuum keeps them in a running installation, the small list is counted exactly.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
    paginator = CaseListPaginator(case_list(user=people.admin), 2, exact_limit=10)
    assert (paginator.count, paginator.count_is_estimate, paginator.num_pages) == (5, False, 3)
    first = paginator.get_page(1)
    assert [case.pk for case in first] == [case.pk for case in reversed(created)][:2]
    assert first.has_next()
    assert not first.has_previous()
    last = paginator.get_page(3)
    assert [case.pk for case in last] == [created[0].pk]
    assert not last.has_next()
    # past the end of an exact count: Django's rule, the last page
    assert paginator.get_page(9).number == 3


def test_list_above_the_exact_limit_is_estimated_on_postgresql(world: World, people: People) -> None:
    created = _cases(7)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE cases_case")
    paginator = CaseListPaginator(case_list(user=people.admin), 2, exact_limit=3)
    estimate = queryset_row_estimate(case_list(user=people.admin))
    if connection.vendor == "postgresql":
        assert estimate == 7  # the analysed table, no filter for an administrator
        with CaptureQueriesContext(connection) as queries:
            assert paginator.count_is_estimate
            assert paginator.count == 7
        # an estimate above the limit is taken as it is: the EXPLAIN only, no row counted
        assert len(queries.captured_queries) == 1
        assert queries.captured_queries[0]["sql"].startswith("EXPLAIN")
    else:
        assert estimate is None
        assert (paginator.count, paginator.count_is_estimate) == (7, False)
    # "next" comes from the rows themselves, so the last real page has none whatever the estimate
    last = paginator.page(4)
    assert [case.pk for case in last] == [created[0].pk]
    assert not last.has_next()
    assert paginator.page(3).has_next()


def test_page_past_an_estimated_end_is_empty_not_an_error(world: World, people: People) -> None:
    _cases(4)
    paginator = CaseListPaginator(case_list(user=people.admin), 2, exact_limit=3)
    if connection.vendor == "postgresql":
        page = paginator.get_page(40)
        assert (page.number, list(page), page.has_next(), page.has_previous()) == (40, [], False, True)
    else:
        assert paginator.get_page(40).number == 2  # exact count: the last page
    assert paginator.get_page("x").number == 1


def test_case_list_page_says_when_the_count_is_approximate(world: World, people: People) -> None:
    _cases(3)
    client = Client()
    client.force_login(people.admin)
    html = client.get("/cases/").content.decode()
    assert "共 3 件" in html
    assert "约" not in html.split("<table", 1)[0].rsplit("<section", 1)[-1]


def test_text_search_finds_words_of_the_description(world: World, people: People) -> None:
    # the words searched for lie past the title (the first 30 characters of the description)
    lamp = case_create(description="小区东门的路灯已经坏了一个多星期，晚上整条路都很黑，走路看不清楚，老人出行不便")
    case_create(description="垃圾桶满了没人清运")
    assert "老人出行" not in lamp.title
    found = list(case_list(user=people.admin, case_filter=CaseFilter(text="老人出行")))
    assert [case.pk for case in found] == [lamp.pk]
    assert [case.pk for case in case_list(user=people.admin, case_filter=CaseFilter(text=lamp.number))] == [lamp.pk]
    # case-insensitive, and LIKE's wildcards in the text are matched literally
    latin = case_create(description="The street lamp in front of our building is broken near Gate 100%")
    assert "Gate" not in latin.title
    assert [case.pk for case in case_list(user=people.admin, case_filter=CaseFilter(text="gate 100%"))] == [latin.pk]
    assert list(case_list(user=people.admin, case_filter=CaseFilter(text="gate_100"))) == []


def test_text_search_is_answered_by_the_trigram_index_on_postgresql(world: World, people: People) -> None:
    case_create(description="小区东门路灯不亮，晚上很黑")
    query = case_list(user=people.admin, case_filter=CaseFilter(text="路灯不亮"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # a two-row table is otherwise scanned, or walked in created_at order
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_indexscan = off")
            plan = query.explain()
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
        assert "cases_search_text_trigram" in plan
    else:
        assert '"cases_case"."description" LIKE' in str(query.query)
    assert len(list(query)) == 1
