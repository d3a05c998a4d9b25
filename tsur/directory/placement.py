"""Does an appeal's point lie in its territory? The one check the widget, the card and the
place-changing service share, so the three never disagree about the same pair.

Territories without a boundary of their own (settlements, okrugs in the shipped data) are checked
against the nearest territory up their chain that has one: a point in «Полотняный Завод» is only
known to be in its municipal district.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsur.directory.models import Territory
from tsur.directory.services import territory_at
from tsur.lib import geo


@dataclass(frozen=True)
class PointCheck:
    territory: Territory  # the territory the appeal names
    checked: Territory  # the territory whose boundary was tested (the named one or its ancestor)
    inside: bool
    point_in: Territory | None  # the deepest territory with a boundary around the point, if any

    @property
    def outside(self) -> bool:
        return not self.inside


def boundary_holder(territory: Territory) -> Territory | None:
    """The territory itself when it has a boundary, else the nearest ancestor that has one."""
    for node in territory.ancestors_and_self():
        if node.boundary:
            return node
    return None


def check_point(territory: Territory | None, lat: float | None, lon: float | None) -> PointCheck | None:
    """None when there is nothing to compare: no territory, no point, or no boundary to test."""
    if territory is None or lat is None or lon is None:
        return None
    holder = boundary_holder(territory)
    if holder is None:
        return None
    inside = geo.contains(holder.boundary, lat, lon)
    return PointCheck(territory=territory, checked=holder, inside=inside, point_in=None if inside else territory_at(lat, lon))


def outside_message(check: PointCheck) -> str:
    """«Точка вне территории «Калуга»: она в «Мещовский район»» — names, never codes."""
    where = f"она в «{check.point_in.name}»" if check.point_in is not None else "она за пределами региона"
    return f"Точка вне территории «{check.territory.name}»: {where}"
