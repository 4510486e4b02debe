"""Database URLs as they may be shown: never with a password."""

from __future__ import annotations

import logging
import re

# Query parameters that carry credentials (libpq's names and common drivers').
SECRET_QUERY_VALUE = re.compile(r"(?i)\b(password|passwd|pass|sslpassword|token|secret)=[^&\s]*")


def redact_url(url: str) -> str:
    """The URL with any password (in the user part or the query) replaced by ***.

    Plain string work rather than urlsplit, so that a malformed URL (the case that gets
    quoted in an error) is masked as well as a well-formed one.
    """
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    elif not sep:
        # a key=value DSN ("host=db password=x"): mask its password the same way
        rest = scheme
        scheme = ""
    return scheme + sep + SECRET_QUERY_VALUE.sub(r"\1=***", rest)


# Query keys whose values are secrets: passwords, tokens, API keys and the signatures and
# credentials of signed (pre-signed S3, GCS, Azure SAS, CloudFront) links.
SECRET_QUERY_KEY = re.compile(r"(?i)pass|pwd|secret|token|key|sig|credential|auth|session")
# A URL inside free text (an error message, a log line).
URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def display_url(url: str) -> str:
    """The URL as it may be shown anywhere (metric labels, health output, errors, logs): no
    user or password, no fragment, and the value of every secret-looking query key masked."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return SECRET_QUERY_VALUE.sub(r"\1=***", url)  # a key=value DSN
    rest = rest.split("#", 1)[0]
    address, qmark, query = rest.partition("?")
    # The last "@" ends the user part even when an unencoded "/" sits in the password (a
    # path that holds "@" is then shown shortened: this is for display only).
    address = address.rsplit("@", 1)[-1]
    return f"{scheme}://{address}{qmark}{_masked_query(query)}"


def _masked_query(query: str) -> str:
    pairs = []
    for pair in query.split("&") if query else ():
        key, eq, _ = pair.partition("=")
        pairs.append(f"{key}=***" if eq and SECRET_QUERY_KEY.search(key) else pair)
    return "&".join(pairs)


def scrub_text(text: str) -> str:
    """Free text with every URL in it shown as display_url shows it, and key=value
    passwords masked: for messages that may quote a configured URL (an error's text)."""
    return SECRET_QUERY_VALUE.sub(r"\1=***", URL_IN_TEXT.sub(lambda m: display_url(m[0]), text))


class ScrubCredentials(logging.Filter):
    """A log handler's filter that shows every URL in a message as display_url shows it, so a
    library that logs a configured URL (with its password) cannot put it in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        message = record.getMessage()
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
