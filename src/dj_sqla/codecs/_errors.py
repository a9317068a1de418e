"""The errors of the codec layer: values that cannot be encoded, bytes that cannot be decoded.

Every error here derives from :class:`CodecError`, itself a :class:`~dj_sqla.errors.DataJointError`.
The codec layer knows the value but not where it goes; the table layer knows the table, the
attribute and the row's key. So an error carries its facts as fields and the caller adds the
location with :meth:`CodecError.add_context` before re-raising; the message is composed when it
is printed.
"""

from __future__ import annotations

from typing import Any

from ..errors import DataJointError, MissingExternalFile


class CodecError(DataJointError):
    """A value cannot be encoded, or stored bytes cannot be decoded, by a codec.

    Args:
        message: What went wrong.
        hint: What the user can do about it (appended to the message).
        type_name: The Python type of the offending value, when there is one.

    Attributes:
        table: Table name, set by the caller with :meth:`add_context`.
        attribute: Attribute name, set by the caller.
        key: Primary key of the row, set by the caller.
        path: Where inside a nested value the problem is, outermost first
            (e.g. ``['["images"]', "[3]"]``).

    Example:
        >>> err = CodecError("Cannot encode", hint="Convert it first.", type_name="Foo")
        >>> print(err.add_context(table="lab.mouse", attribute="notes", key={"id": 1}))
        Table lab.mouse, attribute `notes`, key {'id': 1}: Cannot encode. Convert it first.
    """

    def __init__(self, message: str, *, hint: str = "", type_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.type_name = type_name
        self.path: list[str] = []
        self.table: str | None = None
        self.attribute: str | None = None
        self.key: Any = None

    def add_context(
        self, *, table: str | None = None, attribute: str | None = None, key: Any = None
    ) -> CodecError:
        """Record where the value belongs; returns the error, for ``raise err.add_context(...)``.

        Example:
            >>> CodecError("bad").add_context(attribute="img").attribute
            'img'
        """
        if table is not None:
            self.table = table
        if attribute is not None:
            self.attribute = attribute
        if key is not None:
            self.key = key
        return self

    def __str__(self) -> str:
        where = []
        if self.table is not None:
            where.append(f"Table {self.table}")
        if self.attribute is not None:
            where.append(f"attribute `{self.attribute}`")
        if self.key is not None:
            where.append(f"key {self.key!r}")
        text = self.message
        if self.path:
            text += " at value" + "".join(self.path)
        text += "."
        if self.hint:
            text += " " + self.hint
        return (", ".join(where) + ": " + text) if where else text


class BlobError(CodecError):
    """DataJoint's blob format cannot hold a value, or bytes are not a readable blob."""


class BlobEncodeError(BlobError):
    """A value cannot be serialized into DataJoint's blob format (its type is named)."""


class BlobDecodeError(BlobError):
    """Bytes cannot be read as a DataJoint blob (corrupt, truncated or of an unknown kind)."""


class AttachmentError(CodecError):
    """A file cannot be attached, or stored attachment bytes cannot be written back to a file."""


class CodecNotFoundError(CodecError):
    """No codec is registered (or installed as an entry point) under the requested name."""


class FilepathError(CodecError, ValueError):
    """A ``<filepath@>`` path the store does not take: one in a section dj_sqla manages (the
    hash or schema section), or one outside the store's ``filepath_prefix`` (a ``ValueError``
    too, as DataJoint raises it)."""


class StoredObjectError(CodecError):
    """An object a row refers to in an object store cannot be read as stored: it is missing,
    or its contents no longer match the checksum kept in the row (the path is named)."""


class MissingStoredObject(StoredObjectError, MissingExternalFile):
    """The object a row refers to is not in its store (DataJoint's ``MissingExternalFile``)."""
