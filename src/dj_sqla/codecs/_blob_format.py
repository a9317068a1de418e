"""Constants of DataJoint's blob byte format, shared by its writer and its reader.

A blob is an optional compression header (``ZL123\\0``, the uncompressed length as uint64,
then a zlib stream), a protocol header (``mYm\\0``, MATLAB's mYm layout, or ``dj0\\0`` when
Python-only kinds occur anywhere inside), then one value. A value is a one-byte code and its
body; every integer is little-endian. Containers prefix each element with its length as
uint64. Numeric arrays are ``A``, ndim and shape as uint64, a uint32 class id (MATLAB's
``mxClassID`` numbering, extended with ids from 65536 for ``datetime64`` units), a uint32
complex flag, and the elements in Fortran (column-major) order, real parts before imaginary.
"""

from __future__ import annotations

import struct

import numpy as np

#: Prefix of a zlib-compressed blob, followed by the uncompressed length (uint64).
COMPRESSED = b"ZL123\0"
#: Protocol header of blobs that MATLAB's mYm library can read.
MYM = b"mYm\0"
#: Protocol header of blobs that use DataJoint's Python-native kinds.
DJ0 = b"dj0\0"
#: Blobs up to this many bytes are never compressed (DataJoint's threshold).
COMPRESS_ABOVE = 1000

U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
TWO_U32 = struct.Struct("<II")
F64 = struct.Struct("<d")
C128 = struct.Struct("<dd")
DATETIME = struct.Struct("<iq")

# One-byte value codes.
ARRAY = 0x41  # "A": numeric/char/object array, MATLAB-compatible
SPARSE = 0x50  # "P": MATLAB sparse array (DataJoint cannot read these either)
STRUCT = 0x53  # "S": MATLAB struct array (MatStruct)
CELL = 0x43  # "C": MATLAB cell array (MatCell)
RECARRAY = 0x46  # "F": numpy array with named fields
NONE = 0xFF
TUPLE = 0x01
LIST = 0x02
SET = 0x03
DICT = 0x04
STRING = 0x05
BYTES = 0x06
INT = 0x0A
BOOL = 0x0B
COMPLEX = 0x0C
FLOAT = 0x0D
DECIMAL = 0x64  # "d"
DATETIME_CODE = 0x74  # "t"
UUID_CODE = 0x75  # "u"

# MATLAB class ids of the array kinds that are not plain numbers.
CHAR_ID = 4
VOID_ID = 5
#: Class ids from here on are DataJoint's datetime64 units (Python-native, not MATLAB).
DATETIME64_FIRST_ID = 65_536

_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as")

#: numpy dtype (little-endian) -> class id.
DTYPE_TO_ID: dict[np.dtype[np.generic], int] = {
    np.dtype("bool"): 3,
    np.dtype("S1"): CHAR_ID,
    np.dtype("float64"): 6,
    np.dtype("float32"): 7,
    np.dtype("int8"): 8,
    np.dtype("uint8"): 9,
    np.dtype("int16"): 10,
    np.dtype("uint16"): 11,
    np.dtype("int32"): 12,
    np.dtype("uint32"): 13,
    np.dtype("int64"): 14,
    np.dtype("uint64"): 15,
    **{np.dtype(f"datetime64[{unit}]"): DATETIME64_FIRST_ID + i for i, unit in enumerate(_UNITS)},
}
#: Class id -> numpy dtype, for the ids whose elements are stored as raw numbers.
ID_TO_DTYPE: dict[int, np.dtype[np.generic]] = {
    v: k for k, v in DTYPE_TO_ID.items() if v != CHAR_ID
}
#: dtype.str -> class id: the writer's fast lookup (a string hashes faster than a dtype).
DTYPE_STR_TO_ID: dict[str, int] = {k.str: v for k, v in DTYPE_TO_ID.items()}


class MatCell(np.ndarray):
    """A numpy array that stands for a MATLAB cell array (stored as the ``C`` kind).

    Example:
        >>> import numpy as np
        >>> cell = np.array([1, "a"], dtype=object).view(MatCell)
        >>> isinstance(cell, np.ndarray)
        True
    """


class MatStruct(np.recarray):
    """A numpy record array that stands for a MATLAB struct array (stored as the ``S`` kind).

    Example:
        >>> import numpy as np
        >>> s = np.array([(1, "x")], dtype=[("a", object), ("b", object)]).view(MatStruct)
        >>> s.dtype.names
        ('a', 'b')
    """
