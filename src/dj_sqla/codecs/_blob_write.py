"""The writer of DataJoint's blob format: Python and numpy values to byte chunks.

A value is written as a list of chunks joined once at the end, so a large array is copied once
(numpy's buffer straight into the result) however deeply it is nested; DataJoint concatenates
at every level. Each writer function appends the chunks of one value and returns how many
bytes it added, which is how a container fills in the length prefix of each element without
copying it. The function for a type is found in a dict keyed by the exact type; a type seen for
the first time is resolved once through :data:`_BY_CLASS`, whose order is DataJoint's order of
precedence (an ``np.float64`` is a numpy scalar before it is a ``float``), and cached.
"""

from __future__ import annotations

import datetime
import struct
import uuid
from collections.abc import Callable, Mapping, MutableSequence, Sequence, Set
from decimal import Decimal
from typing import Any

import numpy as np

from . import _blob_format as fmt
from ._blob_format import MatCell, MatStruct
from ._errors import BlobEncodeError

#: Arrays of at least this many bytes that are already in Fortran order are handed to the
#: final join as a memoryview (one copy in all); smaller ones go through ``tobytes``, which
#: costs less per call than building the view.
_ZERO_COPY_BYTES = 1 << 16

_CODE_U64 = struct.Struct("<BQ").pack
_CODE_U16 = struct.Struct("<BH").pack
_CODE_F64 = struct.Struct("<Bd").pack
_CODE_C128 = struct.Struct("<Bdd").pack
_CODE_DATETIME = struct.Struct("<Biq").pack
_U64 = fmt.U64.pack
_U32 = fmt.U32.pack
_TRUE = bytes((fmt.BOOL, 1))
_FALSE = bytes((fmt.BOOL, 0))
_NONE = bytes((fmt.NONE,))
_ARRAY_HEAD: dict[int, Callable[..., bytes]] = {}


class Writer:
    """The chunks of one blob being written, and whether it needs the ``dj0`` protocol.

    ``chunks[0]`` is kept for the protocol header, which is known only at the end.
    """

    __slots__ = ("chunks", "dj0")

    def __init__(self) -> None:
        self.chunks: list[bytes | memoryview] = [b""]
        self.dj0 = False


Packer = Callable[[Writer, Any], int]


def write(w: Writer, obj: Any) -> int:
    """Append the chunks of ``obj`` and return their size in bytes."""
    return (_PACKERS.get(type(obj)) or _resolve(type(obj)))(w, obj)


def _resolve(cls: type) -> Packer:
    for base, packer in _BY_CLASS:
        if issubclass(cls, base):
            _PACKERS[cls] = packer
            return packer
    raise BlobEncodeError(
        f"DataJoint's blob format cannot hold a value of type {cls.__module__}.{cls.__qualname__}",
        hint="Store numpy arrays, numbers, strings, bytes, None, date/time, UUID, Decimal, or "
        "lists, tuples, sets and dicts of these; convert other objects to one of them first.",
        type_name=f"{cls.__module__}.{cls.__qualname__}",
    )


def _prefixed(w: Writer, item: Any, where: str, label: Any) -> int:
    """Append ``item`` after its uint64 length prefix; return the bytes added. A value the
    format cannot hold gets ``where.format(label)`` (its place) in its error's path."""
    chunks = w.chunks
    slot = len(chunks)
    chunks.append(b"")
    try:
        size = (_PACKERS.get(type(item)) or _resolve(type(item)))(w, item)
    except BlobEncodeError as err:
        err.path.insert(0, where.format(label))
        raise
    chunks[slot] = _U64(size)
    return size + 8


def _items(w: Writer, items: Any) -> int:
    """Append each element with its uint64 length prefix; return the bytes added."""
    total = 0
    for i, item in enumerate(items):
        total += _prefixed(w, item, "[{!r}]", i)
    return total


def _pack_none(w: Writer, obj: None) -> int:
    w.dj0 = True
    w.chunks.append(_NONE)
    return 1


