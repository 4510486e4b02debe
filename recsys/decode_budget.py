"""What decoding an image will cost, known from its header before any pixel is decoded: the
memory its decoder holds, and for JPEG how many passes over the picture it makes."""

from __future__ import annotations

from PIL import Image

# Peak memory one decode may hold, whatever the image's shape or format: a 50 MP RGBA frame
# (200 MB) fits, so every PNG, TIFF, GIF and BMP under the pixel limit still opens; formats
# whose decoders keep full-size copies of their own are held to fewer pixels.
DECODE_BUDGET_BYTES = 210_000_000
# Bytes per pixel of Pillow's decoded frame for each mode (RGB and the two-band modes are
# stored padded to 4 bytes); anything not listed is counted at 4.
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Full-size buffers a decoder holds at its peak, counted in decoded frames (Pillow's included),
# as measured here: WebP's decoder keeps its canvas and hands Pillow a bytes copy of it (a
# 16 MP WebP adds 246 MB, 3.8 frames); libheif and libavif keep the decoded planes and an
# interleaved copy (9 MP: 77 and 81 MB, 2.1-2.3 frames; 3 leaves room for 10-bit planes).
FRAME_COPIES = {"WEBP": 4.0, "HEIF": 3.0, "AVIF": 3.0}
# A progressive JPEG keeps every DCT coefficient (2 bytes a sample) for the whole picture
# until its last scan, whatever the draft scale; a baseline one streams a few rows at a time.
COEFFICIENT_BYTES = 2
# Scans a progressive JPEG may have: libjpeg writes 10 for a colour photo (6 for grey) and
# encoders that search for the best progression stay near that; each scan is one more pass over
# every block (0.03-0.16 s at 49 MP here), so a file repeating a tiny scan 2,000 times takes
# minutes, and 32 scans keep the worst allowed file to a few seconds.
MAX_JPEG_SCANS = 32
# JPEG markers that stand alone (no length follows): TEM, RST0-7, SOI, EOI.
_STANDALONE = {0x01, *range(0xD0, 0xD9)}
_SOS, _EOI = 0xDA, 0xD9


def decode_bytes(image: Image.Image) -> int:
    """Peak bytes the decoder will hold for this opened (not yet decoded) image."""
    width, height = image.size
    frame = width * height * MODE_BYTES.get(image.mode, 4)
    if image.format == "JPEG":
        return _jpeg_bytes(image) if image.info.get("progressive") else 0
    return int(frame * FRAME_COPIES.get(image.format or "", 1.0))


def _jpeg_bytes(image: Image.Image) -> int:
    """The coefficient buffer of a progressive JPEG (the scaled output frame is small)."""
    width, height = image.size
    layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
    h_max = max(layer[1] for layer in layers)
    v_max = max(layer[2] for layer in layers)
    samples = sum(layer[1] * layer[2] for layer in layers) / (h_max * v_max)
    return int(width * height * samples * COEFFICIENT_BYTES)


def pixels_within_budget(image: Image.Image, budget: int = DECODE_BUDGET_BYTES) -> int:
    """How many pixels of this format and mode a budget allows (for the refusal's numbers)."""
    width, height = image.size
    per_pixel = decode_bytes(image) / max(1, width * height)
    return int(budget / per_pixel) if per_pixel else 0


def count_jpeg_scans(data: bytes, stop_after: int = MAX_JPEG_SCANS) -> int:
    """Start-of-scan markers in a JPEG, counting no further than one past `stop_after`.

    Walks the marker segments by their lengths and skips each scan's entropy-coded data
    (where 0xFF is followed by 0x00 stuffing or a restart marker), so bytes inside EXIF or
    ICC blocks are never mistaken for markers."""
    scans, pos, end = 0, 2, len(data)
    while pos + 4 <= end and scans <= stop_after:
        if data[pos] != 0xFF:
            pos = data.find(b"\xff", pos)
            if pos < 0:
                break
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker == _EOI:
            break
        elif marker in _STANDALONE or marker == 0x00:
            pos += 2
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
            if marker == _SOS:
                scans += 1
                pos = _after_entropy_data(data, pos)
    return scans


def _after_entropy_data(data: bytes, pos: int) -> int:
    """The offset of the first marker after a scan's entropy-coded bytes."""
    while True:
        found = data.find(b"\xff", pos)
        if found < 0 or found + 1 >= len(data):
            return len(data)
        following = data[found + 1]
        if following == 0xFF:
            pos = found + 1
        elif following == 0x00 or 0xD0 <= following <= 0xD7:
            pos = found + 2
        else:
            return found
