"""Image intake: refuse what is not a readable photo, normalise the rest for the vision model."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from enum import StrEnum

import pillow_heif
from PIL import ExifTags, Image, UnidentifiedImageError

from recsys.decode_budget import (
    DECODE_BUDGET_BYTES,
    MAX_JPEG_SCANS,
    count_jpeg_scans,
    decode_bytes,
    pixels_within_budget,
)
from recsys.image_stats import ImageStats, compute_stats

log = logging.getLogger(__name__)

# HEIC (iPhone photos) is read by pillow-heif's Pillow plugin, registered as Pillow's own are;
# AVIF is read by Pillow itself (its AVIF plugin, since 11.2).
pillow_heif.register_heif_opener()

# The formats Pillow reads safely and chat clients send; the order is the one users see.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "HEIF")
# High enough that the model sees no artefacts, low enough to keep the upload to Ollama small.
JPEG_QUALITY = 90
# Enough colours to find the dominant one without letting noise split it into many.
PALETTE_COLOURS = 8
# How much of a file is inspected when guessing whether it is plain text.
TEXT_SNIFF_BYTES = 512
# A decoded image is shrunk in tiles of about this many bytes: flattening and converting a tile
# at a time keeps every full-size copy out of memory (a 49 MP RGBA copy is ~200 MB), whatever
# the shape (a 1,562,500 x 32 strip is cut across as well as down), at one crop per tile.
TILE_BYTES = 2_000_000
# libtiff holds one whole compressed strip or tile decoded beside the frame; a file stored as a
# single huge strip would double the decode's memory, so such a block is refused above this.
MAX_TIFF_BLOCK_BYTES = 32_000_000
# Shrink by whole factors until less than this many times the vision side is left, then resample:
# the box reduction is cheap and anti-aliased, the last bicubic step keeps the picture sharp, and
# at 1.0 the reduced copy stays small (5 MB for a 49 MP photo; 22 MB at Pillow's usual 2.0).
REDUCING_GAP = 1.0
# EXIF orientation -> the transpose that turns the pixels upright (as ImageOps.exif_transpose).
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Leading bytes of the accepted formats, to tell a damaged photo from a foreign file.
IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
# ISO-BMFF "ftyp" brands: still images in HEIF/AVIF containers versus videos.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}


class Rejection(StrEnum):
    """Why an upload was refused; handlers/texts.py words each one for the user."""

    EMPTY = "empty"
    TOO_MANY_BYTES = "too_many_bytes"
    PDF = "pdf"
    ZIP = "zip"
    VIDEO = "video"
    TEXT = "text"
    SVG = "svg"
    UNKNOWN = "unknown"
    DAMAGED = "damaged"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_SMALL = "too_small"
    TIFF_STRIP = "tiff_strip"
    TOO_MUCH_MEMORY = "too_much_memory"  # its format's decoder needs more than the budget
    TOO_MANY_SCANS = "too_many_scans"  # a progressive JPEG that would take minutes to decode
    INTERRUPTED = "interrupted"  # taken over from a process that stopped while answering it


class ImageRejected(Exception):
    """The upload is not a photo MelodicLens can read: `reason` says why, with the numbers a
    user needs (what was found and the limit crossed; 0 where unknown or not relevant)."""

    def __init__(
        self, reason: Rejection, *, size: int = 0, width: int = 0, height: int = 0, limit: int = 0
    ) -> None:
        super().__init__(f"image rejected: {reason}")
        self.reason = reason
        self.size = size  # bytes of the upload
        self.width = width
        self.height = height
        self.limit = limit  # in the reason's unit: bytes, pixels, or pixels on the short side


@dataclass(frozen=True)
class ImageLimits:
    """What intake accepts and how far it shrinks; see the matching settings for the reasons."""

    max_bytes: int = 20_000_000
    max_pixels: int = 50_000_000
    min_side: int = 32
    vision_side: int = 1024
    decode_bytes: int = DECODE_BUDGET_BYTES
    # what the refusal says when the decode budget is crossed (INTERRUPTED on a takeover)
    over_budget: Rejection = Rejection.TOO_MUCH_MEMORY


@dataclass(frozen=True)
class PreparedImage:
    """A photo ready for the vision model, with what the rest of the pipeline needs from it."""

    jpeg: bytes
    width: int
    height: int
    sha256: str  # of the normalised pixels: the caption cache key
    dominant_color: int  # 0xRRGGBB
    stats: ImageStats
    source_format: str = ""


def prepare_image(data: bytes, limits: ImageLimits) -> PreparedImage:
    """Check, orient, flatten, downscale and re-encode an upload (blocking: run in an executor)."""
    _check_bytes(data, limits)
    with _open(data, limits) as image:
        source_format = image.format or ""
        transpose = _orientation(image)
        _decode(image, limits)
        # Shrink before anything else copies the pixels: the decoded frame is the only
        # full-size buffer. _shrink always returns a new image, so nothing refers to the file.
        small = _shrink(image, limits.vision_side)
    rgb = _fit(small.transpose(transpose) if transpose is not None else small, limits.vision_side)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=JPEG_QUALITY)
    return PreparedImage(
        jpeg=out.getvalue(),
        width=rgb.width,
        height=rgb.height,
        sha256=pixel_hash(rgb),
        dominant_color=dominant_color(rgb),
        stats=compute_stats(rgb),
        source_format=source_format,
    )


def _check_bytes(data: bytes, limits: ImageLimits) -> None:
    if not data:
        raise ImageRejected(Rejection.EMPTY)
    if len(data) > limits.max_bytes:
        raise ImageRejected(Rejection.TOO_MANY_BYTES, size=len(data), limit=limits.max_bytes)
    refusal = _sniff_non_image(data)
    if refusal is not None:
        raise ImageRejected(refusal)


def _sniff_non_image(data: bytes) -> Rejection | None:
    """The refusal naming a common non-image type recognised by its magic bytes, else None."""
    if data.startswith(b"%PDF"):
        return Rejection.PDF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Rejection.ZIP
    if data[4:8] == b"ftyp":
        # HEIC and AVIF photos go on to Pillow; other ISO-BMFF files are videos
        return None if data[8:12] in HEIF_BRANDS | AVIF_BRANDS else Rejection.VIDEO
    return _sniff_text(data[:TEXT_SNIFF_BYTES])


def _sniff_text(head: bytes) -> Rejection | None:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the sniff boundary; retry without the tail.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not text or any(ch < " " and ch not in "\t\r\n" for ch in text):
        return None
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith("<svg") or (lowered.startswith("<?xml") and "<svg" in lowered):
        return Rejection.SVG
    return Rejection.TEXT


def _open(data: bytes, limits: ImageLimits) -> Image.Image:
    """Read the header only, and refuse by size before a single pixel is decoded."""
    # Pillow's own bomb check backs ours up for formats whose header under-reports the size.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise ImageRejected(Rejection.TOO_MANY_PIXELS, limit=limits.max_pixels) from None
    except UnidentifiedImageError:
        # A known signature that Pillow cannot parse is a broken photo, not a foreign file.
        broken = (
            data.startswith(IMAGE_SIGNATURES) or data[8:12] in {b"WEBP"} | HEIF_BRANDS | AVIF_BRANDS
        )
        raise ImageRejected(Rejection.DAMAGED if broken else Rejection.UNKNOWN) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(Rejection.DAMAGED) from None
    width, height = image.size
    if width * height > limits.max_pixels:
        image.close()
        raise ImageRejected(
            Rejection.TOO_MANY_PIXELS, width=width, height=height, limit=limits.max_pixels
        )
    if min(width, height) < limits.min_side:
        image.close()
        raise ImageRejected(Rejection.TOO_SMALL, width=width, height=height, limit=limits.min_side)
    if image.format == "TIFF" and _tiff_block_bytes(image) > MAX_TIFF_BLOCK_BYTES:
        image.close()
        raise ImageRejected(Rejection.TIFF_STRIP, limit=MAX_TIFF_BLOCK_BYTES)
    _check_cost(image, data, limits)
    return image


def _check_cost(image: Image.Image, data: bytes, limits: ImageLimits) -> None:
    """Refuse (closing the file) what would take too much memory or time to decode."""
    if decode_bytes(image) > limits.decode_bytes:
        width, height = image.size
        allowed = pixels_within_budget(image, limits.decode_bytes)
        image.close()
        raise ImageRejected(limits.over_budget, width=width, height=height, limit=allowed)
    if image.format == "JPEG" and count_jpeg_scans(data) > MAX_JPEG_SCANS:
        image.close()
        raise ImageRejected(Rejection.TOO_MANY_SCANS, limit=MAX_JPEG_SCANS)


def _tiff_block_bytes(image: Image.Image) -> int:
    """Bytes of the largest strip or tile libtiff decodes at once (0 when uncompressed: those
    are read straight into the frame)."""
    tags = getattr(image, "tag_v2", {})
    if tags.get(259, 1) == 1:  # Compression: none
        return 0
    width, height = image.size
    bits = tags.get(258, (8,))
    bits_per_pixel = sum(bits) if isinstance(bits, tuple) else int(bits)
    if 322 in tags and 323 in tags:  # TileWidth, TileLength
        width, rows = int(tags[322]), int(tags[323])
    else:
        rows = min(int(tags.get(278, height)), height)  # RowsPerStrip
    return width * rows * bits_per_pixel // 8


def _decode(image: Image.Image, limits: ImageLimits) -> None:
    """Decode the first frame fully; truncated or corrupt data becomes a refusal."""
    try:
        image.seek(0)
        if image.format == "JPEG":
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo loads several times
            # faster, and the draft stays at least as large as what _fit keeps.
            scale = limits.vision_side / max(image.size)
            image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
        image.load()
    except Image.DecompressionBombError:
        width, height = image.size
        raise ImageRejected(
            Rejection.TOO_MANY_PIXELS, width=width, height=height, limit=limits.max_pixels
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise ImageRejected(Rejection.DAMAGED) from None


def _orientation(image: Image.Image) -> Image.Transpose | None:
    """The transpose that turns the pixels the way the camera meant; None when upright or the
    EXIF block is unreadable (the pixels are then used as stored)."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        log.debug("unreadable EXIF orientation; using the pixels as stored")
        return None
    return ORIENTATION_TRANSPOSE.get(orientation) if isinstance(orientation, int) else None


