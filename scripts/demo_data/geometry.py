"""Geometry (lon/lat degrees; small-area planar approximations are enough for a region):
topology-preserving simplification, ring checks, point-in-polygon, representative points."""

from __future__ import annotations

import math

from tsur.lib import geo

COORD_DECIMALS = 5  # ~1 m

M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON_EQ = 111_320.0


def _to_metres(ring, lat0):
    kx = M_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    return [(x * kx, y * M_PER_DEG_LAT) for x, y in ring]


def _seg_dist(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _dp_keep(pts, tol):
    """Indices kept by Douglas–Peucker on an open polyline (iterative)."""
    n = len(pts)
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        best, idx = -1.0, -1
        for k in range(i + 1, j):
            d = _seg_dist(pts[k], pts[i], pts[j])
            if d > best:
                best, idx = d, k
        if best > tol:
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    return [k for k in range(n) if keep[k]]


def signed_area(ring) -> float:
    s = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        s += x1 * y2 - x2 * y1
    return s / 2.0


def _orient(a, b, c) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1, p2, p3, p4) -> bool:
    """True if the closed segments p1p2 and p3p4 intersect (touching counts)."""
    d1, d2 = _orient(p3, p4, p1), _orient(p3, p4, p2)
    d3, d4 = _orient(p1, p2, p3), _orient(p1, p2, p4)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and ((d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)):
        return True

    def on_seg(a, b, c):
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    if d1 == 0 and on_seg(p3, p4, p1):
        return True
    if d2 == 0 and on_seg(p3, p4, p2):
        return True
    if d3 == 0 and on_seg(p1, p2, p3):
        return True
    if d4 == 0 and on_seg(p1, p2, p4):
        return True
    return False


def crossing_edges(ring) -> set[int]:
    """Indices of edges of the closed ring that touch a non-adjacent edge (x-sorted sweep)."""
    n = len(ring) - 1  # edges
    edges = []
    for i in range(n):
        a, b = ring[i], ring[i + 1]
        edges.append((min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1]), i))
    edges.sort()
    bad: set[int] = set()
    for ii in range(len(edges)):
        x0, x1, y0, y1, i = edges[ii]
        for jj in range(ii + 1, len(edges)):
            u0, u1, v0, v1, j = edges[jj]
            if u0 > x1:
                break
            if v0 > y1 or v1 < y0:
                continue
            if abs(i - j) == 1 or abs(i - j) == n - 1:
                continue  # neighbours share a vertex
            if _segments_cross(ring[i], ring[i + 1], ring[j], ring[j + 1]):
                bad.update((i, j))
    return bad


def ring_is_simple(ring) -> bool:
    return not crossing_edges(ring)


def ring_is_valid(ring) -> bool:
    return (
        len(ring) >= 4
        and ring[0] == ring[-1]
        and len({tuple(p) for p in ring[:-1]}) == len(ring) - 1
        and abs(signed_area(ring)) > 0
        and ring_is_simple(ring)
    )


def _round_ring(ring):
    out = []
    for x, y in ring:
        p = [round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)]
        if not out or out[-1] != p:
            out.append(p)
    if out[0] != out[-1]:
        out.append(list(out[0]))
    return out


