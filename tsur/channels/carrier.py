"""Channels carry notifications back to where the appeal came from: a notification of an answer,
an interim answer or an extension for an appeal that came from a channel that can answer becomes
an outbound Delivery, in the transaction that records the notification (tsur.appeals' Carrier
contract; appeals does not import channels)."""

from __future__ import annotations

from collections.abc import Sequence

from tsur.appeals.models import Notification
from tsur.channels.deliveries import DELIVERED_KINDS, create_for_notification


class ChannelDeliveries:
    """The carrier channels register (tsur.channels.apps)."""

    kinds = DELIVERED_KINDS

    def carry(self, notes: Sequence[Notification]) -> set[int]:
        return {note.pk for note in notes if note.kind in DELIVERED_KINDS and create_for_notification(note) is not None}
