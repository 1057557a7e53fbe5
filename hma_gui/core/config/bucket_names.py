"""S3's naming rules for general purpose buckets, checked before any request is made.

A name S3 would refuse (or that names something else: an access point alias, an
Object Lambda alias, a directory bucket) fails in the settings with the rule it
breaks, instead of as ``InvalidBucketName`` on the first upload.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
"""

from __future__ import annotations

import ipaddress
import re

_CHARS_RE = re.compile(r"^[a-z0-9.-]+$")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid general purpose bucket name, or None when it is."""
    if not 3 <= len(name) <= 63:
        return "must be 3 to 63 characters long"
    if not _CHARS_RE.match(name):
        return "may hold only lower-case letters, digits, '.' and '-'"
    if ".." in name:
        return "may not hold two periods in a row"
    if not all(_LABEL_RE.match(label) for label in name.split(".")):
        return "must begin and end with a letter or digit, also around each '.'"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "may not be formatted as an IP address"
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"may not begin with {prefix!r} (reserved by AWS)"
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"may not end with {suffix!r} (reserved by AWS)"
    return None