def _shrink(image: Image.Image, side: int) -> Image.Image:
    """An RGB copy reduced by a whole factor toward `side`, made tile by tile so that no
    full-size converted or flattened copy of the decoded frame ever exists."""
    factor = max(1, int(max(image.size) / side / REDUCING_GAP))
    width, height = image.size
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    rows, columns = _tile_size(width, height, factor)
    for top in range(0, height, rows):
        for left in range(0, width, columns):
            box = (left, top, min(left + columns, width), min(top + rows, height))
            tile = _flatten(image.crop(box))
            out.paste(tile.reduce(factor) if factor > 1 else tile, (left // factor, top // factor))
    return out


def _tile_size(width: int, height: int, factor: int) -> tuple[int, int]:
    """Rows and columns per tile: multiples of the reduction factor (so tiles reduce to whole
    output pixels), about TILE_BYTES of RGBA pixels, whole rows when a row is short enough."""
    rows = max(factor, TILE_BYTES // max(1, width * 4) // factor * factor)
    rows = min(rows, -(-height // factor) * factor)
    columns = max(factor, TILE_BYTES // (rows * 4) // factor * factor)
    return rows, min(columns, -(-width // factor) * factor)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB with any transparency laid onto white (how chat apps show it)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _fit(image: Image.Image, side: int) -> Image.Image:
    """A new image at most `side` pixels on its long side."""
    if max(image.size) <= side:
        return image.copy()
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # Bicubic is sharp enough for a vision model and about 1.5x faster than Lanczos; the
    # reducing gap box-reduces big scale-downs by whole factors first.
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def pixel_hash(image: Image.Image) -> str:
    """sha256 of the size and RGB pixels: the same picture hashes the same whatever its file."""
    digest = hashlib.sha256(f"{image.width}x{image.height}:".encode())
    digest.update(image.convert("RGB").tobytes())
    return digest.hexdigest()


def dominant_color(image: Image.Image) -> int:
    """The most common colour of a small palette, as 0xRRGGBB."""
    small = image.copy()
    small.thumbnail((64, 64), Image.Resampling.BOX)
    paletted = small.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    counts = paletted.getcolors() or [(1, 0)]
    best = max(counts, key=lambda entry: entry[0])[1]
    index = best if isinstance(best, int) else 0
    palette = paletted.getpalette() or [0, 0, 0]
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return (red << 16) | (green << 8) | blue
