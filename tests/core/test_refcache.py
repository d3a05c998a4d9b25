"""Reference rows kept in the process (tsur.core.refcache): kept for the configured period,
forgotten when this process saves or deletes one, never kept from a transaction that changed them
(it could yet be rolled back), and read afresh every time when the period is 0."""

from __future__ import annotations

import pytest
from django.db import transaction

from tsur.core.refcache import Cached
from tsur.directory.models import Block, Category

pytestmark = pytest.mark.django_db(transaction=True)


class Loads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> set[str]:
        self.count += 1
        return set(Category.objects.filter(is_active=True).values_list("code", flat=True))


@pytest.fixture
def block():
    return Block.objects.create(key="roads", name="Дороги", order=1)


def test_it_keeps_the_rows_for_the_period_and_forgets_them_on_a_save(block, settings):
    settings.TSUR_REFERENCE_CACHE_SECONDS = 60
    Category.objects.create(code="pothole", block=block, name="Ямы")
    loads = Loads()
    cached = Cached("test-categories-1", loads, watch=[Category])

    assert cached.get() == {"pothole"} and cached.get() == {"pothole"}
    assert loads.count == 1
    Category.objects.create(code="snow", block=block, name="Снег")
    assert cached.get() == {"pothole", "snow"}
    assert loads.count == 2


def test_rows_a_rolled_back_transaction_changed_are_never_kept(block, settings):
    settings.TSUR_REFERENCE_CACHE_SECONDS = 60
    loads = Loads()
    cached = Cached("test-categories-2", loads, watch=[Category])
    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.create(code="ghost", block=block, name="Откатится")
        assert cached.get() == {"ghost"}  # this transaction sees its own row…
        raise RuntimeError
    assert cached.get() == set()  # …which was not kept past the rollback


def test_a_period_of_zero_reads_every_time(block, settings):
    settings.TSUR_REFERENCE_CACHE_SECONDS = 0
    loads = Loads()
    cached = Cached("test-categories-3", loads, watch=[Category])
    cached.get()
    cached.get()
    assert loads.count == 2


def test_it_expires_after_the_period(block, settings, monkeypatch):
    from tsur.core import refcache

    settings.TSUR_REFERENCE_CACHE_SECONDS = 30
    now = [1000.0]
    monkeypatch.setattr(refcache, "_clock", lambda: now[0])
    loads = Loads()
    cached = Cached("test-categories-4", loads, watch=[Category])
    cached.get()
    Category.objects.filter(pk__in=[]).update(is_active=False)  # no signal: only the period helps
    now[0] += 29
    cached.get()
    assert loads.count == 1
    now[0] += 2
    cached.get()
    assert loads.count == 2
