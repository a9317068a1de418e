"""Pure value encoding: DataJoint's blob format, in-row attachments, and the codec registry.

Nothing here touches a database. The table layer calls :func:`encode_value` /
:func:`decode_value` with an attribute's type spec (``"<blob>"``, ``"<attach>"``, a plugin's
``"<name>"``), or :func:`pack` / :func:`unpack` directly for ``longblob`` columns; errors are
:class:`CodecError` subclasses that the caller completes with ``add_context(table=...,
attribute=..., key=...)``.

Example:
    >>> import numpy as np
    >>> unpack(pack(np.eye(2)))
    array([[1., 0.],
           [0., 1.]])
"""

from __future__ import annotations

from ._errors import (
    AttachmentError,
    BlobDecodeError,
    BlobEncodeError,
    BlobError,
    CodecError,
    CodecNotFoundError,
    FilepathError,
    MissingStoredObject,
    StoredObjectError,
)
from .attach import attachment_name, pack_attachment, unpack_attachment
from .blob import MatCell, MatStruct, pack, unpack
from .builtin import AttachCodec, BlobCodec
from .registry import (
    ENTRY_POINT_GROUPS,
    Codec,
    CodecRegistry,
    decode_value,
    encode_value,
    get_codec,
    is_codec_registered,
    list_codecs,
    parse_type_spec,
    registry,
    resolve_dtype,
    unregister_codec,
)

__all__ = [
    "ENTRY_POINT_GROUPS",
    "AttachCodec",
    "AttachmentError",
    "BlobCodec",
    "BlobDecodeError",
    "BlobEncodeError",
    "BlobError",
    "Codec",
    "CodecError",
    "CodecNotFoundError",
    "CodecRegistry",
    "FilepathError",
    "MatCell",
    "MatStruct",
    "MissingStoredObject",
    "StoredObjectError",
    "attachment_name",
    "decode_value",
    "encode_value",
    "get_codec",
    "is_codec_registered",
    "list_codecs",
    "pack",
    "pack_attachment",
    "parse_type_spec",
    "registry",
    "resolve_dtype",
    "unpack",
    "unpack_attachment",
    "unregister_codec",
]
