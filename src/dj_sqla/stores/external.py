"""DataJoint 0.14's tracking tables as objects: ``schema.external["raw"]`` and ``Table.external``.

A 0.14 schema keeps one table ``~external_<store>`` per store its ``blob@``, ``attach@`` and
``filepath@`` attributes use (see :mod:`dj_sqla.stores.legacy`). DataJoint 0.14 handed it out as
an ``ExternalTable``: a query over that table with the store's operations. dj_sqla gives the
same object, so 0.14 code that lists, cleans up or fills a store keeps working::

    ext = schema.external["raw"]
    len(ext), ext.unused().fetch("hash")            # tracked objects, those no row refers to
    ext.delete(delete_external_files=True)          # remove those (rows and objects); errors
    uuid = ext.upload_filepath("/stage/a/b.dat")    # a file of the store's stage folder
    ext.download_filepath(uuid)                     # back into the stage: (path, checksum)

dj_sqla removes the tracking row and object of deleted rows itself once nothing refers to them
(0.14 left that to ``delete``), so ``delete`` usually finds nothing left to do.

Example:
    >>> import tempfile, dj_sqla as dj
    >>> dj.config["stores"] = {"raw": {"protocol": "file", "location": tempfile.mkdtemp()}}
    >>> schema = dj.Schema("ext_doc", connection=dj.Connection("sqlite://"))
    >>> ext = schema.external["raw"]
    >>> uuid = ext.put(b"some bytes")
    >>> len(ext), ext.get(uuid)
    (1, b'some bytes')
    >>> ext.delete(delete_external_files=True, display_progress=False), len(ext)
    ([], 0)
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .. import table as _table
from ..config import config as global_config
from ..declare.build import external_table
from ..errors import DataJointError
from ..execution.query import Query
from .legacy import (
    file_uuid,
    legacy_backend,
    legacy_object_path,
    legacy_path,
    legacy_subfolding,
    legacy_uuid,
    stage_folder,
    staged_file,
)


class ExternalTable(Query):
    """The tracking table of one store in one schema, as a query with the store's operations.

    Args:
        connection: The connection the schema is activated on.
        store: The store's name (a key of ``dj.config["stores"]``).
        database: The schema's name; the table is created if it is not there.
    """

    __slots__ = ("database", "store")

    def __init__(
        self,
        connection: Any,
        store: str,
        database: str,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> None:
        schema = connection.schema_named(database)
        if schema is None:
            raise DataJointError(
                f"Schema `{database}` is not activated on this connection; activate it before "
                f'using its store tables (schema.external["{store}"]).'
            )
        table = external_table(schema, store)
        if not where:
            with connection.write() as conn:
                if table.name not in connection.backend.table_names(conn, database):
                    connection.backend.create_tables(conn, schema, [table])
        super().__init__(
            connection, table, {c.name: c for c in table.columns}, ["hash"], where, lineage={}
        )
        self.store = store
        self.database = database

    def _derive(self, where: Sequence[ColumnElement[bool]]) -> ExternalTable:
        return ExternalTable(self._connection, self.store, self.database, where)

    def __repr__(self) -> str:
        return f"External store {self.store!r} of schema `{self.database}`\n{super().__repr__()}"

    @property
    def table(self) -> sa.Table:
        """The tracking table."""
        return self._from_clause  # type: ignore[return-value]

    @property
    def spec(self) -> dict[str, Any]:
        """The store's settings (as DataJoint 0.14 reads them)."""
        return global_config.get_store_spec(self.store, legacy=True)

    @property
    def full_table_name(self) -> str:
        """`` `schema`.`~external_store` ``."""
        return f"`{self.database}`.`{self.table.name}`"

    # -- blobs and attachments -----------------------------------------------------------------

    def put(self, blob: bytes) -> uuid_module.UUID:
        """Store serialized bytes (a blob) once, tracked by their MD5 UUID, which is returned."""
        digest = legacy_uuid(blob)
        legacy_backend(self.store).put_buffer(blob, self._uuid_path(digest))
        self._track({"hash": digest, "size": len(blob)})
        return digest

    def get(self, uuid: uuid_module.UUID | None) -> bytes | None:
        """The bytes of a stored blob (None for None)."""
        if uuid is None:
            return None
        return legacy_backend(self.store).get_buffer(self._uuid_path(uuid))

    def upload_attachment(self, local_path: str | Path) -> uuid_module.UUID:
        """Store a file as an attachment (its name kept); returns its UUID."""
        source = Path(local_path)
        digest = file_uuid(source, init=source.name + "\0")
        legacy_backend(self.store).put_file(source, self._uuid_path(digest, "." + source.name))
        self._track({"hash": digest, "size": source.stat().st_size, "attachment_name": source.name})
        return digest

    def get_attachment_name(self, uuid: uuid_module.UUID) -> str:
        """The file name an attachment was stored with."""
        return str((self & {"hash": uuid}).fetch1("attachment_name"))

    def download_attachment(
        self, uuid: uuid_module.UUID, attachment_name: str, download_path: str | Path
    ) -> None:
        """Copy a stored attachment to ``download_path``."""
        legacy_backend(self.store).get_file(
            self._uuid_path(uuid, "." + attachment_name), download_path
        )

    # -- managed files -------------------------------------------------------------------------

    def upload_filepath(self, local_filepath: str | Path) -> uuid_module.UUID:
        """Copy a file of the store's ``stage`` folder into the store and track it; returns the
        UUID of its path relative to the stage. A file tracked already is not copied again.

        Raises:
            DataJointError: The file is outside the stage folder, or a file of that path with
                other contents is tracked already.
        """
        local, relative, digest, contents = staged_file(self.store, local_filepath)
        tracked = (self & {"hash": digest}).to_dicts()
        if tracked:
            if tracked[0]["contents_hash"] not in (None, contents):
                raise DataJointError(
                    f"A different version of '{relative}' has already been placed in store "
                    f"{self.store!r}; give the new file another name."
                )
            return digest
        legacy_backend(self.store).put_file(local, relative)
        self._track(
            {
                "hash": digest,
                "size": local.stat().st_size,
                "filepath": relative,
                "contents_hash": contents,
            }
        )
        return digest

    def download_filepath(
        self, filepath_hash: uuid_module.UUID | None
    ) -> tuple[str, uuid_module.UUID | None] | None:
        """Copy a managed file back into the stage folder unless it is there with the right
        contents; returns its local path and contents checksum (None for None).

        Raises:
            DataJointError: The copy does not match the checksum it was stored with.
        """
        if filepath_hash is None:
            return None
        relative, contents = (self & {"hash": filepath_hash}).fetch1("filepath", "contents_hash")
        local = stage_folder(self.store) / relative
        if not (local.is_file() and (contents is None or file_uuid(local) == contents)):
            legacy_backend(self.store).get_file(relative, local)
            if contents is not None and file_uuid(local) != contents:
                raise DataJointError(
                    f"'{local}' was copied from store {self.store!r} but does not match its "
                    "checksum: the stored file was changed outside DataJoint."
                )
        return str(local), contents

    # -- the objects ---------------------------------------------------------------------------

    def exists(self, external_filepath: str | PurePosixPath) -> bool:
        """Whether the store holds an object at a path :meth:`fetch_external_paths` gives."""
        backend = legacy_backend(self.store)
        return bool(backend.fs.isfile(str(external_filepath)))

    def _make_external_filepath(self, relative_filepath: str) -> PurePosixPath:
        """The filesystem path of a store path (0.14's helper of that name)."""
        return PurePosixPath(legacy_backend(self.store)._full_path(relative_filepath))

    def fetch_external_paths(self, **fetch_kwargs: Any) -> list[tuple[uuid_module.UUID, Any]]:
        """``(uuid, filesystem path)`` of each tracked object of this query."""
        limit = fetch_kwargs.get("limit")
        rows = self.to_dicts(limit=limit) if limit is not None else self.to_dicts()
        return [(row["hash"], self._make_external_filepath(self._object_path(row))) for row in rows]

    @property
    def references(self) -> Iterator[dict[str, str]]:
        """The tables and attributes that refer to this table: ``{"referencing_table":
        "`schema`.`table`", "column_name": ...}`` each."""
        for table, column in self._referencing():
            yield {
                "referencing_table": f"`{table.schema}`.`{table.name}`",
                "column_name": column.name,
            }

    def _referencing(self) -> list[tuple[sa.Table, sa.Column[Any]]]:
        found = []
        for table in self.table.metadata.tables.values():
            for fk in table.foreign_keys:
                if fk.column.table is self.table:
                    found.append((table, fk.parent))
        return found

    def _referenced(self) -> ColumnElement[bool]:
        tracking = self.table
        conditions = [
            sa.exists().where(column == tracking.c.hash) for _, column in self._referencing()
        ]
        return sa.or_(sa.false(), *conditions)

    def used(self) -> ExternalTable:
        """The tracked objects some row of the schema refers to."""
        return self._derive([*self._where, self._referenced()])

    def unused(self) -> ExternalTable:
        """The tracked objects no row of the schema refers to."""
        return self._derive([*self._where, sa.not_(self._referenced())])

    def delete(
        self,
        *,
        delete_external_files: bool | None = None,
        limit: int | None = None,
        display_progress: bool = True,
        errors_as_string: bool = True,
    ) -> list[tuple[uuid_module.UUID, Any, Any]] | None:
        """Remove the tracking rows no row refers to, and (``delete_external_files=True``)
        their objects: each row and its object together (the row stays if its object cannot
        be removed). Returns the objects that could not be removed, as ``(uuid, path,
        error)``, with ``delete_external_files=True``.

        Raises:
            DataJointError: ``delete_external_files`` is not given as True or False.
        """
        if delete_external_files not in (True, False):
            raise DataJointError(
                "The delete_external_files argument must be set to either True or False in "
                "delete()."
            )
        unused = self.unused()
        rows = unused.to_dicts(limit=limit) if limit is not None else unused.to_dicts()
        errors: list[tuple[uuid_module.UUID, Any, Any]] = []
        for row in rows:
            error = self._remove(row, delete_external_files)
            if error is not None:
                path = self._make_external_filepath(self._object_path(row))
                errors.append((row["hash"], path, str(error) if errors_as_string else error))
        return errors if delete_external_files else None

    def _remove(self, row: Mapping[str, Any], with_object: bool) -> Exception | None:
        """Delete one tracking row (and its object, in the same transaction); the error that
        kept the object, if any."""
        tracking = self.table
        try:
            with self._connection.write() as conn:
                deleted = conn.execute(sa.delete(tracking).where(tracking.c.hash == row["hash"]))
                if deleted.rowcount and with_object:
                    legacy_backend(self.store).remove(self._object_path(row))
        except sa.exc.IntegrityError:
            return None  # referenced meanwhile: it stays
        except Exception as err:  # the object could not be removed: the row was rolled back
            return err
        return None

    # -- helpers -------------------------------------------------------------------------------

    def _uuid_path(self, digest: uuid_module.UUID, suffix: str = "") -> str:
        return legacy_path(digest, self.database, legacy_subfolding(self.store), suffix)

    def _object_path(self, row: Mapping[str, Any]) -> str:
        return legacy_object_path(self.database, self.store, row)

    def _track(self, row: dict[str, Any]) -> None:
        names = ("hash", "size", "attachment_name", "filepath", "contents_hash")
        with self._connection.write() as conn:
            conn.execute(
                self._connection.backend.insert_skipping_duplicates(self.table),
                [{n: row.get(n) for n in names}],
            )


class ExternalMapping(Mapping[str, ExternalTable]):
    """The tracking tables of a schema by store (``schema.external``): indexing one creates
    it; iterating gives the stores whose tables the schema has."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema

    def __repr__(self) -> str:
        return f"External file tables for schema `{self.schema.database}`: {sorted(self)}"

    def __getitem__(self, store: str) -> ExternalTable:
        return ExternalTable(self.schema.connection, store, str(self.schema.database))

    def _stores(self) -> list[str]:
        return [
            str(table.info["dj_external_store"])
            for table in self.schema.tables.values()
            if "dj_external_store" in table.info
        ]

    def __len__(self) -> int:
        return len(self._stores())

    def __iter__(self) -> Iterator[str]:
        return iter(self._stores())


_table.external_tables_hook = ExternalMapping
