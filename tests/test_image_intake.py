"""Image intake: every refusal with its exact message, and what an accepted photo becomes."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from bot.app import image_limits
from handlers.texts import rejection_text
from recsys.decode_budget import count_jpeg_scans
from recsys.image_intake import ImageLimits, ImageRejected, PreparedImage, Rejection, prepare_image
from support.image_bombs import scan_bomb

LIMITS = ImageLimits()
FORMATS = "Send a JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC image."


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """The image saved in a format, as bytes."""
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    """A small picture with real variation (so that hashes and colours mean something)."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 255) // width, (y * 255) // height, 128)
            for y in range(height)
            for x in range(width)
        ]
    )
    return image


def jpeg_of(prepared: PreparedImage) -> Image.Image:
    """What the vision model will receive, decoded."""
    image = Image.open(io.BytesIO(prepared.jpeg))
    assert image.format == "JPEG"
    return image.convert("RGB")


def rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """One pixel of an RGB image."""
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def rejected(data: bytes, limits: ImageLimits = LIMITS) -> ImageRejected:
    """The refusal of this upload (the test fails if it is accepted)."""
    with pytest.raises(ImageRejected) as caught:
        prepare_image(data, limits)
    return caught.value


def refusal(data: bytes, limits: ImageLimits = LIMITS, reason: Rejection | None = None) -> str:
    """The message a user would get for this upload (refused for `reason`, when given)."""
    refused = rejected(data, limits)
    if reason is not None:
        assert refused.reason is reason
    return rejection_text("en", refused)


# --- refusals ---------------------------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    assert refusal(b"") == f"That file is empty (0 bytes), so there is no photo to read. {FORMATS}"


def test_pdf_is_named() -> None:
    assert refusal(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == (
        f"That file is a PDF document, not a photo. {FORMATS}"
    )


def test_zip_is_named() -> None:
    assert refusal(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40)) == (
        f"That file is a ZIP archive (or an Office document), not a photo. {FORMATS}"
    )


