"""Why an upload is not a photo MelodicLens can read (recsys.image_intake.Rejection), and
files too big to fetch."""

from __future__ import annotations

from handlers.texts.core import N_, say
from recsys.image_intake import ImageRejected, Rejection

# Why an upload is not a photo MelodicLens can read (recsys.image_intake.Rejection).
# NOTE: said after the reason a file was refused; keep the format names as they are.
FORMATS = N_("Send a JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC image.")
# The refusals that end with FORMATS.
_NAMES_FORMATS = frozenset(
    {
        Rejection.EMPTY,
        Rejection.PDF,
        Rejection.ZIP,
        Rejection.VIDEO,
        Rejection.TEXT,
        Rejection.SVG,
        Rejection.UNKNOWN,
    }
)
REJECTED = {
    Rejection.EMPTY: N_("That file is empty (0 bytes), so there is no photo to read."),
    # NOTE: {size} and {limit}: sizes such as "12.5 MB".
    Rejection.TOO_MANY_BYTES: N_(
        "That file is {size}; the limit is {limit}. Send a smaller photo."
    ),
    Rejection.PDF: N_("That file is a PDF document, not a photo."),
    Rejection.ZIP: N_("That file is a ZIP archive (or an Office document), not a photo."),
    Rejection.VIDEO: N_("That file is a video (MP4/MOV), not a photo."),
    Rejection.TEXT: N_("That file is plain text, not a photo."),
    Rejection.SVG: N_("That file is an SVG drawing, not a photo."),
    Rejection.UNKNOWN: N_("That file is not an image MelodicLens can read."),
    Rejection.DAMAGED: N_(
        "That image is damaged or incomplete (it may have been cut off while uploading). "
        "Please send it again."
    ),
    # NOTE: {width}×{height}: pixels; {megapixels} and {limit}: numbers (keep :.0f and :g).
    Rejection.TOO_MANY_PIXELS: N_(
        "That image is {width}×{height} pixels ({megapixels:.0f} megapixels); "
        "the limit is {limit:g} megapixels. Send a smaller photo."
    ),
    Rejection.TOO_SMALL: N_(
        "That image is only {width}×{height} pixels; send one at least {limit} pixels on each side."
    ),
    Rejection.TIFF_STRIP: N_(
        "That TIFF is stored as one huge compressed block, which takes too much memory to open. "
        "Save it as a JPEG or PNG and send it again."
    ),
    # NOTE: {limit}: a number of megapixels (keep :.0f).
    Rejection.TOO_MUCH_MEMORY: N_(
        "That image is {width}×{height} pixels; in its format MelodicLens can safely open "
        "{limit:.0f} megapixels at most. Send it as a JPEG or a smaller photo."
    ),
    Rejection.TOO_MANY_SCANS: N_(
        "That JPEG is stored in an unusual way (more than {limit} progressive scans) that takes "
        "too long to open. Save it again as an ordinary JPEG or PNG and send it."
    ),
    Rejection.INTERRUPTED: N_(
        "That image was being read when MelodicLens stopped, so it is not tried again. "
        "Please send a smaller photo, or the same one as a JPEG."
    ),
}
# A bomb caught before its size was known.
# NOTE: {limit}: a number of megapixels (keep :g).
TOO_MANY_PIXELS_UNSIZED = N_(
    "That image has too many pixels to open safely; the limit is {limit:g} megapixels. "
    "Send a smaller photo."
)


def rejection_text(lang: str, err: ImageRejected) -> str:
    """The sentence telling a user why their upload was refused."""
    text = _rejection(lang, err)
    return f"{text} {say(lang, FORMATS)}" if err.reason in _NAMES_FORMATS else text


def _rejection(lang: str, err: ImageRejected) -> str:
    sentence = REJECTED[err.reason]
    if err.reason is Rejection.TOO_MANY_BYTES:
        return say(lang, sentence, size=_megabytes(err.size), limit=_megabytes(err.limit))
    if err.reason is Rejection.TOO_MANY_PIXELS:
        limit = err.limit / 1_000_000
        if not err.width:
            return say(lang, TOO_MANY_PIXELS_UNSIZED, limit=limit)
        megapixels = err.width * err.height / 1e6
        return say(
            lang, sentence, width=err.width, height=err.height, megapixels=megapixels, limit=limit
        )
    if err.reason in (Rejection.TOO_MUCH_MEMORY, Rejection.INTERRUPTED):
        return say(lang, sentence, width=err.width, height=err.height, limit=err.limit / 1_000_000)
    return say(lang, sentence, width=err.width, height=err.height, limit=err.limit)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")


# NOTE: Telegram refuses bots files over {megabytes} MB (a number).
TOO_BIG_TELEGRAM = N_(
    "That file is bigger than the {megabytes} MB a bot can download from Telegram; please send "
    "it as a photo or a smaller image."
)


def too_big_on_telegram(lang: str, max_bytes: int) -> str:
    """A file over the size a bot may download from Telegram (or the configured limit)."""
    return say(lang, TOO_BIG_TELEGRAM, megabytes=max_bytes // 1_000_000)


def too_big_file(lang: str, size: int, limit: int) -> str:
    """A file over the configured size limit, in MB."""
    sentence = REJECTED[Rejection.TOO_MANY_BYTES]
    return say(lang, sentence, size=_megabytes(size), limit=_megabytes(limit))
