"""How points read to people: one episode is one entry (a block point folded into the category
carrying it, same-topic neighbouring cells joined, consecutive windows of a place and topic kept
once), ranked by the strongest member so summed cells never outrank a stronger point; scores
bounded; cells named by the nearest street or settlement; the point page reaches every appeal
of its episode."""

from __future__ import annotations

import datetime as dt

import h3
import pytest

from tests.factories import new_appeal
from tests.tension.platform import MSK
from tests.tension.test_services import make_point
from tsur.analytics.filters import Filters
from tsur.core import clock
from tsur.directory.models import Street, Territory
from tsur.tension import grouping, naming, queries
from tsur.workspace.center import weekly_tension

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 3, 20)
AT = dt.datetime(2025, 3, 20, 12, 0, tzinfo=MSK)
CITY = (54.55, 36.25)
CELL = h3.latlng_to_cell(*CITY, 7)
NEAR = sorted(h3.grid_ring(CELL, 1))
FAR = sorted(h3.grid_ring(CELL, 3))


def _filters(**params: str) -> Filters:
    return Filters.parse({"from": "2025-03-01", "to": "2025-03-20", **params}, today=TODAY)


def _cell(world, cell: str = CELL, **overrides):
    lat, lon = h3.cell_to_latlng(cell)
    fields = {"place_kind": "cell", "place": cell, "territory": world.city, "lat": lat, "lon": lon,
              "explanation": "Ямы на дороге (Дороги) — Город, участок карты: 30 обращений за 7 дней при обычных 4"}  # fmt: skip
    fields.update(overrides)
    return make_point(world, **fields)


def test_it_folds_a_block_point_into_the_category_carrying_most_of_it(world):
    category = _cell(world, count=25, score=12.0)
    block = _cell(world, level="block", category=None, count=30, score=15.0)
    [entry] = queries.points(_filters())
    assert entry == category  # the category names the episode even when the block scores higher
    assert entry.group.block_points == [block] and entry.group_score == 15.0
    assert entry.group.count == 25  # the block's appeals are the category's, not added twice


def test_it_keeps_a_block_point_whose_categories_each_carry_little(world):
    category = _cell(world, count=10, score=12.0)
    block = _cell(world, level="block", category=None, count=30, score=15.0)
    assert queries.points(_filters()) == [block, category]
    assert grouping.BLOCK_SHARE * 30 > 10


def test_it_joins_the_same_topic_in_neighbouring_cells(world):
    lead = _cell(world, count=40, score=20.0)
    side = _cell(world, NEAR[0], count=12, expected=2.0, score=8.0)
    chained = _cell(world, h3.grid_ring(CELL, 2)[0], count=9, score=6.0)  # next to no cell of the episode
    far = _cell(world, FAR[0], count=11, score=7.0)
    other_topic = _cell(world, NEAR[1], category=world.snow, count=20, score=9.0)
    later = _cell(world, NEAR[2], window_start=dt.date(2025, 3, 1), window_end=dt.date(2025, 3, 8), score=10.0)
    entries = queries.points(_filters())
    [episode] = [e for e in entries if e == lead]
    assert episode.group.neighbours == [side]
    assert (episode.group.count, episode.group.expected) == (52, 6.0)
    touching = h3.are_neighbor_cells(chained.place, side.place)
    assert (chained in entries) is not touching and far in entries and other_topic in entries and later in entries
    view = weekly_tension.view_of(episode)
    assert "(и ещё 1 соседний участок)" in view.title and view.count == "52"
    assert view.explanation == "Самый сильный участок (Город, участок карты): 30 обращений за 7 дней при обычных 4"


def test_it_tells_a_change_once_per_episode(world):
    with clock.at(AT):
        lead = _cell(world, first_seen=AT, score=9.0)
        side = _cell(world, NEAR[0], first_seen=AT, score=6.0)
        apart = _cell(world, FAR[0], first_seen=AT, score=5.0)
    changes = queries.changes(AT - dt.timedelta(hours=1))
    assert [(c.kind, c.point) for c in changes] == [("new", lead), ("new", apart)]
    assert changes[0].point.group.neighbours == [side]
    assert changes[0].text.startswith("Новая: Ямы на дороге (Дороги) — Город, участок карты: 30")


def test_it_joins_neighbouring_cells_transitively_and_ranks_by_the_strongest(world):
    strong = make_point(world, place="village", territory=world.village, count=20, score=9.0)
    cells = [_cell(world, c, count=6, score=5.0 - i / 10) for i, c in enumerate([CELL, *NEAR[:3]])]
    entries = queries.points(_filters())
    # Four weak cells sum to 24 appeals, yet the episode ranks by its strongest cell (5.0), below a
    # single point scoring 9: summing never lifts an episode above what its points earned alone.
    assert entries == [strong, cells[0]]
    assert set(entries[1].group.neighbours) == set(cells[1:])
    assert queries.points(_filters(), limit=1) == [strong]