def _pack_bool(w: Writer, obj: bool) -> int:
    w.dj0 = True
    w.chunks.append(_TRUE if obj else _FALSE)
    return 2


def _pack_int(w: Writer, obj: int) -> int:
    w.dj0 = True
    n = obj.bit_length() // 8 + 1
    if n > 0xFFFF:
        raise BlobEncodeError(
            f"An int of {n} bytes is too large for DataJoint's blob format",
            hint="Integers are limited to 65535 bytes; store it as a string or bytes.",
            type_name="int",
        )
    w.chunks.append(_CODE_U16(fmt.INT, n) + int.to_bytes(obj, n, "little", signed=True))
    return 3 + n


def _pack_float(w: Writer, obj: float) -> int:
    w.dj0 = True
    w.chunks.append(_CODE_F64(fmt.FLOAT, obj))
    return 9


def _pack_complex(w: Writer, obj: complex) -> int:
    w.dj0 = True
    w.chunks.append(_CODE_C128(fmt.COMPLEX, obj.real, obj.imag))
    return 17


def _pack_string(w: Writer, obj: str) -> int:
    w.dj0 = True
    try:
        data = obj.encode()
    except UnicodeEncodeError as exc:
        raise BlobEncodeError(
            f"A str cannot be encoded as UTF-8 ({exc.reason})",
            hint="Remove the unpaired surrogates, or store the text as bytes.",
            type_name="str",
        ) from exc
    w.chunks.append(_CODE_U64(fmt.STRING, len(data)) + data)
    return 9 + len(data)


def _pack_bytes(w: Writer, obj: bytes | bytearray) -> int:
    w.dj0 = True
    data = bytes(obj)  # a snapshot: a bytearray could change before the join
    w.chunks.append(_CODE_U64(fmt.BYTES, len(data)))
    w.chunks.append(data)
    return 9 + len(data)


def _pack_decimal(w: Writer, obj: Decimal) -> int:
    w.dj0 = True
    text = str(obj).encode()
    w.chunks.append(_CODE_U64(fmt.DECIMAL, len(text)) + text)
    return 9 + len(text)


def _pack_uuid(w: Writer, obj: uuid.UUID) -> int:
    w.dj0 = True
    w.chunks.append(bytes((fmt.UUID_CODE,)) + obj.bytes)
    return 17


def _pack_datetime(w: Writer, obj: datetime.date | datetime.time) -> int:
    w.dj0 = True
    if getattr(obj, "tzinfo", None) is not None:
        # DataJoint drops the time zone silently; a value is stored exactly or refused here.
        raise BlobEncodeError(
            "DataJoint's blob format has no time zone, so a time-zone-aware "
            f"{type(obj).__name__} would lose it",
            hint="Convert it to a naive value first, e.g. value.astimezone(timezone.utc)"
            ".replace(tzinfo=None).",
            type_name=f"{type(obj).__module__}.{type(obj).__qualname__}",
        )
    date: datetime.date | None
    time: datetime.time | None
    if isinstance(obj, datetime.datetime):
        date, time = obj.date(), obj.time()
    elif isinstance(obj, datetime.date):
        date, time = obj, None
    else:
        date, time = None, obj
    day = -1 if date is None else (date.year * 100 + date.month) * 100 + date.day
    clock = (
        -1
        if time is None
        else ((time.hour * 100 + time.minute) * 100 + time.second) * 1_000_000 + time.microsecond
    )
    w.chunks.append(_CODE_DATETIME(fmt.DATETIME_CODE, day, clock))
    return 13


def _pack_sequence(code: int) -> Packer:
    def pack(w: Writer, obj: Any) -> int:
        w.dj0 = True
        w.chunks.append(_CODE_U64(code, len(obj)))
        return 9 + _items(w, obj)

    return pack


def _pack_dict(w: Writer, obj: Mapping[Any, Any]) -> int:
    w.dj0 = True
    w.chunks.append(_CODE_U64(fmt.DICT, len(obj)))
    total = 9
    for key, value in obj.items():
        total += _prefixed(w, key, " (a key {!r})", key)
        total += _prefixed(w, value, "[{!r}]", key)
    return total


