"""The reader of DataJoint's blob format: bytes back to Python and numpy values.

Numeric arrays are numpy views on the blob's own buffer (``np.frombuffer``), so reading a large
array copies nothing; like DataJoint's, they are read-only when the blob is ``bytes``. Each
value kind has one reader function, found by its one-byte code in :data:`_READERS`. Where
DataJoint's reader is lossy or fails on values it writes itself (cells and object arrays of
equally long sequences, complex numbers with an infinite imaginary part), this one builds the
values element by element instead; everywhere else it returns what DataJoint returns.
"""

from __future__ import annotations

import datetime
import math
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from itertools import repeat
from typing import Any

import numpy as np

from . import _blob_format as fmt
from ._blob_format import MatCell, MatStruct
from ._errors import BlobDecodeError

Buffer = bytes | bytearray | memoryview

_U64 = fmt.U64.unpack_from
_U32 = fmt.U32.unpack_from
_U16 = fmt.U16.unpack_from
_TWO_U32 = fmt.TWO_U32.unpack_from
_F64 = fmt.F64.unpack_from
_C128 = fmt.C128.unpack_from
_DATETIME = fmt.DATETIME.unpack_from
_DIMS: dict[tuple[str, int], Callable[[Buffer, int], tuple[int, ...]]] = {}


class Reader:
    """A position in a blob's buffer, and whether arrays are squeezed as they are read."""

    __slots__ = ("buf", "pos", "squeeze")

    #: How lengths, counts and dimensions are stored: as uint64 (``Reader32``: uint32).
    _size = _U64
    _size_bytes = 8
    _dim_code = "Q"

    def __init__(self, buf: Buffer, pos: int, squeeze: bool) -> None:
        self.buf = buf
        self.pos = pos
        self.squeeze = squeeze

    def value(self) -> Any:
        """Read one value (its code byte and body)."""
        code = self.buf[self.pos]
        self.pos += 1
        reader = _READERS.get(code)
        if reader is None:
            raise BlobDecodeError(
                f"The blob holds a value of unknown kind (code {code:#04x} at byte {self.pos - 1})",
                hint="It was written by a newer DataJoint, or it is corrupt.",
            )
        return reader(self)

    def sized_value(self) -> Any:
        """Read a uint64 length and the value it announces, and check that the two agree."""
        (size,) = self._size(self.buf, self.pos)
        start = self.pos = self.pos + self._size_bytes
        value = self.value()
        if self.pos - start != size:
            raise BlobDecodeError(
                f"A value inside the blob is {self.pos - start} bytes long where its length "
                f"prefix says {size}",
                hint="The blob is corrupt.",
            )
        return value

    def check_count(self, n: int) -> None:
        """Refuse an element count the rest of the blob cannot hold (at least 9 bytes each).

        A corrupt count would otherwise allocate an object array of that size first.
        """
        if n * 9 > len(self.buf) - self.pos:
            raise BlobDecodeError(
                f"The blob announces {n} elements but has only {len(self.buf) - self.pos} "
                "bytes left",
                hint="The blob is truncated or corrupt.",
            )

    def u64(self) -> int:
        """A length, count or number of dimensions."""
        (n,) = self._size(self.buf, self.pos)
        self.pos += self._size_bytes
        return int(n)

    def dims(self, ndim: int) -> tuple[int, ...]:
        key = (self._dim_code, ndim)
        unpack = _DIMS.get(key)
        if unpack is None:
            unpack = _DIMS[key] = struct.Struct(f"<{ndim}{self._dim_code}").unpack_from
        shape = unpack(self.buf, self.pos)
        self.pos += self._size_bytes * ndim
        return shape

    def cstring(self) -> str:
        """Read a zero-terminated UTF-8 string (a field name)."""
        buf, start = self.buf, self.pos
        find = getattr(buf, "find", None)
        if find is not None:
            end = find(b"\0", start)
            if end < 0:
                raise BlobDecodeError("A field name in the blob is not terminated")
        else:  # a memoryview: field names are short, a scan costs little
            end = start
            while buf[end] != 0:
                end += 1
        self.pos = end + 1
        return str(buf[start:end], "utf-8")

    def shaped(self, array: np.ndarray[Any, Any], to_scalar: bool = True) -> Any:
        """DataJoint's ``squeeze``: drop singleton dimensions, 0-d to a scalar if asked."""
        if not self.squeeze:
            return array
        array = array.squeeze()
        return array.item() if to_scalar and array.ndim == 0 else array


