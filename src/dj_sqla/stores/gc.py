"""Garbage collection: objects in a store that no row refers to (DataJoint 2.3's ``dj.gc``).

Deleting rows through dj_sqla removes their objects already; objects can still be orphaned
(a process killed between writing an object and committing its row, rows deleted by other
software, a store shared with DataJoint). :class:`GarbageCollector` lists the stored objects of
some schemas in one store, compares them with what their rows refer to, and removes the
orphans unless asked for a dry run (the default)::

    stats = dj.gc.GarbageCollector(schema, store="raw").collect()            # a report
    stats = dj.gc.GarbageCollector(schema, store="raw").collect(dry_run=False)

Only the schemas' own sections of the store are walked (``{hash_prefix}/{schema}/`` and
``{schema_prefix}/{schema}/``); ``<filepath@>`` files and other schemas are never touched.

Example:
    >>> is_covered("_schema/lab/t/id=1/f_ab.zarr/0.0", {"_schema/lab/t/id=1/f_ab.zarr"})
    True
"""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa

from ..codecs import resolve_dtype, without_adapters
from ..config import config as global_config
from ..declare.build import parse_marker
from ..declare.describe import reflect
from ..errors import DataJointError
from ..execution.stored import store_columns
from .hashed import delete_path, get_store_backend
from .lifecycle import kind_of

logger = logging.getLogger(__name__)
_HASH_NAME = re.compile(r"[a-z2-7]{26}")


def is_covered(path: str, referenced: set[str]) -> bool:
    """Whether a stored file belongs to a referenced object (itself, inside a referenced
    folder, or the manifest of one)."""
    path = path.removesuffix(".manifest.json")
    while path:
        if path in referenced:
            return True
        path = path.rpartition("/")[0]
    return False


