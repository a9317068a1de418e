"""DataJoint 0.14's hashing helpers (``datajoint.hash``), which pipelines call to name things
after a key or to identify a file by its contents.

The values match DataJoint's, so names and identifiers that a pipeline stored under DataJoint
stay the same: ``key_hash`` is the MD5 hex digest of the key's values as text, in the order of
their names; the ``uuid_from_*`` functions are the MD5 digest of an optional leading text and
the bytes, as a UUID.

Example:
    >>> key_hash({"b": 2, "a": 1}) == key_hash({"a": 1, "b": 2})
    True
    >>> uuid_from_buffer(b"abc")
    UUID('90015098-3cd2-4fb0-d696-3f7d28e17f72')
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from typing import Any, BinaryIO

_CHUNK = 1 << 16


def key_hash(mapping: Mapping[str, Any]) -> str:
    """The MD5 hex digest of the values of ``mapping``, each as text, ordered by name."""
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(mapping):
        digest.update(str(mapping[name]).encode())
    return digest.hexdigest()


def uuid_from_stream(stream: BinaryIO, *, init_string: str = "") -> uuid.UUID:
    """The MD5 digest of ``init_string`` followed by everything ``stream`` reads, as a UUID."""
    digest = hashlib.md5(init_string.encode(), usedforsecurity=False)
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return uuid.UUID(bytes=digest.digest())


def uuid_from_buffer(buffer: bytes = b"", *, init_string: str = "") -> uuid.UUID:
    """The MD5 digest of ``init_string`` followed by ``buffer``, as a UUID."""
    digest = hashlib.md5(init_string.encode() + bytes(buffer), usedforsecurity=False)
    return uuid.UUID(bytes=digest.digest())


def uuid_from_file(filepath: str | os.PathLike[str], *, init_string: str = "") -> uuid.UUID:
    """The MD5 digest of ``init_string`` followed by the file's bytes, as a UUID."""
    with open(filepath, "rb") as stream:
        return uuid_from_stream(stream, init_string=init_string)
