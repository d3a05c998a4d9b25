"""The records place extraction passes around: territories, name patterns, streets, mentions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Territory:
    code: str
    name: str
    level: str
    parent: str | None
    lat: float | None = None
    lon: float | None = None
    boundary: dict | None = None
    depth: int = 0
    type_hint: str = ""  # «село» / «деревня» / «ж.-д. станция» from «Горенское (село)»
    bbox: tuple[float, float, float, float] | None = None



@dataclass(slots=True)
class Pattern:
    """A name as a sequence of token positions, each a map form -> how demanding it is."""

    codes: tuple[str, ...]  # territories it names (several for homonyms); () for another region
    positions: tuple[dict[str, int], ...]
    kind: str  # "name" (city / settlement), "district", "okrug", "region", "foreign"
    label: str
    nominative: str = ""  # the first word as written in the name, folded


@dataclass(slots=True)
class Street:
    name: str
    type: str
    territory: str
    positions: tuple[frozenset[str], ...]


@dataclass(slots=True)
class Mention:
    codes: tuple[str, ...]
    start: int  # character offsets of the evidence snippet (marker / preposition included)
    end: int
    weight: float
    kind: str
    marker: str = ""  # settlement type of the marker, if any
    source: str = "text"


@dataclass(slots=True)
class Found:
    """What one string (text or address) yields."""

    mentions: list[Mention] = field(default_factory=list)
    streets: list[tuple[str, list[Street], str, bool]] = field(default_factory=list)  # (address, known streets, snippet, type agrees)
    foreign: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    surnames: int = 0  # surname-like names left out for want of a preposition: natasha may settle them
    tokens: list[str] = field(default_factory=list)  # the folded tokens of the string
    # Per token: 1 inside a street or «им.» name, or in a name after a person's or river's word
    # («маршала Жукова»): not a place, whatever NER says.
    not_place: bytearray = field(default_factory=bytearray)


