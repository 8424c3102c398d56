import time
import pytest
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_debug(new_page):
    page = new_page(viewport=PHONE, is_mobile=True)
    log = []
    page.on("request", lambda r: log.append(("req", time.time(), r.url)))
    page.on("requestfinished", lambda r: log.append(("done", time.time(), r.url)))
    page.on("requestfailed", lambda r: log.append(("fail", time.time(), r.url, r.failure)))
    try:
        page.goto("/cases/report/", timeout=30000)
    finally:
        for item in log: print(item)
    assert 0