@pytest.mark.parametrize("brand", [b"isom", b"mp42", b"qt  "])
def test_mp4_and_mov_are_named_as_video(brand: bytes) -> None:
    assert refusal(b"\x00\x00\x00\x20ftyp" + brand + bytes(40)) == (
        f"That file is a video (MP4/MOV), not a photo. {FORMATS}"
    )


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif"])
def test_a_heic_or_avif_header_without_a_picture_is_damaged_not_foreign(brand: bytes) -> None:
    assert refusal(b"\x00\x00\x00\x18ftyp" + brand + bytes(40)) == DAMAGED


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_a_cut_off_heic_or_avif_is_damaged(fmt: str) -> None:
    whole = encode(gradient(200, 160), fmt, quality=80)
    assert refusal(whole[: len(whole) // 2]) == DAMAGED


def test_plain_text_is_named() -> None:
    assert refusal("Here is my photo: a sunset 🌅\nthanks".encode()) == (
        f"That file is plain text, not a photo. {FORMATS}"
    )


def test_svg_is_named() -> None:
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10"></svg>'
    assert refusal(svg) == f"That file is an SVG drawing, not a photo. {FORMATS}"


def test_unknown_binary_is_refused() -> None:
    assert refusal(bytes(range(256)) * 4) == (
        f"That file is not an image MelodicLens can read. {FORMATS}"
    )


def test_image_format_outside_the_list_is_refused() -> None:
    icon = encode(gradient(32, 32), "ICO")
    assert refusal(icon) == f"That file is not an image MelodicLens can read. {FORMATS}"


def test_too_many_bytes_is_refused_before_anything_else() -> None:
    limits = ImageLimits(max_bytes=1_000_000)
    assert refusal(b"\xff\xd8\xff" + bytes(1_500_000), limits) == (
        "That file is 1.5 MB; the limit is 1 MB. Send a smaller photo."
    )


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its (tiny) data could never fill: a bomb's shape."""
    real = encode(Image.new("RGB", (1, 1)), "PNG")
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    patched = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return real[:8] + patched + real[8 + 25 :]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_too_many_pixels_is_refused_from_the_header() -> None:
    # 1.5x the limit: caught by our own header check, with the size in the message.
    assert refusal(png_claiming(10_000, 7_500), ImageLimits(max_pixels=50_000_000)) == (
        "That image is 10000×7500 pixels (75 megapixels); the limit is 50 megapixels. "
        "Send a smaller photo."
    )


def test_decompression_bomb_is_refused() -> None:
    # Far past the limit: Pillow's own guard fires while reading the header.
    assert refusal(png_claiming(100_000, 100_000)) == (
        "That image has too many pixels to open safely; the limit is 50 megapixels. "
        "Send a smaller photo."
    )


def test_a_tiff_stored_as_one_huge_compressed_strip_is_refused() -> None:
    # libtiff would hold the whole 36 MB strip beside the decoded frame.
    one_strip = encode(
        Image.new("RGBA", (3000, 3000), (9, 9, 9, 255)), "TIFF",
        compression="tiff_deflate", strip_size=2**31 - 1,
    )  # fmt: skip
    assert len(one_strip) < 1_000_000
    assert refusal(one_strip, reason=Rejection.TIFF_STRIP) == (
        "That TIFF is stored as one huge compressed block, which takes too much memory to "
        "open. Save it as a JPEG or PNG and send it again."
    )


def test_the_same_tiff_in_strips_is_accepted() -> None:
    striped = encode(Image.new("RGBA", (3000, 3000), (9, 9, 9, 255)), "TIFF",
                     compression="tiff_deflate")  # fmt: skip
    assert prepare_image(striped, LIMITS).width == 1024


def test_too_small_is_refused() -> None:
    assert refusal(encode(gradient(20, 100), "PNG")) == (
        "That image is only 20×100 pixels; send one at least 32 pixels on each side."
    )


DAMAGED = (
    "That image is damaged or incomplete (it may have been cut off while uploading). "
    "Please send it again."
)


def test_truncated_jpeg_is_refused() -> None:
    whole = encode(gradient(400, 300), "JPEG", quality=95)
    assert refusal(whole[: len(whole) // 2]) == DAMAGED


def test_truncated_png_is_refused() -> None:
    whole = encode(gradient(200, 200), "PNG")
    assert refusal(whole[: len(whole) - 200]) == DAMAGED


def test_corrupt_header_is_refused_as_damaged() -> None:
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\x13\x37" * 60) == DAMAGED


def test_corrupt_jpeg_markers_are_refused() -> None:
    whole = encode(gradient(200, 200), "JPEG")
    # JPEG start and JFIF block intact, then the tables and frame header overwritten.
    broken = whole[:20] + b"\xff\xc0\x00\x03" + b"\x00" * 300 + whole[-2:]
    assert refusal(broken) == DAMAGED


# --- acceptance -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "HEIF"])
def test_each_accepted_format_becomes_a_jpeg(fmt: str) -> None:
    prepared = prepare_image(encode(gradient(), fmt), LIMITS)
    assert prepared.source_format == fmt
    assert (prepared.width, prepared.height) == (64, 48)
    assert jpeg_of(prepared).size == (64, 48)
    assert len(prepared.sha256) == 64


@pytest.mark.parametrize("fmt", ["AVIF", "HEIF"])
def test_heic_and_avif_photos_keep_their_colours(fmt: str) -> None:
    """An iPhone-style HEIC (written by pillow-heif's x265 encoder) and an AVIF read true."""
    picture = Image.new("RGB", (120, 90), (30, 60, 200))
    picture.paste((230, 120, 20), (60, 0, 120, 90))
    data = encode(picture, fmt, quality=90)
    assert data[4:8] == b"ftyp"
    prepared = prepare_image(data, LIMITS)
    seen = jpeg_of(prepared)
    for (x, y), colour in (((20, 45), (30, 60, 200)), ((100, 45), (230, 120, 20))):
        assert all(abs(a - b) <= 12 for a, b in zip(seen.getpixel((x, y)), colour, strict=True))


def stored_sideways(width: int, height: int, fmt: str, **params: object) -> bytes:
    """A landscape photo, red on the left and blue on the right, whose camera says "rotate 90°
    clockwise to view" (EXIF orientation 6): upright, the red half is on top."""
    stored = Image.new("RGB", (width, height), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(stored, fmt, exif=exif.tobytes(), **params)


def test_exif_orientation_is_applied() -> None:
    prepared = prepare_image(stored_sideways(80, 40, "JPEG", quality=95), LIMITS)
    assert (prepared.width, prepared.height) == (40, 80)
    red, _, blue = rgb_at(jpeg_of(prepared), (20, 10))
    assert red > 200 and blue < 60, "the red half should now be on top"


def test_a_rotated_iphone_heic_is_turned_upright_exactly_once() -> None:
    # pillow-heif stores the EXIF orientation as the HEIF rotation and resets the tag on reading
    prepared = prepare_image(stored_sideways(80, 40, "HEIF", quality=95), LIMITS)
    assert (prepared.width, prepared.height) == (40, 80)
    red, _, blue = rgb_at(jpeg_of(prepared), (20, 10))
    assert red > 200 and blue < 60, "the red half should now be on top"


def test_large_rotated_jpeg_is_decoded_small_and_still_upright() -> None:
    # Big enough for libjpeg's reduced-size decoding to kick in.
    prepared = prepare_image(stored_sideways(3000, 1500, "JPEG"), LIMITS)
    assert (prepared.width, prepared.height) == (512, 1024)
    red, _, blue = rgb_at(jpeg_of(prepared), (256, 200))
    assert red > 200 and blue < 60


def test_large_photo_is_downscaled_to_the_vision_side() -> None:
    prepared = prepare_image(encode(gradient(3000, 1500), "PNG"), LIMITS)
    assert (prepared.width, prepared.height) == (1024, 512)
    small = prepare_image(encode(gradient(3000, 1500), "PNG"), ImageLimits(vision_side=256))
    assert (small.width, small.height) == (256, 128)


def test_transparency_is_flattened_onto_white() -> None:
    clear = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    clear.paste((0, 0, 0, 255), (0, 0, 32, 64))
    seen = jpeg_of(prepare_image(encode(clear, "PNG"), LIMITS))
    assert min(rgb_at(seen, (50, 32))) > 245
    assert max(rgb_at(seen, (10, 32))) < 10


def test_paletted_transparency_is_flattened_onto_white() -> None:
    paletted = Image.new("P", (48, 48), 0)
    paletted.putpalette([0, 255, 0] + [0, 0, 0] * 255)
    seen = jpeg_of(prepare_image(encode(paletted, "GIF", transparency=0), LIMITS))
    assert min(rgb_at(seen, (24, 24))) > 245


def test_animated_gif_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (48, 48), colour) for colour in ((220, 20, 20), (20, 20, 220))]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    prepared = prepare_image(gif, LIMITS)
    red, _, blue = rgb_at(jpeg_of(prepared), (24, 24))
    assert red > 180 and blue < 60
    assert prepared.dominant_color >> 16 > 180


def test_same_pixels_hash_the_same_whatever_the_file() -> None:
    picture = gradient(120, 90)
    hashes = {prepare_image(encode(picture, fmt), LIMITS).sha256 for fmt in ("PNG", "BMP", "TIFF")}
    assert len(hashes) == 1
    other = prepare_image(encode(gradient(121, 90), "PNG"), LIMITS).sha256
    assert other not in hashes


def test_same_jpeg_sent_twice_hashes_the_same() -> None:
    data = encode(gradient(300, 200), "JPEG")
    assert prepare_image(data, LIMITS).sha256 == prepare_image(bytes(data), LIMITS).sha256


def test_dominant_colour_is_the_main_colour() -> None:
    mostly_green = Image.new("RGB", (100, 100), (30, 160, 60))
    mostly_green.paste((240, 240, 240), (0, 0, 30, 30))
    colour = prepare_image(encode(mostly_green, "PNG"), LIMITS).dominant_color
    red, green, blue = colour >> 16, (colour >> 8) & 0xFF, colour & 0xFF
    assert green > 130 and red < 60 and blue < 90


def test_stats_travel_with_the_image() -> None:
    dark = prepare_image(encode(Image.new("RGB", (64, 64), (15, 15, 20)), "PNG"), LIMITS)
    assert dark.stats.brightness < 0.1


def test_limits_follow_the_settings() -> None:
    from bot.settings import load_settings

    settings = load_settings(
        None,
        MELODICLENS_MAX_IMAGE_BYTES=5,
        MELODICLENS_MAX_IMAGE_PIXELS=6,
        MELODICLENS_MIN_IMAGE_SIDE=7,
        MELODICLENS_VISION_IMAGE_SIDE=512,
    )
    assert image_limits(settings) == ImageLimits(5, 6, 7, 512)


# --- issue 21: budgets that hold for any shape and format --------------------------------


def test_a_progressive_jpeg_repeating_one_scan_is_refused_before_decoding() -> None:
    # The scan bomb: one tiny refinement scan repeated 2,000 times (a minute of decoding).
    bomb = scan_bomb(2000, side=1000)
    assert len(bomb) < 250_000
    assert refusal(bomb, reason=Rejection.TOO_MANY_SCANS) == (
        "That JPEG is stored in an unusual way (more than 32 progressive scans) that takes too "
        "long to open. Save it again as an ordinary JPEG or PNG and send it."
    )


def test_an_ordinary_progressive_jpeg_is_accepted() -> None:
    data = encode(gradient(1200, 900), "JPEG", progressive=True, quality=90)
    assert count_jpeg_scans(data) == 10  # libjpeg's colour progression
    assert prepare_image(data, LIMITS).width == 1024


def test_scan_markers_inside_a_comment_block_are_not_counted() -> None:
    # A COM segment full of start-of-scan lookalikes: only real markers count.
    data = encode(gradient(), "JPEG", progressive=True, comment=b"\xff\xda" * 200)
    assert data.count(b"\xff\xda") > 200
    assert count_jpeg_scans(data) == 10
    assert prepare_image(data, LIMITS).width == 64


def test_a_wide_strip_is_shrunk_across_as_well_as_down() -> None:
    # 200,000 x 32: each row is wider than a whole tile's bytes, so tiles cut columns too.
    strip = Image.new("RGBA", (200_000, 32), (255, 0, 0, 255))
    strip.paste((0, 0, 255, 128), (100_000, 0, 200_000, 32))
    prepared = prepare_image(encode(strip, "PNG"), LIMITS)
    assert (prepared.width, prepared.height) == (1024, 1)
    seen = jpeg_of(prepared)
    red, blue = rgb_at(seen, (100, 0)), rgb_at(seen, (900, 0))
    assert red[0] > 200 and red[2] < 60  # opaque red
    assert blue[2] > 200 and blue[0] > 100  # half-transparent blue on white


def test_a_webp_whose_decoder_needs_more_than_the_budget_is_refused() -> None:
    # 20 MP: Pillow's frame is 80 MB, but libwebp holds about three more copies beside it.
    webp = encode(Image.new("RGB", (5000, 4000), (90, 120, 30)), "WEBP", quality=10)
    assert refusal(webp) == (
        "That image is 5000×4000 pixels; in its format MelodicLens can safely open 13 "
        "megapixels at most. Send it as a JPEG or a smaller photo."
    )


def test_a_full_colour_progressive_jpeg_is_held_to_its_coefficient_memory() -> None:
    # 6 bytes of coefficients a pixel at 4:4:4 (36 MP: 216 MB); at 4:2:0 it is half that.
    big = Image.new("RGB", (6000, 6000), (200, 90, 30))
    full = encode(big, "JPEG", progressive=True, subsampling=0, quality=50)
    assert rejected(full).reason is Rejection.TOO_MUCH_MEMORY
    halved = encode(big, "JPEG", progressive=True, subsampling=2, quality=50)
    assert prepare_image(halved, LIMITS).width == 1024