def _array_head(ndim: int) -> Callable[..., bytes]:
    head = _ARRAY_HEAD.get(ndim)
    if head is None:
        head = _ARRAY_HEAD[ndim] = struct.Struct(f"<B{ndim + 1}QII").pack
    return head


def _fortran_bytes(arr: np.ndarray[Any, Any]) -> bytes | memoryview:
    """The elements of ``arr`` in Fortran order, copied as little as the memory allows."""
    if arr.nbytes < _ZERO_COPY_BYTES:
        return arr.tobytes(order="F")
    if not arr.flags.f_contiguous:
        if not arr.flags.c_contiguous:
            return arr.tobytes(order="F")
        # A large C-ordered array: numpy's own transposing copy walks the source with a
        # stride of a whole row per element; copying a few rows at a time keeps the cache
        # lines it reads in use, about twice as fast for 2-D arrays.
        rows = max(1, 64 // arr.itemsize)
        transposed = np.empty(arr.shape[::-1], dtype=arr.dtype)
        for start in range(0, arr.shape[0], rows):
            transposed[..., start : start + rows] = arr[start : start + rows].T
        arr = transposed.T
    # The transpose of a Fortran-ordered array is C-contiguous: its flat bytes are the
    # Fortran-order bytes of the original. uint8 because datetime64 has no buffer format.
    return arr.T.reshape(-1).view(np.uint8).data


def _unknown_dtype(arr: np.ndarray[Any, Any]) -> BlobEncodeError:
    if arr.dtype == np.float16:
        hint = "Convert it with .astype(np.float32): the format has no 16-bit float."
    elif arr.dtype.kind == "m":
        hint = "Convert it to int64 (a count of its unit) or to datetime64."
    else:
        hint = (
            "Convert the array to a supported dtype (bool, int8..uint64, float32/64, "
            "complex64/128, datetime64, str, bytes or object)."
        )
    return BlobEncodeError(
        f"DataJoint's blob format has no type code for numpy arrays of dtype {arr.dtype}",
        hint=hint,
        type_name=f"numpy.ndarray[{arr.dtype}]",
    )


def pack_array(w: Writer, arr: np.ndarray[Any, Any]) -> int:
    """Append an array without named fields as the ``A`` kind."""
    dtype = arr.dtype
    kind = dtype.kind
    is_complex = kind == "c"
    base = arr.real.dtype if is_complex else dtype
    type_id = fmt.DTYPE_STR_TO_ID.get(base.str)
    if type_id is None:
        if base.byteorder == ">":
            # Byte order is memory layout, like Fortran order: written little-endian, read
            # back native. (DataJoint refuses big-endian arrays.)
            return pack_array(w, arr.astype(dtype.newbyteorder("<")))
        if kind in "OUS":
            type_id = fmt.VOID_ID
        else:
            raise _unknown_dtype(arr)
    chunks = w.chunks
    head = _array_head(arr.ndim)(fmt.ARRAY, arr.ndim, *arr.shape, type_id, is_complex)
    chunks.append(head)
    if type_id == fmt.VOID_ID:
        # Object, str and multi-byte bytes arrays: each element as a value of its own.
        # (DataJoint stores str arrays so; bytes arrays wider than one byte it refuses.)
        w.dj0 = True
        return len(head) + _items(w, np.asarray(arr).ravel(order="F").tolist())
    if type_id == fmt.CHAR_ID:
        # MATLAB's 16-bit chars. DataJoint writes these in C order (and reads them back in
        # Fortran order); kept so, for identical bytes.
        data: bytes | memoryview = arr.view(np.uint8).astype(np.uint16).tobytes()
        chunks.append(data)
        return len(head) + len(data)
    if arr.ndim == 0 or type_id >= fmt.DATETIME64_FIRST_ID:
        w.dj0 = True  # mYm has neither 0-d arrays nor datetime64
    if is_complex:
        real = arr.real.tobytes(order="F")
        imag = arr.imag.tobytes(order="F")
        chunks.append(real)
        chunks.append(imag)
        return len(head) + 2 * len(real)
    data = _fortran_bytes(arr)
    chunks.append(data)
    return len(head) + arr.nbytes


def _pack_recarray(w: Writer, arr: np.ndarray[Any, Any]) -> int:
    names = arr.dtype.names or ()
    head = b"F" + _U32(len(names)) + "\0".join(names).encode() + b"\0"
    w.chunks.append(head)
    total = len(head)
    for name in names:
        column = arr[name]
        total += (_pack_recarray if column.dtype.fields else pack_array)(w, column)
    return total


def _pack_ndarray(w: Writer, arr: np.ndarray[Any, Any]) -> int:
    fields = arr.dtype.fields
    if fields is None:
        return pack_array(w, arr)
    if not fields:
        raise BlobEncodeError(
            "DataJoint's blob format cannot hold a structured numpy array without fields",
            hint="Give the dtype at least one field.",
            type_name=f"numpy.ndarray[{arr.dtype}]",
        )
    w.dj0 = True
    return _pack_recarray(w, arr)


def _refuse_masked(w: Writer, arr: np.ma.MaskedArray[Any, Any]) -> int:
    # DataJoint stores the data and drops the mask silently.
    raise BlobEncodeError(
        "DataJoint's blob format has no mask, so a numpy.ma.MaskedArray would lose it",
        hint="Store arr.filled(fill_value) and the mask (np.ma.getmaskarray(arr)) separately, "
        "e.g. as a dict of both.",
        type_name="numpy.ma.MaskedArray",
    )


def _pack_numpy_scalar(w: Writer, obj: np.generic) -> int:
    w.dj0 = True
    return _pack_ndarray(w, np.asarray(obj))


def _dims(arr: np.ndarray[Any, Any]) -> bytes:
    return struct.pack(f"<{arr.ndim + 1}Q", arr.ndim, *arr.shape)


def _pack_cell(w: Writer, arr: MatCell) -> int:
    head = b"C" + _dims(arr)
    w.chunks.append(head)
    return len(head) + _items(w, list(np.asarray(arr).ravel(order="F")))


def _pack_struct(w: Writer, arr: MatStruct) -> int:
    names = arr.dtype.names or ()
    head = b"S" + _dims(arr) + _U32(len(names)) + "\0".join(names).encode() + b"\0"
    w.chunks.append(head)
    values = [value for record in arr.ravel(order="F") for value in record]
    return len(head) + _items(w, values)


_PACKERS: dict[type, Packer] = {
    type(None): _pack_none,
    bool: _pack_bool,
    int: _pack_int,
    float: _pack_float,
    complex: _pack_complex,
    str: _pack_string,
    bytes: _pack_bytes,
    dict: _pack_dict,
    list: _pack_sequence(fmt.LIST),
    tuple: _pack_sequence(fmt.TUPLE),
    set: _pack_sequence(fmt.SET),
    np.ndarray: _pack_ndarray,
    MatCell: _pack_cell,
    MatStruct: _pack_struct,
}

#: Resolution of any other type, first match wins (DataJoint's precedence).
_BY_CLASS: tuple[tuple[type | tuple[type, ...], Packer], ...] = (
    (MatCell, _pack_cell),
    (MatStruct, _pack_struct),
    (np.ma.MaskedArray, _refuse_masked),
    (np.ndarray, _pack_ndarray),
    ((np.number, np.datetime64, np.bool_), _pack_numpy_scalar),
    (bool, _pack_bool),
    (int, _pack_int),
    (complex, _pack_complex),
    (float, _pack_float),
    ((datetime.date, datetime.time), _pack_datetime),
    (Decimal, _pack_decimal),
    (uuid.UUID, _pack_uuid),
    (Mapping, _pack_dict),
    (str, _pack_string),
    ((bytes, bytearray), _pack_bytes),
    (MutableSequence, _pack_sequence(fmt.LIST)),
    (Sequence, _pack_sequence(fmt.TUPLE)),
    (Set, _pack_sequence(fmt.SET)),
)
