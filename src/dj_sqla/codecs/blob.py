"""DataJoint's blob serialization: :func:`pack` and :func:`unpack`, byte-compatible with DataJoint.

A blob column holds one Python or numpy value in the byte format that DataJoint (Python 0.12
to 2.x) and its MATLAB sibling (through the mYm library) write: what DataJoint writes,
:func:`unpack` reads, and for the same value :func:`pack` writes the same bytes DataJoint does.
The format itself is described in ``_blob_format``; the writer and reader live in
``_blob_write`` and ``_blob_read``. Differences from DataJoint, all where DataJoint loses or
mangles a value: big-endian arrays are stored (little-endian) instead of refused; arrays of
bytes wider than one byte are stored as object arrays instead of refused; time-zone-aware
date/times and masked arrays are refused instead of silently losing their zone or mask; bytes
that are not a blob raise :class:`BlobDecodeError` instead of returning ``None``.

``dj.config["enable_python_native_blobs"]`` (DataJoint 0.12 to 0.14): when the setting exists
in ``dj.config`` and is false, values that need the Python-native ``dj0`` protocol are refused,
as in DataJoint 0.14. DataJoint 2 dropped the setting (always on); so is this module when the
setting is not defined.

Example:
    >>> import numpy as np
    >>> blob = pack({"trace": np.arange(3.0), "rate": 30.0})
    >>> blob[:4]
    b'dj0\\x00'
    >>> unpack(blob)["trace"]
    array([0., 1., 2.])
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from ..config import config
from ..errors import ConfigError
from . import _blob_format as fmt
from ._blob_format import MatCell, MatStruct
from ._blob_read import Buffer, Reader, Reader32
from ._blob_write import Writer, write
from ._errors import BlobDecodeError, BlobEncodeError

__all__ = ["MatCell", "MatStruct", "pack", "unpack"]

#: DataJoint's run-time switches of this module (``dj.blob.<name> = True``):
#: ``bypass_serialization``: :func:`pack` and :func:`unpack` pass blobs through as their bytes
#: (to copy blobs between tables without decoding them); ``use_32bit_dims``: :func:`unpack`
#: reads blobs written by the 32-bit mYm library for MATLAB (uint32 lengths and dimensions).
bypass_serialization = False
use_32bit_dims = False


def _passed_through(value: Any) -> bytes:
    """A blob handed through while ``bypass_serialization`` is on: it must be blob bytes."""
    data = bytes(value) if isinstance(value, bytearray | memoryview) else value
    if not isinstance(data, bytes) or not data.startswith((fmt.COMPRESSED, fmt.MYM, fmt.DJ0)):
        raise BlobEncodeError(
            f"dj.blob.bypass_serialization is on, so a blob must be given as its bytes "
            f"(starting mYm, dj0 or ZL123), not {type(value).__name__}",
            hint="Turn bypass_serialization off to store other values.",
            type_name=type(value).__name__,
        )
    return data


#: DataJoint 0.14's setting; DataJoint 2 has none and always allows Python-native blobs.
NATIVE_BLOBS_KEY = "enable_python_native_blobs"


def _setting_exists() -> bool:
    # dj.config refuses unknown keys; whether this one is known cannot change at run time.
    try:
        config[NATIVE_BLOBS_KEY]
    except ConfigError:
        return False
    return True


_NATIVE_SETTING = _setting_exists()

#: deflate's largest expansion is about 1032:1 (RFC 1951 run lengths); a little margin.
_MAX_DEFLATE_RATIO = 1100


#: Above this size a blob is compressed only if a sample of it compresses: zlib runs at
#: 20-40 MB/s, so a large array of measured (noisy) values would cost seconds to save a few
#: percent. Smaller blobs are compressed exactly as DataJoint compresses them.
_SAMPLE_ABOVE = 1 << 20
_SAMPLE = 1 << 12  # bytes taken from the start, the middle and the end
_WORTH = 0.9  # compress when the sample shrinks below this fraction


def _worth_compressing(blob: bytes) -> bool:
    """Whether compressing ``blob`` pays: always for small blobs (as DataJoint), and for a
    large one when three slices of it shrink by a tenth at zlib's fastest level."""
    if len(blob) <= _SAMPLE_ABOVE:
        return True
    middle = len(blob) // 2
    view = memoryview(blob)
    sample = b"".join((view[:_SAMPLE], view[middle : middle + _SAMPLE], view[-_SAMPLE:]))
    return len(zlib.compress(sample, 1)) < _WORTH * len(sample)


