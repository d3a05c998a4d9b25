"""Where appeals come from: the registry of channel kinds — each with its code (stored on the
appeal), the label people read and the legal regime of its deadline (PRODUCT.md: a social post is
an incident, a widget message a ПОС message, a letter a 59-FZ appeal).

It is data, registered by whoever provides the channel: appeals registers the ways it is fed
directly (the widget, the app, Open311, an operator's entry), tsur.channels registers its plugins'
(tsur/channels/kinds.py). A new channel is a registration, not a migration of appeals. A
category's own regime, when it has one, still wins (services.creation.regime_for), and
TSUR_CHANNEL_REGIMES overrides a kind's regime by configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from tsur.directory.models import Regime


@dataclass(frozen=True)
class ChannelKind:
    code: str
    label: str
    regime: str


_KINDS: dict[str, ChannelKind] = {}


def register(code: str, label: str, regime: str) -> str:
    """Register a channel kind (idempotent for the same definition); returns its code."""
    kind = ChannelKind(code, label, regime)
    if _KINDS.get(code, kind) != kind:
        raise ValueError(f"channel kind {code!r} is registered twice, differently")
    if len(code) > 16:
        raise ValueError(f"channel kind {code!r}: at most 16 characters (Appeal.channel)")
    _KINDS[code] = kind
    return code


def known() -> frozenset[str]:
    return frozenset(_KINDS)


def label(code: str) -> str:
    kind = _KINDS.get(code)
    return kind.label if kind else code


def regime(code: str) -> str:
    overrides = getattr(settings, "TSUR_CHANNEL_REGIMES", {})
    if code in overrides:
        return overrides[code]
    kind = _KINDS.get(code)
    return kind.regime if kind else Regime.MESSAGE


def choices() -> list[tuple[str, str]]:
    return sorted(((k.code, k.label) for k in _KINDS.values()), key=lambda c: c[1])


# The ways appeals are fed directly (PRODUCT.md, the three regimes).
WIDGET = register("widget", "Виджет на сайте", Regime.MESSAGE)
APP = register("app", "Мобильное приложение", Regime.MESSAGE)
OPEN311 = register("open311", "Open311", Regime.MESSAGE)
OPERATOR = register("operator", "Введено оператором", Regime.APPEAL)