def test_it_keeps_one_of_consecutive_windows_of_a_place_and_topic(world):
    early = _cell(world, window_start=dt.date(2025, 3, 7), window_end=dt.date(2025, 3, 14), score=11.0)
    late = _cell(world, window_start=dt.date(2025, 3, 14), window_end=dt.date(2025, 3, 21), score=9.0)
    apart = _cell(world, window_start=dt.date(2025, 3, 1), window_end=dt.date(2025, 3, 5), score=4.0)
    entries = queries.points(_filters())
    assert entries == [early, apart]
    assert entries[0].group.other_windows == [late]
    tie = grouping.collapse([late, _cell(world, window_start=dt.date(2025, 3, 10), window_end=dt.date(2025, 3, 17), score=9.0)])
    assert [g.lead for g in tie] == [late]  # on a tie the latest window leads


def test_it_bounds_an_unbounded_score(world):
    with clock.at(AT):
        point = _cell(world, score=float("inf"), surprise=float("inf"), first_seen=AT)
    [entry] = queries.points(_filters())
    assert entry.score == entry.group_score == queries.SCORE_CAP
    [change] = queries.changes(AT - dt.timedelta(hours=1))
    assert change.point == point and change.point.score == queries.SCORE_CAP
    assert weekly_tension.view_of(entry).score == "очень высокая"
    assert queries.cap(float("nan")) == queries.SCORE_CAP and queries.cap(-3.0) == 0.0 and queries.cap(12.5) == 12.5


def test_it_names_a_cell_by_the_nearest_street_then_the_settlement(world):
    lat, lon = h3.cell_to_latlng(CELL)
    point = _cell(world)
    assert naming.place_name(point) == "Город, участок карты"  # no street, no settlement centre
    Territory.objects.filter(pk=world.city.pk).update(lat=lat + 0.02, lon=lon)  # 2,2 km north of the cell
    point = queries.points(_filters())[0]
    assert point.place_name == "Город, 2,2 км к югу от центра"
    Street.objects.create(territory=world.city, name="Далёкая", lat=lat + 0.05, lon=lon)
    Street.objects.create(territory=world.city, name="Ленина", lat=lat + 0.003, lon=lon + 0.003)
    Street.objects.create(territory=world.city, name="Садовый", type="переулок", lat=lat + 0.006, lon=lon)
    point = queries.points(_filters())[0]
    assert point.place_name == "Город, у ул. Ленина"
    assert naming.explanation_of(point).startswith("Ямы на дороге (Дороги) — Город, у ул. Ленина: 30 обращений")
    assert weekly_tension.view_of(point).title == "Ямы на дороге — Город, у ул. Ленина"
    Territory.objects.filter(pk=world.city.pk).update(lat=lat, lon=lon)
    Street.objects.all().delete()
    assert queries.points(_filters())[0].place_name == "Город, центр"


def test_it_names_a_cell_far_from_a_centre_by_distance_and_direction(world):
    lat, lon = h3.cell_to_latlng(CELL)
    Territory.objects.filter(pk=world.village.pk).update(lat=lat - 0.09, lon=lon)  # 10 km south
    in_district = _cell(world, territory=world.district)
    assert naming.place_name(in_district) == "Район, 10 км к северу от населённого пункта Село"
    Territory.objects.filter(pk=world.village.pk).update(lat=None, lon=None)
    Territory.objects.filter(pk=world.city.pk).update(lat=lat, lon=lon + 0.1)  # 6,4 km east
    in_town = _cell(world, FAR[0], score=20.0)  # the cell lies in that very town: its outskirts
    [named] = queries.points(_filters(territory="city"))
    assert named == in_town and named.place_name.startswith("Город, ") and named.place_name.endswith(" от центра")


def test_it_names_a_territory_point_by_its_territory(world):
    point = make_point(world)
    assert naming.place_name(point) == "Район"
    assert naming.explanation_of(point) == point.explanation


def test_it_shows_one_row_per_episode_and_every_appeal_on_the_lead_page(client, world):
    with clock.at(AT - dt.timedelta(days=2)):
        mine, theirs = new_appeal(world), new_appeal(world)
    lead = _cell(world, count=40, score=20.0)
    side = _cell(world, NEAR[0], count=12, score=8.0)
    lead.appeals.set([mine])
    side.appeals.set([theirs])
    Territory.objects.filter(pk=world.city.pk).update(lat=CITY[0], lon=CITY[1])
    client.force_login(world.analyst)
    with clock.at(AT):
        html = client.get("/workspace/center/tension/", {**{"from": "2025-03-01", "to": "2025-03-20"}}).content.decode()
        page = client.get(f"/workspace/center/tension/{lead.pk}/").content.decode()
        side_page = client.get(f"/workspace/center/tension/{side.pk}/").content.decode()
    assert html.count(f"/workspace/center/tension/{lead.pk}/") >= 1 and f"/workspace/center/tension/{side.pk}/" not in html
    assert "и ещё 1 соседний участок" in html and "участок карты" not in html
    assert 'id="appeals"' in page
    assert mine.number in page and theirs.number in page
    assert "Обращения эпизода (2)" in page
    assert f'href="/workspace/center/tension/{lead.pk}/"' in side_page and "входит в эпизод" in side_page