def pack(obj: Any, compress: bool = True) -> bytes:
    """Serialize ``obj`` into DataJoint's blob format.

    Args:
        obj: A numpy array (any numeric dtype but float16, bool, datetime64, str, bytes,
            object, structured; any shape and memory order), :class:`MatCell`,
            :class:`MatStruct`, a numpy scalar, ``int``, ``float``, ``complex``, ``bool``,
            ``str``, ``bytes``, ``None``, ``datetime``/``date``/``time`` (naive),
            ``UUID``, ``Decimal``, or a ``list``/``tuple``/``set``/``frozenset``/``dict``
            (any mapping or sequence) of these, nested to any depth.
        compress: Compress with zlib when the blob is over 1000 bytes and that makes it
            smaller, as DataJoint does (and with the same zlib settings, so the bytes match);
            a blob over 1 MiB only when a sample of it compresses (DataJoint reads either).

    Returns:
        The blob, starting ``mYm\\0`` (MATLAB can read it), ``dj0\\0`` or ``ZL123\\0``.

    Raises:
        BlobEncodeError: The value, or a value nested in it, has a type or dtype the format
            cannot hold; ``type_name`` and ``path`` say which and where.

    Example:
        >>> import numpy as np
        >>> pack(np.array([1.0, 2.0]))[:5]
        b'mYm\\x00A'
    """
    if bypass_serialization:
        return _passed_through(obj)
    w = Writer()
    write(w, obj)
    if w.dj0:
        if _NATIVE_SETTING and not config[NATIVE_BLOBS_KEY]:
            raise BlobEncodeError(
                f"A value of type {type(obj).__name__} needs DataJoint's Python-native blob "
                "protocol, which dj.config['enable_python_native_blobs'] disables",
                hint="Set it to True (MATLAB cannot read such blobs), or store a numeric array.",
                type_name=type(obj).__name__,
            )
        w.chunks[0] = fmt.DJ0
    else:
        w.chunks[0] = fmt.MYM
    blob = b"".join(w.chunks)
    if compress and len(blob) > fmt.COMPRESS_ABOVE and _worth_compressing(blob):
        packed = zlib.compress(blob)
        if len(packed) + len(fmt.COMPRESSED) + 8 < len(blob):
            return b"".join((fmt.COMPRESSED, fmt.U64.pack(len(blob)), packed))
    return blob


def unpack(blob: Buffer | None, squeeze: bool = False) -> Any:
    """Deserialize a DataJoint blob (``bytes``, ``bytearray`` or ``memoryview``).

    Args:
        blob: What :func:`pack`, DataJoint or MATLAB's mYm wrote; ``None`` gives ``None``.
        squeeze: Drop singleton dimensions of arrays, and turn 0-d numeric arrays into
            scalars, as DataJoint's ``fetch(squeeze=True)`` does.

    Returns:
        The value. Numeric arrays are views on the blob's buffer (read-only for ``bytes``,
        as in DataJoint); multi-dimensional ones come back in Fortran order.

    Raises:
        BlobDecodeError: The bytes are not a DataJoint blob, are truncated or corrupt, or
            hold a kind DataJoint cannot read either (MATLAB sparse arrays).

    Example:
        >>> unpack(pack([1, "two", None]))
        [1, 'two', None]
    """
    if blob is None:
        return None
    if bypass_serialization:
        return bytes(blob)
    buf: Buffer = blob if isinstance(blob, bytes) else memoryview(blob).cast("B")
    try:
        if buf[:6] == fmt.COMPRESSED:
            (size,) = fmt.U64.unpack_from(buf, 6)
            if size > _MAX_DEFLATE_RATIO * len(buf) + 1024:
                # deflate cannot expand more than that; a corrupt header must not make
                # zlib allocate the size it claims.
                raise BlobDecodeError(
                    f"The compressed blob claims {size} bytes, more than {len(buf)} bytes "
                    "of zlib data can hold",
                    hint="The blob is corrupt.",
                )
            # Telling zlib the final size up front saves it growing the output step by step.
            buf = zlib.decompress(memoryview(buf)[14:], zlib.MAX_WBITS, max(int(size), 1))
            if len(buf) != size:
                raise BlobDecodeError(
                    f"The compressed blob expands to {len(buf)} bytes where its header says {size}",
                    hint="The blob is corrupt.",
                )
        if buf[:4] != fmt.MYM and buf[:4] != fmt.DJ0:
            raise BlobDecodeError(
                f"The bytes are not a DataJoint blob (they start {bytes(buf[:8])!r}, not "
                "mYm, dj0 or ZL123)",
                hint="Read the column as raw bytes if it does not hold serialized values.",
            )
        reader = (Reader32 if use_32bit_dims else Reader)(buf, 4, squeeze)
        value = reader.value()
    except BlobDecodeError:
        raise
    except (
        IndexError,
        AttributeError,
        ValueError,
        TypeError,
        ArithmeticError,
        RecursionError,
        struct.error,
        zlib.error,
    ) as exc:
        # UnicodeDecodeError and numpy's size errors are ValueErrors; decimal's are
        # ArithmeticErrors; a corrupt unhashable dict key is a TypeError, a record field
        # that is no array an AttributeError.
        raise BlobDecodeError(
            f"The blob cannot be decoded ({type(exc).__name__}: {exc})",
            hint="It is truncated or corrupt.",
        ) from exc
    if reader.pos != len(buf):
        raise BlobDecodeError(
            f"The blob has {len(buf) - reader.pos} bytes after its value",
            hint="It is corrupt, or it was not written by DataJoint.",
        )
    return value
