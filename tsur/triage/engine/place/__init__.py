"""Where an appeal is about: a territory of the configured region from coordinates, an address
and the text. Pure Python (no Django).

`Gazetteer` is built once from a `PlaceConfig`: the territory rows (code, name, level, parent,
lat, lon, boundary), the street list (name, type, territory) and the places outside the region
residents name (name, kind). The platform makes it from its directory rows
(tsur.triage.places); the command-line tools and benchmarks from JSON files, the demo's by
default (`demo_places`). Construction precomputes every inflected form of every name with
pymorphy3, so `locate` only tokenises the text and looks tokens up in dictionaries (thousands of
texts a second); pymorphy3 is called at run time only for a rare unseen form that shares a prefix
with a name (cached). natasha's NER is a lazy, optional fallback for texts where the gazetteer
found nothing but which look like they contain an address and have a word outside street and
person names that a NER span could still turn into a territory (`NameIndex.ner_may_add`).

How a place is chosen (`Gazetteer.locate`):

1. Coordinates: the deepest territory whose boundary contains the point ("polygon: <name>"); a
   point outside every boundary but within `near_km` of a settlement with coordinates gives that
   settlement ("nearest settlement <name>, 3.2 km"). A settlement named in the text that lies
   inside the point's territory refines it.
2. Text (and the `address` argument, which weighs more): names of the region, districts, okrugs
   and settlements in any grammatical case («в Калуге», «Людиновском районе», «г. Обнинск»,
   «п. Воротынск», «Полотняный Завод»). A name that is also a common word («Новый», «Белая»,
   «Мир») needs a settlement marker (г., п., с., д., посёлок…); one that is also a surname
   («Жуков», «Кирова») needs a marker or a preposition («в Жукове»). Names inside a street
   («ул. Кирова») or after «им.» never count as settlements.
3. Streets: «ул. Ленина, д. 15», «улица Кирова 12», «пр-т Ленина», «Московская улица»… give
   the normalised `address`; a street from the street list implies its territory (in the demo,
   the city of Kaluga) when the text names no other place and no place outside the region
   (`PlaceConfig.outside`: «Москва», «СПб»).
4. Several places: the most specific wins when they nest (a settlement in the district that is
   also named); otherwise the one clearly mentioned more strongly, or else their common parent,
   with the ambiguity spelled out in `evidence`.

The package: `config` (what a gazetteer is built from), `words` (the vocabulary, the same for
every region), `morphology` (case forms, pymorphy3), `records`, `names` (the name and street index
and the text scan), `gazetteer` (`Gazetteer.locate`, one gazetteer per configuration, the
benchmark).
"""

from tsur.triage.engine.place.config import DEMO_DIR, DEMO_OUTSIDE, DEMO_STREETS, DEMO_TERRITORIES, PlaceConfig, demo_places
from tsur.triage.engine.place.gazetteer import Gazetteer, bench_place, shared_gazetteer
from tsur.triage.engine.place.names import NameIndex
from tsur.triage.engine.place.records import Territory
from tsur.triage.engine.place.words import COMMON, PERSON, STRONG

__all__ = [
    "COMMON",
    "DEMO_DIR",
    "DEMO_OUTSIDE",
    "DEMO_STREETS",
    "DEMO_TERRITORIES",
    "PERSON",
    "STRONG",
    "Gazetteer",
    "NameIndex",
    "PlaceConfig",
    "Territory",
    "bench_place",
    "demo_places",
    "shared_gazetteer",
]
