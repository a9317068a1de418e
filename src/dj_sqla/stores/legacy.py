"""DataJoint 0.14's external types: ``blob@store``, ``attach@store``, ``filepath@store``.

A 0.14 row keeps a UUID that references the store's tracking table ``~external_<store>`` in
its schema (one row per stored object: ``hash``, ``size``, ``attachment_name``, ``filepath``,
``contents_hash``, ``timestamp``). The objects are where 0.14 puts them, so a database built
by DataJoint 0.14 opens, reads and grows with dj_sqla, and 0.14 reads what dj_sqla adds:

* ``blob@s``: the blob's bytes (DataJoint's format), at ``{location}/{schema}/{ab}/{cd}/{uuid}``,
  the UUID being the MD5 of the bytes and ``ab/cd`` its first characters (the store's
  ``subfolding``, 0.14's default ``(2, 2)``);
* ``attach@s``: the file's contents at ``.../{uuid}.{file name}``, the UUID being the MD5 of
  ``name + "\\0" + contents``;
* ``filepath@s``: a file under the store's ``stage`` folder, copied to ``{location}/{path
  relative to stage}``; the UUID is the MD5 of that relative path, ``contents_hash`` the MD5 of
  the contents; fetching copies it back under ``stage`` (checked against the hash).

The tracking row is written in the insert's transaction, before the row that references it.
When rows are deleted, a tracking row no other row references is deleted too, and its object
after that commits (the database's foreign keys decide what is still referenced).

Example:
    >>> legacy_uuid(b"abc").hex
    '900150983cd24fb0d6963f7d28e17f72'
    >>> legacy_path(legacy_uuid(b"abc"), "lab", (2, 2))
    'lab/90/01/900150983cd24fb0d6963f7d28e17f72'
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..codecs import Codec, MissingStoredObject, StoredObjectError, pack, unpack, unpack_attachment
from ..codecs.journal import note_tracking
from ..config import config as global_config
from ..errors import DataJointError, MissingExternalFile
from ..types import EXTERNAL_TABLE
from .backend import StorageBackend
from .hashed import get_store_backend

#: 0.14's subfolding when a store does not set one.
DEFAULT_SUBFOLDING = (2, 2)


def legacy_uuid(data: bytes = b"", *, init: str = "") -> uuid.UUID:
    """DataJoint 0.14's UUID of contents: the MD5 of ``init`` then ``data``."""
    digest = hashlib.md5(init.encode())
    digest.update(data)
    return uuid.UUID(bytes=digest.digest())


def file_uuid(path: str | os.PathLike[str], *, init: str = "") -> uuid.UUID:
    """:func:`legacy_uuid` of a file's contents, read in pieces."""
    digest = hashlib.md5(init.encode())
    with open(path, "rb") as source:
        while chunk := source.read(1 << 22):
            digest.update(chunk)
    return uuid.UUID(bytes=digest.digest())


def legacy_path(
    key: uuid.UUID, schema: str, subfolding: Any = DEFAULT_SUBFOLDING, suffix: str = ""
) -> str:
    """Where 0.14 stores the object of ``key`` (relative to the store's location)."""
    folds: list[str] = []
    rest = key.hex
    for fold in subfolding or ():
        folds.append(rest[:fold].lower())
        rest = rest[fold:]
    return "/".join([schema, *folds, key.hex + suffix])


def legacy_subfolding(store: str) -> Any:
    """The store's ``subfolding`` as 0.14 reads it (its default when the setting is absent)."""
    settings = global_config["stores"].get(store, {})
    return settings.get("subfolding", DEFAULT_SUBFOLDING)


def legacy_backend(store: str | None) -> StorageBackend:
    return get_store_backend(store or None, global_config, legacy=True)


def _schema(key: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> str:
    schema = (context or {}).get("schema") or (key or {}).get("_schema")
    if not schema:
        raise DataJointError("A 0.14 store type needs its schema's name to find its objects.")
    return str(schema)


def _read(backend: StorageBackend, path: str) -> bytes:
    try:
        return backend.get_buffer(path)
    except MissingExternalFile:
        raise MissingStoredObject(
            f"The stored object is missing: {backend.describe(path)}"
        ) from None


def _keep(backend: StorageBackend, path: str, source: bytes | Path) -> Any:
    """A check that writes the object again if it vanished before its row was written."""

    def check() -> None:
        if not backend.exists(path):
            if isinstance(source, bytes):
                backend.put_buffer(source, path)
            else:
                backend.put_file(source, path)

    return check


def legacy_object_path(schema: str, store: str, row: Mapping[str, Any]) -> str:
    """The store path of the object a tracking row describes."""
    if row.get("filepath"):
        return str(row["filepath"])
    suffix = "." + row["attachment_name"] if row.get("attachment_name") else ""
    return legacy_path(_uuid(row["hash"]), schema, legacy_subfolding(store), suffix)


class External(Codec, register=False):
    """The part the three 0.14 types share: a UUID in the row, a store named in the type."""

    kind = ""

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError(f"{self.kind}@ requires a store: write {self.kind}@store")
        return "uuid"


class ExternalBlobCodec(External):
    """``blob@store`` (DataJoint 0.14): a serialized value in the store."""

    name = "external_blob"
    kind = "blob"

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> uuid.UUID:
        assert store_name
        blob = pack(value, compress=True)
        digest = legacy_uuid(blob)
        path = legacy_path(digest, _schema(key, context), legacy_subfolding(store_name))
        backend = legacy_backend(store_name)
        backend.put_buffer(blob, path)  # the same bytes under the same name
        note_tracking(store_name, {"hash": digest, "size": len(blob)}, _keep(backend, path, blob))
        return digest

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        store = self._store_of(context)
        path = legacy_path(_uuid(stored), _schema(key, context), legacy_subfolding(store))
        return unpack(_read(legacy_backend(store), path))

    @staticmethod
    def _store_of(context: Mapping[str, Any] | None) -> str:
        store = (context or {}).get("external_store")
        if not store:
            raise DataJointError("A 0.14 store type was decoded without its store.")
        return str(store)


class _FromFile(External, register=False):
    """A 0.14 type whose value is a local file's path."""

    def validate(self, value: Any) -> None:
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"{self.kind}@ takes a file path, not a {type(value).__name__}")


