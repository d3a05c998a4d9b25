"""A camera's frame for a simulated detection: a small PNG drawn with the standard library (a
street-grey gradient, a darker road band, the detection's box in its class's colour, a strip of
the camera's time code as bars). Deterministic for a seed; about 2–4 KB, far below the source's
image limit."""

from __future__ import annotations

import base64
import datetime as dt
import random
import struct
import zlib

WIDTH, HEIGHT = 160, 90
BOX_COLOUR = {
    "CONTAINER_OVERFLOW": (220, 120, 20),
    "ILLEGAL_DUMP": (160, 90, 40),
    "ROAD_ACCIDENT": (220, 30, 30),
    "SNOW_ON_ROAD": (40, 120, 220),
}


def _png(rows: list[bytes]) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + r for r in rows)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def frame_png(camera: str, klass: str, at: dt.datetime, *, seed: int = 0) -> bytes:
    rng = random.Random(f"{camera}:{klass}:{at.isoformat()}:{seed}")
    box_w, box_h = rng.randint(30, 55), rng.randint(20, 35)
    bx, by = rng.randint(10, WIDTH - box_w - 10), rng.randint(25, HEIGHT - box_h - 12)
    colour = BOX_COLOUR.get(klass, (200, 200, 0))
    code = f"{at:%H%M%S}"
    rows: list[bytes] = []
    for y in range(HEIGHT):
        shade = 95 + y // 2 + rng.randint(-4, 4) - (35 if 55 <= y <= 75 else 0)  # lighter far away, the road darker
        grey = bytes((max(0, min(255, shade)),) * 3)
        row = bytearray(grey * WIDTH)
        if y < 8:  # the time code strip: one bar per digit
            for i, digit in enumerate(code):
                row[i * 24 : i * 24 + 3 * (int(digit) % 8 + 1)] = b"\xeb" * (3 * (int(digit) % 8 + 1))
        if by <= y < by + box_h:
            edges = range(bx, bx + box_w) if y in (by, by + 1, by + box_h - 2, by + box_h - 1) else (bx, bx + 1, bx + box_w - 2, bx + box_w - 1)
            for x in edges:
                row[x * 3 : x * 3 + 3] = bytes(colour)
        rows.append(bytes(row))
    return _png(rows)


def frame_base64(camera: str, klass: str, at: dt.datetime, *, seed: int = 0) -> str:
    return base64.b64encode(frame_png(camera, klass, at, seed=seed)).decode("ascii")
