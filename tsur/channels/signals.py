"""Reactions of channels to what happens to appeals, without `tsur.appeals` importing channels:
a notification of an answer, interim answer or extension for an appeal that came from a channel
becomes an outbound Delivery in the same transaction."""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from tsur.appeals.models import Notification

log = logging.getLogger(__name__)


@receiver(post_save, sender=Notification, dispatch_uid="tsur.channels.delivery_for_notification")
def delivery_for_notification(sender, instance: Notification, created: bool, raw: bool = False, **kwargs) -> None:
    from tsur.channels.deliveries import DELIVERED_KINDS, create_for_notification

    if not created or raw or instance.kind not in DELIVERED_KINDS:
        return
    try:
        # A savepoint: whatever goes wrong here must not undo the answer being published.
        with transaction.atomic():
            create_for_notification(instance)
    except (DatabaseError, ValueError, TypeError):
        log.exception("notification %s: the channel delivery could not be recorded", instance.pk)