class Reader32(Reader):
    """A reader of blobs written by the 32-bit mYm library for MATLAB: lengths, counts and
    dimensions are uint32 (DataJoint's ``dj.blob.use_32bit_dims``)."""

    __slots__ = ()

    _size = _U32
    _size_bytes = 4
    _dim_code = "I"


def _read_array(r: Reader) -> Any:
    shape = r.dims(r.u64())
    ndim = len(shape)
    type_id, is_complex = _TWO_U32(r.buf, r.pos)
    r.pos += 8
    n = math.prod(shape)
    data: np.ndarray[Any, Any]
    if type_id == fmt.VOID_ID:
        r.check_count(n)
        data = np.empty(n, dtype=object)
        sized = r.sized_value
        for i in range(n):
            data[i] = sized()
    elif type_id == fmt.CHAR_ID:
        # MATLAB's 16-bit chars: DataJoint keeps the low bytes, and turns a row of chars
        # into one string (an array of shape (1,)).
        chars = np.frombuffer(r.buf, dtype="S1", count=2 * n, offset=r.pos)[::2].astype("U1")
        r.pos += 2 * n
        data = chars
        if ndim == 1 or (ndim == 2 and shape[0] == 1):
            compact = chars.squeeze()
            data = compact if compact.shape == () else np.array("".join(compact))
            shape = (1,)
    else:
        dtype = fmt.ID_TO_DTYPE.get(type_id)
        if dtype is None:
            raise BlobDecodeError(
                f"The blob holds an array of MATLAB class id {type_id}, which DataJoint cannot read"
            )
        data = np.frombuffer(r.buf, dtype=dtype, count=n, offset=r.pos)
        r.pos += n * dtype.itemsize
        if is_complex:
            imag = np.frombuffer(r.buf, dtype=dtype, count=n, offset=r.pos)
            r.pos += n * dtype.itemsize
            # DataJoint computes real + 1j * imag, which turns an infinite imaginary part
            # into a NaN real part; filling both halves keeps every value.
            both = np.empty(n, dtype=np.result_type(dtype, 1j))
            both.real = data
            both.imag = imag
            data = both
        if ndim == 0:
            # DataJoint returns a 0-d numeric array as a numpy scalar.
            scalar = data[0]
            return scalar.item() if r.squeeze else scalar
    return r.shaped(data.reshape(shape, order="F"))


def _read_sparse(r: Reader) -> Any:
    raise BlobDecodeError(
        "The blob holds a MATLAB sparse array, which DataJoint cannot read either",
        hint="Store it from MATLAB as a full array.",
    )


def _read_recarray(r: Reader) -> Any:
    (n_fields,) = _U32(r.buf, r.pos)
    r.pos += 4
    if not n_fields:
        return np.array(None)
    names = [r.cstring() for _ in range(n_fields)]
    # Columns are read unsqueezed and the record array squeezed as a whole: DataJoint
    # squeezes each column, which fails for a single record (a column becomes a scalar).
    squeeze, r.squeeze = r.squeeze, False
    try:
        columns = [r.value() for _ in range(n_fields)]
    finally:
        r.squeeze = squeeze
    rec = np.empty(
        columns[0].shape,
        np.dtype([(name, c.dtype) for name, c in zip(names, columns, strict=True)]),
    )
    for name, column in zip(names, columns, strict=True):
        rec[name] = column
    return r.shaped(rec, to_scalar=False).view(np.recarray)


def _read_struct(r: Reader) -> Any:
    shape = r.dims(r.u64())
    (n_fields,) = _U32(r.buf, r.pos)
    r.pos += 4
    if not n_fields:
        return np.array(None)
    names = [r.cstring() for _ in range(n_fields)]
    r.check_count(math.prod(shape) * n_fields)
    sized = r.sized_value
    records = [tuple(sized() for _ in range(n_fields)) for _ in range(math.prod(shape))]
    data = np.array(records, dtype=list(zip(names, repeat(object))))
    return r.shaped(data.reshape(shape, order="F"), to_scalar=False).view(MatStruct)


