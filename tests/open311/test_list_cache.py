"""Open311's public list kept in the shared cache (TSUR_OPEN311_LIST_CACHE_SECONDS): a repeat of
the same query is answered without the database, another query, format or host is built on its
own, a refused query is never kept, and with 0 every request is built afresh."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import new_appeal
from tests.open311.conftest import BASE, as_json
from tsur.appeals import services


def published(world, text: str):
    a = new_appeal(world, text=text)
    services.route_appeal(a.pk, world.operator, organisation_code="roads-min")
    return a


def numbers(response) -> list[str]:
    return [row["service_request_id"] for row in as_json(response)]


@pytest.fixture
def kept(settings):  # the cache starts and ends empty (tests/conftest.py: _fresh_cache)
    settings.TSUR_OPEN311_LIST_CACHE_SECONDS = 15


def test_a_repeated_query_is_answered_from_the_cache_until_it_expires(client, world, kept):
    first = published(world, "Яма на дороге у остановки")
    url = f"{BASE}/requests.json"
    built = client.get(url)
    assert numbers(built) == [first.number]
    second = published(world, "Не горит фонарь во дворе")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.status_code == 200 and again.content == built.content and again["Content-Type"] == built["Content-Type"]
    assert not [q for q in queries.captured_queries if "appeals_appeal" in q["sql"]]  # not read again
    # Another query, format or host is another entry: built now, and it sees the new request.
    assert set(numbers(client.get(url, {"status": "open"}))) == {first.number, second.number}
    assert second.number in client.get(f"{BASE}/requests.xml").content.decode()
    assert set(numbers(client.get(url, HTTP_HOST="127.0.0.1"))) == {first.number, second.number}
    # The same query with its parameters in another order is the same entry.
    a = client.get(url, {"status": "open", "service_code": "pothole"}).content
    assert client.get(f"{url}?service_code=pothole&status=open").content == a
    # Expired (here: dropped), it is built afresh.
    cache.clear()
    assert set(numbers(client.get(url))) == {first.number, second.number}


def test_a_refused_query_is_never_kept(client, world, kept):
    url = f"{BASE}/requests.json"
    assert client.get(url, {"status": "later"}).status_code == 400
    assert client.get(url, {"status": "later"}).status_code == 400
    assert client.get(url).status_code == 200


def test_with_zero_every_request_is_built(client, world, settings):
    settings.TSUR_OPEN311_LIST_CACHE_SECONDS = 0
    cache.clear()
    url = f"{BASE}/requests.json"
    client.get(url)
    added = published(world, "Мусор не вывозят неделю")
    assert added.number in numbers(client.get(url))