def simplify_shared(geoms, tol_m):
    """Topology-preserving Douglas–Peucker for geometries that share borders vertex for vertex.

    Each ring is cut into arcs at the vertices where the set of geometries sharing the border
    changes (rings without such a vertex are cut at their smallest vertex). Each distinct arc is
    simplified once and reused, reversed where needed, by every ring that runs along it, so
    neighbours keep a common border (no gaps, no overlaps). A ring that comes out invalid
    (collapsed or self-intersecting) gets its arcs re-simplified with half the tolerance.
    Returns the simplified geometries in RFC 7946 orientation.
    """
    edge_owners: dict[tuple, set] = {}
    for gi, geom in enumerate(geoms):
        for poly in polygons_of(geom):
            for ring in poly:
                for a, b in zip(ring, ring[1:], strict=False):
                    key = (tuple(a), tuple(b)) if tuple(a) <= tuple(b) else (tuple(b), tuple(a))
                    edge_owners.setdefault(key, set()).add(gi)

    def owners(a, b):
        key = (tuple(a), tuple(b)) if tuple(a) <= tuple(b) else (tuple(b), tuple(a))
        return frozenset(edge_owners[key])

    def arcs_of(ring):
        pts = [tuple(p) for p in ring[:-1]]
        n = len(pts)
        nodes = [
            i for i in range(n)
            if owners(pts[i - 1], pts[i]) != owners(pts[i], pts[(i + 1) % n])
        ]
        if not nodes:
            nodes = [min(range(n), key=lambda i: pts[i])]
        arcs = []
        for k, start in enumerate(nodes):
            end = nodes[(k + 1) % len(nodes)]
            if end <= start:
                end += n
            arcs.append([pts[i % n] for i in range(start, end + 1)])
        return arcs

    lat0 = sum(p[1] for g in geoms for poly in polygons_of(g) for p in poly[0]) / sum(
        len(poly[0]) for g in geoms for poly in polygons_of(g)
    )
    tolerance: dict[tuple, float] = {}
    cache: dict[tuple, list] = {}

    def canonical(arc):
        t, r = tuple(arc), tuple(reversed(arc))
        return (t, False) if t <= r else (r, True)

    def simplified_arc(arc):
        key, rev = canonical(arc)
        tol = tolerance.setdefault(key, tol_m)
        if (key, tol) not in cache:
            pts = _to_metres(key, lat0)
            cache[(key, tol)] = [key[k] for k in _dp_keep(pts, tol)] if tol >= 1.0 else list(key)
        out = cache[(key, tol)]
        return list(reversed(out)) if rev else out

    structure = [[[arcs_of(ring) for ring in poly] for poly in polygons_of(g)] for g in geoms]
    for _ in range(16):
        loosen: set[tuple] = set()
        result = []
        for g, gstruct in zip(geoms, structure, strict=True):
            polys = []
            for poly_arcs in gstruct:
                rings = []
                for k, arcs in enumerate(poly_arcs):
                    pts, arc_of_edge = [], []
                    for ai, arc in enumerate(arcs):
                        s = simplified_arc(arc)
                        s = s if not pts else s[1:]
                        pts.extend(s)
                        arc_of_edge.extend([ai] * len(s))
                    ring = _round_ring(pts)
                    if not ring_is_valid(ring):
                        # Loosen only the arcs whose edges cross; all of them if the ring collapsed.
                        crossing = crossing_edges([list(p) for p in pts])
                        culprits = {arc_of_edge[(e + 1) % len(arc_of_edge)] for e in crossing} or set(range(len(arcs)))
                        loosen.update(canonical(arcs[ai])[0] for ai in culprits)
                    if (k == 0) != (signed_area(ring) > 0):
                        ring = ring[::-1]
                    rings.append(ring)
                polys.append(rings)
            result.append(
                {"type": "Polygon", "coordinates": polys[0]}
                if g["type"] == "Polygon"
                else {"type": "MultiPolygon", "coordinates": polys}
            )
        if not loosen:
            return result
        for key in loosen:
            tolerance[key] = tolerance.get(key, tol_m) / 2.0
    raise ValueError("could not simplify into valid rings")

def polygons_of(geom):
    if geom["type"] == "Polygon":
        return [geom["coordinates"]]
    if geom["type"] == "MultiPolygon":
        return geom["coordinates"]
    raise ValueError(geom["type"])


def point_in_geometry(lon, lat, geom) -> bool:
    return geo.contains(geom, lat, lon)


def representative_point(geom):
    """(lat, lon) inside the geometry: the area centroid of the largest polygon if it is inside,
    else the middle of the widest interior stretch of the horizontal line through it."""
    polys = polygons_of(geom)
    poly = max(polys, key=lambda p: abs(signed_area(p[0])))
    ring = poly[0]
    a = signed_area(ring)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        f = x1 * y2 - x2 * y1
        cx += (x1 + x2) * f
        cy += (y1 + y2) * f
    cx, cy = cx / (6 * a), cy / (6 * a)
    if point_in_geometry(cx, cy, geom):
        return round(cy, 5), round(cx, 5)
    xs = []
    for r in poly:
        for (x1, y1), (x2, y2) in zip(r, r[1:], strict=False):
            if (y1 > cy) != (y2 > cy):
                xs.append(x1 + (cy - y1) * (x2 - x1) / (y2 - y1))
    xs.sort()
    best = max(((xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)), key=lambda s: s[1] - s[0])
    return round(cy, 5), round((best[0] + best[1]) / 2, 5)


def count_points(geom) -> int:
    return sum(len(r) for p in polygons_of(geom) for r in p)
