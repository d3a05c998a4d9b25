"""core.events.gathering: what a bulk writer publishes through many service calls reaches each
subscriber in one call, and what a rolled-back block published is dropped with it."""

from __future__ import annotations

import pytest
from django.db import transaction

from tsur.core.events import Topic, gathering


def test_it_delivers_what_a_gathered_transaction_published_in_one_call(db):
    topic, calls = Topic[int]("test"), []
    topic.subscribe(calls.append, uid="t")
    with transaction.atomic(), gathering():
        for i in range(3):
            with transaction.atomic(), gathering():
                topic.publish([i])
        with pytest.raises(RuntimeError), transaction.atomic(), gathering():
            topic.publish([99])
            raise RuntimeError("this block is rolled back")
        assert calls == []
    assert calls == [[0, 1, 2]]


def test_it_delivers_each_publication_after_its_commit_without_gathering(db):
    topic, calls = Topic[int]("test"), []
    topic.subscribe(calls.append, uid="t")
    with transaction.atomic():
        topic.publish([1])
    with transaction.atomic():
        topic.publish([2])
    assert calls == [[1], [2]]