class ExternalAttachCodec(_FromFile):
    """``attach@store`` (DataJoint 0.14): a file in the store, written back on fetch."""

    name = "external_attach"
    kind = "attach"

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> uuid.UUID:
        assert store_name
        source = Path(value)
        if not source.is_file():
            raise DataJointError(f"attach@{store_name}: no file {source}")
        digest = file_uuid(source, init=source.name + "\0")
        path = legacy_path(
            digest, _schema(key, context), legacy_subfolding(store_name), "." + source.name
        )
        backend = legacy_backend(store_name)
        backend.put_file(source, path)
        row = {"hash": digest, "size": source.stat().st_size, "attachment_name": source.name}
        note_tracking(store_name, row, _keep(backend, path, source))
        return digest

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> str:
        store = ExternalBlobCodec._store_of(context)
        digest = _uuid(stored)
        backend = legacy_backend(store)
        folder = legacy_path(digest, _schema(key, context), legacy_subfolding(store)).rpartition(
            "/"
        )[0]
        prefix = digest.hex + "."
        names = [
            entry.rstrip("/").rpartition("/")[2]
            for entry in backend.fs.ls(backend._full_path(folder), detail=False)
        ]
        found = [n for n in names if n.startswith(prefix)]
        if not found:
            raise MissingStoredObject(
                f"The stored attachment {digest.hex} is missing: {backend.describe(folder)}"
            )
        name = found[0][len(prefix) :]
        contents = _read(backend, f"{folder}/{found[0]}")
        download = (context or {}).get("download_path") or global_config.get("download_path")
        return str(unpack_attachment(name.encode() + b"\0" + contents, download or "."))


class ExternalFilepathCodec(_FromFile):
    """``filepath@store`` (DataJoint 0.14): a file under the store's ``stage`` folder, copied
    into the store and back."""

    name = "external_filepath"
    kind = "filepath"

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> uuid.UUID:
        assert store_name
        local, relative, digest, contents = staged_file(store_name, value)
        backend = legacy_backend(store_name)
        backend.put_file(local, relative)
        row = {
            "hash": digest,
            "size": local.stat().st_size,
            "filepath": relative,
            "contents_hash": contents,
        }
        note_tracking(store_name, row, _keep(backend, relative, local))
        return digest

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> str:
        store = ExternalBlobCodec._store_of(context)
        connection = (context or {}).get("connection")
        schema = _schema(key, context)
        if connection is None:
            raise DataJointError(f"filepath@{store} is decoded by fetching it from its table.")
        found = tracking_row(connection, schema, store, _uuid(stored))
        if found is None:
            raise MissingStoredObject(f"No row of `{schema}`.`~external_{store}` for {stored}")
        local = stage_folder(store) / found["filepath"]
        if not (local.is_file() and file_uuid(local) == found["contents_hash"]):
            legacy_backend(store).get_file(found["filepath"], local)
            if found["contents_hash"] and file_uuid(local) != found["contents_hash"]:
                raise StoredObjectError(
                    f"{local} was copied from store {store!r} but does not match its checksum"
                )
        return str(local)


def staged_file(store: str, value: Any) -> tuple[Path, str, uuid.UUID, uuid.UUID]:
    """A file of the store's stage folder: its path, its path relative to the stage, the UUID
    of that (which names it in the tracking table) and the UUID of its contents.

    Raises:
        DataJointError: The file is not in the stage folder, or is not there.
    """
    stage = stage_folder(store)
    local = Path(value)
    try:
        relative = local.absolute().relative_to(stage).as_posix()
    except ValueError:
        raise DataJointError(
            f"filepath@{store}: {local} is not in the stage folder {stage} of the store."
        ) from None
    if not local.is_file():
        raise DataJointError(f"filepath@{store}: no file {local}")
    return local, relative, legacy_uuid(init=relative), file_uuid(local)


def stage_folder(store: str) -> Path:
    stage = global_config.get_store_spec(store).get("stage")
    if not stage:
        raise DataJointError(
            f'filepath@{store} needs dj.config["stores"]["{store}"]["stage"]: the local folder '
            "the files are kept in."
        )
    return Path(stage).absolute()


def _uuid(stored: Any) -> uuid.UUID:
    if isinstance(stored, uuid.UUID):
        return stored
    if isinstance(stored, bytes | bytearray | memoryview):
        return uuid.UUID(bytes=bytes(stored))
    return uuid.UUID(str(stored))


def tracking_table(connection: Any, schema: str, store: str) -> sa.Table:
    """The ``~external_<store>`` Table of an activated schema."""
    known = connection.schema_named(schema)
    name = f"{schema}.{EXTERNAL_TABLE.format(store=store)}"
    if known is None or name not in known.tables:
        raise DataJointError(
            f"`{schema}`.`~external_{store}` is not known here; activate schema `{schema}`."
        )
    table: sa.Table = known.tables[name]
    return table


def tracking_row(connection: Any, schema: str, store: str, key: uuid.UUID) -> dict[str, Any] | None:
    """The tracking row of an object, or None."""
    table = tracking_table(connection, schema, store)
    query = sa.select(table).where(table.c.hash == key)
    row = connection.run_read(lambda conn: conn.execute(query).first())
    return None if row is None else dict(row._mapping)