class GarbageCollector:
    """Orphaned objects of some schemas in one store.

    Args:
        *schemas: The schemas (``dj.Schema``) whose sections of the store are collected.
        store: The store's name (None: the default store).
        config: The settings that define the store (default ``dj.config``).
    """

    def __init__(self, *schemas: Any, store: str | None = None, config: Any = None) -> None:
        if not schemas:
            raise DataJointError(
                "At least one schema must be provided: GarbageCollector(schema, store=...)."
            )
        self.schemas = schemas
        self.store = store
        if config is None:
            config = getattr(schemas[0].connection, "_config", None) or global_config
        self.config = config
        self.backend = get_store_backend(store, config=config)  # an unknown store fails now
        spec = config.get_store_spec(store)
        self._hash_prefix = str(spec.get("hash_prefix") or "").strip("/")
        self._schema_prefix = str(spec.get("schema_prefix") or "").strip("/")
        self._name = spec.get("_name") or store
        self._scan_errors: list[str] = []

    def hash_references(self, verbose: bool = False) -> set[str]:
        """Paths of hash-addressed objects the schemas' rows refer to (in this store)."""
        return self._references("hash")

    def schema_references(self, verbose: bool = False) -> set[str]:
        """Paths of schema-addressed objects the schemas' rows refer to (in this store)."""
        return self._references("schema")

    def _references(self, kind: str) -> set[str]:
        found: set[str] = set()
        for schema in self.schemas:
            connection = schema.connection
            found |= self._unknown_tables_references(schema, kind)
            for table in schema.metadata.tables.values():
                for name, spec in store_columns(table).items():
                    if kind_of(spec) != kind:
                        continue
                    column = sa.type_coerce(table.c[name], table.c[name].type.storage)
                    found |= self._paths_in(connection, _outer_codec(spec), column)
        return found

    def _paths_in(self, connection: Any, codec: Any, column: Any) -> set[str]:
        """The paths in this collector's store that the stored values of ``column`` (a
        column of ``codec``) refer to."""
        query = sa.select(column).where(column.is_not(None))
        rows = connection.run_read(lambda conn: conn.execute(query).all())
        return {
            path
            for (value,) in rows
            for path, store in codec.referenced_paths(value)
            if self._ours(store)
        }

    def _unknown_tables_references(self, schema: Any, kind: str) -> set[str]:
        """The references in tables of the schema that this process has no class for (read
        from the type markers the database keeps): their objects are live too."""
        connection = schema.connection
        with connection.read() as conn:
            present = connection.backend.table_names(conn, schema.database)
        known = {t.name for t in schema.metadata.tables.values()}
        unknown = sorted(n for n in present - known if not n.startswith(("~", "#~")))
        found: set[str] = set()
        if not unknown:
            return found
        for name, reflected in reflect(schema, unknown).items():
            for column, comment in reflected.notes.column_comments.items():
                marker = parse_marker(comment)
                if marker is None or "@" not in marker[0] or not marker[0].startswith("<"):
                    continue
                try:
                    if kind_of(marker[0]) != kind:
                        continue
                except DataJointError:  # a codec this process does not know
                    continue
                table = sa.table(name, sa.column(column), schema=schema.database)
                found |= self._paths_in(connection, _outer_codec(marker[0]), table.c[column])
        return found

    def _ours(self, store: str | None) -> bool:
        """Whether a row's store (its name, or "" for the default) is this collector's."""
        if store == self.store:
            return True
        try:
            return bool(self.config.get_store_spec(store or None).get("_name") == self._name)
        except DataJointError:
            return False

    def _walk(self, label: str, section: str, keep: Any) -> dict[str, int]:
        root = self.backend._full_path("")
        stored: dict[str, int] = {}
        try:
            for folder, _dirs, files in self.backend.fs.walk(self.backend._full_path(section)):
                for name in files:
                    if not keep(name):
                        continue
                    full = f"{folder}/{name}"
                    stored[full[len(root) :].lstrip("/")] = int(self.backend.fs.size(full) or 0)
        except FileNotFoundError:
            pass  # nothing stored in that section yet
        except Exception as err:  # a partial listing must block removal: recorded, not raised
            self._scan_errors.append(f"{label}: {err}")
        return stored

    def list_hash_paths(self, schema_name: str) -> dict[str, int]:
        """The hash-addressed objects stored for a schema, with their sizes."""
        section = f"{self._hash_prefix}/{schema_name}" if self._hash_prefix else f"{schema_name}"
        return self._walk(
            f"list_hash_paths({schema_name})", section, lambda n: bool(_HASH_NAME.fullmatch(n))
        )

    def list_schema_paths(self, schema_name: str) -> dict[str, int]:
        """The files of schema-addressed objects stored for a schema, with their sizes."""
        prefix = self._schema_prefix
        section = f"{prefix}/{schema_name}" if prefix else f"{schema_name}"
        return self._walk(f"list_schema_paths({schema_name})", section, lambda n: True)

    def delete_schema_path(self, path: str) -> bool:
        """Remove one file of a schema-addressed object and the folders it leaves empty;
        whether it was there."""
        if not self.backend.exists(path):
            return False
        self.backend.remove(path)
        self.backend.prune(path)
        return True

    def collect(self, dry_run: bool = True, verbose: bool = False) -> dict[str, Any]:
        """List the orphans and, unless ``dry_run``, remove them; returns DataJoint's report
        (``orphaned_hash_paths``, ``orphaned_schema_paths``, ``deleted``, ``bytes_freed``, ...).

        Raises:
            DataJointError: A listing failed; nothing is removed then.
        """
        self._scan_errors = []
        hash_refs = self.hash_references()
        schema_refs = self.schema_references()
        hash_stored: dict[str, int] = {}
        schema_stored: dict[str, int] = {}
        for schema in self.schemas:
            hash_stored.update(self.list_hash_paths(schema.database))
            schema_stored.update(self.list_schema_paths(schema.database))
        orphan_hashes = sorted(set(hash_stored) - hash_refs)
        orphan_files = sorted(p for p in schema_stored if not is_covered(p, schema_refs))
        deleted_hashes = deleted_files = freed = errors = 0
        if not dry_run:
            if self._scan_errors:
                raise DataJointError(
                    "Refusing to delete: listing the store failed, and a partial listing "
                    f"could take live objects for orphans ({'; '.join(self._scan_errors)})."
                )
            for path in orphan_hashes:
                try:
                    if delete_path(path, self.store, config=self.config):
                        deleted_hashes += 1
                        freed += hash_stored.get(path, 0)
                except DataJointError as err:
                    errors += 1
                    logger.warning("could not remove %s: %s", path, err)
            for path in orphan_files:
                try:
                    if self.delete_schema_path(path):
                        deleted_files += 1
                        freed += schema_stored.get(path, 0)
                except DataJointError as err:
                    errors += 1
                    logger.warning("could not remove %s: %s", path, err)
        return {
            "hash_paths_referenced": len(hash_refs),
            "hash_paths_stored": len(hash_stored),
            "hash_paths_orphaned": len(orphan_hashes),
            "hash_paths_orphaned_bytes": sum(hash_stored[p] for p in orphan_hashes),
            "orphaned_hash_paths": orphan_hashes,
            "schema_paths_referenced": len(schema_refs),
            "schema_paths_stored": len(schema_stored),
            "schema_paths_orphaned": len(orphan_files),
            "schema_paths_orphaned_bytes": sum(schema_stored[p] for p in orphan_files),
            "orphaned_schema_paths": orphan_files,
            "hash_paths_deleted": deleted_hashes,
            "schema_paths_deleted": deleted_files,
            "deleted": deleted_hashes + deleted_files,
            "bytes_freed": freed,
            "errors": errors,
            "scan_errors": list(self._scan_errors),
            "dry_run": dry_run,
        }


def _outer_codec(spec: str) -> Any:
    return without_adapters(resolve_dtype(spec)[1])[0]


def collect(*schemas: Any, store: str | None = None, dry_run: bool = True) -> dict[str, Any]:
    """``GarbageCollector(*schemas, store=store).collect(dry_run=dry_run)``.

    Example:
        >>> callable(collect)
        True
    """
    return GarbageCollector(*schemas, store=store).collect(dry_run=dry_run)
