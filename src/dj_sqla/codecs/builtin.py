"""The codecs that ship with dj_sqla: ``<blob>`` and ``<attach>``, registered like any plugin.

Both are stored in-row as ``bytes`` (a long binary column). With a store (``<blob@s>``,
``<attach@s>``) they are stored through the ``<hash>`` codec, which the object-store layer
registers; until it does, resolving such a spec raises :class:`CodecNotFoundError`.

Example:
    >>> from dj_sqla.codecs import get_codec
    >>> get_codec("blob").get_dtype(is_store=False), get_codec("attach").get_dtype(is_store=True)
    ('bytes', '<hash>')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import config
from ..errors import ConfigError
from .attach import pack_attachment, unpack_attachment
from .blob import pack, unpack
from .registry import Codec

#: The ``dj.config`` key for the folder attachments are written to (DataJoint 2's).
DOWNLOAD_PATH_KEY = "download_path"


class BlobCodec(Codec):
    """``<blob>``: any value :func:`~dj_sqla.codecs.blob.pack` takes, as DataJoint's blob bytes.

    Example:
        >>> codec = BlobCodec()
        >>> codec.decode(codec.encode([1, 2.5]))
        [1, 2.5]
    """

    name = "blob"

    def get_dtype(self, is_store: bool) -> str:
        return "<hash>" if is_store else "bytes"

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> bytes:
        return pack(value, compress=True)

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        return unpack(stored)


class AttachCodec(Codec):
    """``<attach>``: a file path on insert, the path of the downloaded copy on fetch.

    The download folder is ``context["download_path"]``, else ``dj.config["download_path"]``
    when that setting exists, else the working directory (DataJoint's default).

    Example:
        >>> AttachCodec().get_dtype(is_store=False)
        'bytes'
    """

    name = "attach"

    def get_dtype(self, is_store: bool) -> str:
        return "<hash>" if is_store else "bytes"

    def validate(self, value: Any) -> None:
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"<attach> takes a file path, not a {type(value).__name__}")

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> bytes:
        return pack_attachment(value)

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> str:
        folder = (context or {}).get("download_path") or _configured_download_path()
        return str(unpack_attachment(stored, folder))


def _configured_download_path() -> str | Path:
    try:
        value = config[DOWNLOAD_PATH_KEY]
    except ConfigError:  # dj.config does not define the setting (yet)
        return "."
    return value if value else "."
