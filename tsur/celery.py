"""The Celery application (production background work on Redis).

Start a worker: `celery -A tsur worker -l info`; the periodic jobs: `celery -A tsur beat`.
Without TSUR_CELERY_BROKER_URL nothing here needs a server: tasks run in-process.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import redis
from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsur.settings")


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, except that a channel whose transport was already closed fails with a
    connection error instead of an AttributeError.

    The race (celery and kombu 5.7; the same error as celery/kombu#582): when Redis goes away, the
    worker's consumer (`Consumer.on_connection_error_after_connected`) `collect()`s the connection
    and then `close()`s it. Closing the task channel first reads the reply of its pending BRPOP,
    which fails while Redis is down, before the channel is marked closed; closing all channels then
    stops at the remote-control channel, whose auto-delete queue cannot be deleted either; kombu
    swallows both connection errors and detaches the transport anyway (`transport.client = None`).
    The second close finds the task channel still open and puts its unacknowledged (acks_late)
    messages back, which needs a new Redis pool built from `transport.client.hostname`:
    AttributeError. The late ack of a task that finishes meanwhile takes the same way. It is not a
    connection error, so it escapes the consumer's reconnect loop and the worker exits
    ("Unrecoverable error"). Whether it happens depends on what the worker was doing at that
    instant, which a loaded machine makes likelier.

    A closed transport cannot reach Redis: saying so with redis's ConnectionError lets each caller
    (the close, the late ack, a timer) handle it as the lost connection it is. Nothing is lost by
    not putting those messages back: the database holds the work and the sweeper re-enqueues
    whatever is pending (tsur.channels.tasks.sweep). tests/channels/test_fault.py replays the race;
    when kombu's own transport survives it, this class can go.
    """

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed (reconnecting)")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel


app = Celery("tsur")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A worker never gives up on the broker: it retries at start (Redis may come up after it) and
    # after a connection loss, for as long as it takes (Celery's default gives up after 100 tries,
    # ~45 minutes, and the worker exits with nobody to restart it).
    broker_connection_retry=True,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,
    # A task still running when the connection drops finishes its claimed batch instead of being
    # killed (Celery 6 will kill it by default): its late ack may be lost with the connection, which
    # costs nothing because every task re-reads and claims its rows.
    worker_cancel_long_running_tasks_on_connection_loss=False,
)


@app.on_after_configure.connect
def use_reconnect_safe_redis_transport(sender: Celery, source, **kwargs) -> None:
    """redis:// and rediss:// brokers go through RedisTransport above; any other broker (or none,
    tasks in-process) keeps the transport its URL names."""
    if urlsplit(source.broker_url or "").scheme in ("redis", "rediss"):
        source.broker_transport = f"{__name__}:RedisTransport"


app.autodiscover_tasks(["tsur.core", "tsur.channels"])
app.conf.beat_schedule = {
    "tick": {"task": "tsur.core.tasks.tick", "schedule": 60.0},
}
