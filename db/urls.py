"""Database URLs as they may be shown: never with a password."""

from __future__ import annotations

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
