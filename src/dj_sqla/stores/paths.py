"""Where objects go in a store: DataJoint 2.3's layout, so either library finds the other's.

* hash-addressed (``<hash@>``, ``<blob@>``, ``<attach@>``): ``{hash_prefix}/{schema}/{hash}``,
  the hash being the Base32 MD5 of the contents (26 lower-case characters), with optional
  subfolders (``subfolding``);
* schema-addressed (``<object@>``, ``<npy@>``):
  ``{schema_prefix}/{partition attrs}/{schema}/{table}/{key attrs}/{field}_{token}{ext}``.

Example:
    >>> compute_hash(b"hello")
    'lvauakv4jmvhnolrtwiraf6fsi'
    >>> build_hash_path(compute_hash(b"hello"), "lab", hash_prefix="_hash")
    '_hash/lab/lvauakv4jmvhnolrtwiraf6fsi'
    >>> path, token = build_object_path("lab", "rec", "trace", {"id": 3}, ".npy",
    ...                                 schema_prefix="_schema")
    >>> path == f"_schema/lab/rec/id=3/trace_{token}.npy"
    True
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import urllib.parse
from collections.abc import Mapping
from typing import Any

from ..errors import DataJointError

#: Characters of the random token in schema-addressed names (URL- and file-name-safe).
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HASH = re.compile(r"[a-z2-7]{26}")
_UNSAFE = set('/\\:*?"<>|')


def compute_hash(data: bytes | bytearray | memoryview) -> str:
    """Base32 MD5 of ``data``: 26 lower-case characters, no padding (DataJoint 2's hash).

    Example:
        >>> len(compute_hash(b""))
        26
    """
    digest = hashlib.md5(data).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def subfold(name: str, folds: tuple[int, ...] | list[int] | None) -> tuple[str, ...]:
    """Subfolder names taken from the start of ``name``.

    Example:
        >>> subfold("abcdefgh", (2, 3))
        ('ab', 'cde')
    """
    parts: list[str] = []
    for fold in folds or ():
        parts.append(name[:fold])
        name = name[fold:]
    return tuple(parts)


def build_hash_path(
    content_hash: str,
    schema_name: str,
    subfolding: tuple[int, ...] | list[int] | None = None,
    *,
    hash_prefix: str,
) -> str:
    """The store path of hash-addressed contents.

    Raises:
        DataJointError: ``content_hash`` is not a DataJoint 2 hash.
    """
    if not _HASH.fullmatch(content_hash):
        raise DataJointError(
            f"Invalid content hash {content_hash!r}: expected 26 lower-case Base32 characters"
        )
    parts = [p for p in (hash_prefix.strip("/"), schema_name) if p]
    parts.extend(subfold(content_hash, subfolding))
    parts.append(content_hash)
    return "/".join(parts)


def generate_token(length: int = 8) -> str:
    """A random token of 4 to 16 URL-safe characters (``length`` is clamped).

    Example:
        >>> len(generate_token(2)), len(generate_token(30))
        (4, 16)
    """
    length = max(4, min(16, length))
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def encode_pk_value(value: Any) -> str:
    """A key value as a path component, as DataJoint 2 writes it.

    Example:
        >>> encode_pk_value(7), encode_pk_value("a/b"), encode_pk_value(dt.date(2024, 5, 1))
        ('7', 'a%2Fb', '2024-05-01')
    """
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H-%M-%S")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    if len(text) > 100:
        text = text[:50] + "_" + hashlib.md5(text.encode()).hexdigest()[:8]
        return urllib.parse.quote(text, safe="")
    if _UNSAFE.intersection(text):
        return urllib.parse.quote(text, safe="")
    return text


def build_object_path(
    schema: str,
    table: str,
    field: str,
    primary_key: Mapping[str, Any],
    ext: str | None,
    partition_pattern: str | None = None,
    token_length: int = 8,
    *,
    schema_prefix: str,
) -> tuple[str, str]:
    """The store path of a schema-addressed object, and its random token.

    ``partition_pattern`` (``"{subject_id}/{session}"``) moves those key attributes in front
    of the schema name, as DataJoint 2 does.
    """
    token = generate_token(token_length)
    filename = f"{field}_{token}"
    if ext:
        filename += ext if ext.startswith(".") else "." + ext
    partition = re.findall(r"\{(\w+)\}", partition_pattern or "")
    parts = [schema_prefix.strip("/")] if schema_prefix.strip("/") else []
    parts += [f"{a}={encode_pk_value(primary_key[a])}" for a in partition if a in primary_key]
    parts += [schema, table]
    parts += [f"{a}={encode_pk_value(v)}" for a, v in primary_key.items() if a not in partition]
    parts.append(filename)
    return "/".join(parts), token