def _read_cell(r: Reader) -> Any:
    shape = r.dims(r.u64())
    n = math.prod(shape)
    r.check_count(n)
    cells = np.empty(n, dtype=object)
    sized = r.sized_value
    for i in range(n):
        cells[i] = sized()
    if n == 0:
        return cells.view(MatCell)  # DataJoint returns an empty cell as shape (0,)
    return r.shaped(cells.reshape(shape, order="F"), to_scalar=False).view(MatCell)


def _read_none(r: Reader) -> None:
    return None


def _read_int(r: Reader) -> int:
    (n,) = _U16(r.buf, r.pos)
    start = r.pos + 2
    r.pos = start + n
    return int.from_bytes(r.buf[start : r.pos], "little", signed=True)


def _read_bool(r: Reader) -> bool:
    r.pos += 1
    return r.buf[r.pos - 1] != 0


def _read_float(r: Reader) -> float:
    (value,) = _F64(r.buf, r.pos)
    r.pos += 8
    return float(value)


def _read_complex(r: Reader) -> complex:
    real, imag = _C128(r.buf, r.pos)
    r.pos += 16
    return complex(real, imag)


def _read_bytes(r: Reader) -> bytes:
    start = r.pos + 8
    r.pos = start + _U64(r.buf, r.pos)[0]
    if r.pos > len(r.buf):
        raise BlobDecodeError("The blob ends inside a value", hint="The blob is truncated.")
    return bytes(r.buf[start : r.pos])


def _read_string(r: Reader) -> str:
    start = r.pos + 8
    r.pos = start + _U64(r.buf, r.pos)[0]
    if r.pos > len(r.buf):
        raise BlobDecodeError("The blob ends inside a value", hint="The blob is truncated.")
    return str(r.buf[start : r.pos], "utf-8")


def _read_decimal(r: Reader) -> Decimal:
    return Decimal(_read_string(r))


def _read_tuple(r: Reader) -> tuple[Any, ...]:
    sized = r.sized_value
    return tuple([sized() for _ in range(r.u64())])


def _read_list(r: Reader) -> list[Any]:
    sized = r.sized_value
    return [sized() for _ in range(r.u64())]


def _read_set(r: Reader) -> set[Any]:
    sized = r.sized_value
    return {sized() for _ in range(r.u64())}


def _read_dict(r: Reader) -> dict[Any, Any]:
    sized = r.sized_value
    return {sized(): sized() for _ in range(r.u64())}


def _read_datetime(r: Reader) -> datetime.date | datetime.time | datetime.datetime | None:
    day, clock = _DATETIME(r.buf, r.pos)
    r.pos += 12
    date = (
        datetime.date(year=day // 10000, month=(day // 100) % 100, day=day % 100)
        if day >= 0
        else None
    )
    time = (
        datetime.time(
            hour=(clock // 10_000_000_000) % 100,
            minute=(clock // 100_000_000) % 100,
            second=(clock // 1_000_000) % 100,
            microsecond=clock % 1_000_000,
        )
        if clock >= 0
        else None
    )
    if date is not None and time is not None:
        return datetime.datetime.combine(date, time)
    return date if date is not None else time


def _read_uuid(r: Reader) -> uuid.UUID:
    start = r.pos
    r.pos += 16
    return uuid.UUID(bytes=bytes(r.buf[start : r.pos]))


_READERS: dict[int, Callable[[Reader], Any]] = {
    fmt.ARRAY: _read_array,
    fmt.SPARSE: _read_sparse,
    fmt.STRUCT: _read_struct,
    fmt.CELL: _read_cell,
    fmt.RECARRAY: _read_recarray,
    fmt.NONE: _read_none,
    fmt.TUPLE: _read_tuple,
    fmt.LIST: _read_list,
    fmt.SET: _read_set,
    fmt.DICT: _read_dict,
    fmt.STRING: _read_string,
    fmt.BYTES: _read_bytes,
    fmt.INT: _read_int,
    fmt.BOOL: _read_bool,
    fmt.COMPLEX: _read_complex,
    fmt.FLOAT: _read_float,
    fmt.DECIMAL: _read_decimal,
    fmt.DATETIME_CODE: _read_datetime,
    fmt.UUID_CODE: _read_uuid,
}
