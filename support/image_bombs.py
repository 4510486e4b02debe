"""Hostile images of issue 21, made by code: small files whose decode costs too much memory
(a very wide strip) or too much time (a progressive JPEG repeating one scan)."""

from __future__ import annotations

import io

from PIL import Image

from recsys.decode_budget import _after_entropy_data

# The wide strip: 1,562,500 x 32 RGBA is 50 MP (just at the default limit), 194 KB.
WIDE_SIZE = (1_562_500, 32)
# The scan bomb's picture: big enough that every repeated scan is one long pass over its blocks.
SCAN_BOMB_SIDE = 7000


def wide_png() -> bytes:
    """The 1,562,500 x 32 RGBA PNG (building it takes ~200 MB: do it in a throwaway process)."""
    out = io.BytesIO()
    Image.new("RGBA", WIDE_SIZE, (10, 200, 30, 128)).save(out, "PNG")
    return out.getvalue()


def progressive_jpeg(side: int = SCAN_BOMB_SIDE) -> bytes:
    """An ordinary progressive JPEG of one grey square."""
    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, "JPEG", progressive=True, quality=90)
    return out.getvalue()


def scan_bomb(scans: int = 2000, side: int = SCAN_BOMB_SIDE) -> bytes:
    """The progressive JPEG with its last scan (a few bytes: a refinement pass of a flat
    picture) repeated until it has `scans` scans; libjpeg decodes every repeat in full."""
    data = progressive_jpeg(side)
    segments = _scans(data)
    start, end = segments[-1]
    return data[:end] + data[start:end] * (scans - len(segments)) + data[end:]


def _scans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every scan: its SOS segment and entropy-coded data (DHT tables between
    scans are left out of the spans but kept in the file)."""
    spans, pos = [], 0
    while (pos := data.find(b"\xff\xda", pos)) >= 0:
        header = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = _after_entropy_data(data, header)
        spans.append((pos, end))
        pos = end
    return spans
