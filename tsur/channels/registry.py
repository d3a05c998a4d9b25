"""Channel plugins by kind. A plugin module registers itself; the core looks plugins up by kind."""

from __future__ import annotations

import importlib
import pkgutil

from tsur.channels.base import ChannelPlugin

_PLUGINS: dict[str, type[ChannelPlugin]] = {}


def register(plugin: type[ChannelPlugin]) -> type[ChannelPlugin]:
    if plugin.kind in _PLUGINS and _PLUGINS[plugin.kind] is not plugin:
        raise ValueError(f"channel kind {plugin.kind!r} registered twice")
    _PLUGINS[plugin.kind] = plugin
    return plugin


def get(kind: str) -> type[ChannelPlugin]:
    try:
        return _PLUGINS[kind]
    except KeyError:
        raise KeyError(f"no channel plugin for kind {kind!r}") from None


def kinds() -> list[tuple[str, str]]:
    return sorted((k, p.label) for k, p in _PLUGINS.items())


def autodiscover() -> None:
    """Import every sub-package of tsur.channels that has a `plugin` module."""
    import tsur.channels as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"tsur.channels.{info.name}.plugin")
            except ModuleNotFoundError as exc:
                if exc.name != f"tsur.channels.{info.name}.plugin":
                    raise
