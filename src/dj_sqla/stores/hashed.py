"""Stores by name, and hash-addressed contents (DataJoint 2.3's ``hash_registry``).

Contents kept through ``<hash@>`` (and so ``<blob@>`` and ``<attach@>``) are stored once per
schema under their hash, however many rows refer to them. :func:`put_hash` writes them unless
they are there already; :func:`get_hash` reads them back and checks the hash.

Example:
    >>> import tempfile
    >>> cfg = {"stores": {"t": {"protocol": "file", "location": tempfile.mkdtemp()}}}
    >>> from dj_sqla.config import Config
    >>> config = Config(); config["stores"] = cfg["stores"]
    >>> meta = put_hash(b"spikes", "lab", "t", config=config)
    >>> meta["path"] == f"_hash/lab/{meta['hash']}", get_hash(meta, config=config)
    (True, b'spikes')
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..codecs import MissingStoredObject, StoredObjectError
from ..codecs.journal import note_reused
from ..config import Config
from ..config import config as global_config
from ..errors import MissingExternalFile
from .backend import StorageBackend
from .paths import build_hash_path, compute_hash, subfold

#: DataJoint 2.3's private name, for code (and tests) that reach for it.
_subfold = subfold
__all__ = [
    "build_hash_path",
    "compute_hash",
    "delete_path",
    "get_hash",
    "get_store_backend",
    "get_store_subfolding",
    "put_hash",
    "shared_object_name",
]

logger = logging.getLogger(__name__)

_backends: dict[str, StorageBackend] = {}


def get_store_backend(
    store_name: str | None = None, config: Any = None, *, legacy: bool = False
) -> StorageBackend:
    """The :class:`StorageBackend` of a store by name (None or ``""``: the default store);
    one per distinct setting, so its filesystem (and connections) are reused. ``legacy``: the
    store as DataJoint 0.14's types use it (its defaults, see ``config.get_store_spec``).

    Raises:
        ConfigError: The store is not configured or its settings are unusable.
    """
    spec = (config or global_config).get_store_spec(store_name or None, legacy=legacy)
    key = json.dumps(spec, sort_keys=True, default=str)
    backend = _backends.get(key)
    if backend is None:
        backend = _backends[key] = StorageBackend(spec)
    return backend


def get_store_subfolding(
    store_name: str | None = None, config: Any = None
) -> tuple[int, ...] | None:
    """The store's ``subfolding`` (None: flat)."""
    folds = (config or global_config).get_store_spec(store_name or None).get("subfolding")
    return tuple(folds) if folds else None


def put_hash(
    data: bytes, schema_name: str, store_name: str | None = None, config: Config | None = None
) -> dict[str, Any]:
    """Store ``data`` under its hash (unless it is there) and return the row's metadata
    ``{hash, path, schema, store, size}``."""
    content_hash = compute_hash(data)
    spec = (config or global_config).get_store_spec(store_name or None)
    path = build_hash_path(
        content_hash, schema_name, spec.get("subfolding"), hash_prefix=spec["hash_prefix"]
    )
    backend = get_store_backend(store_name, config)
    if backend.exists(path):

        def still_there() -> None:  # checked once the row is written, before it commits
            if not backend.exists(path):
                backend.put_buffer(data, path)

        note_reused(shared_object_name(backend.name, path), still_there)
    else:
        # Not undone when the insert fails: another insert may have found it meanwhile;
        # garbage collection removes it if nothing refers to it.
        backend.put_buffer(data, path)
    return {
        "hash": content_hash,
        "path": path,
        "schema": schema_name,
        "store": store_name,
        "size": len(data),
    }


def shared_object_name(store: str, path: str) -> str:
    """The name a shared object is locked by while rows referring to it change."""
    return f"dj_sqla:{store}:{path}"


def get_hash(metadata: dict[str, Any], config: Config | None = None) -> bytes:
    """The contents a row's metadata refers to, checked against their hash.

    Raises:
        MissingStoredObject: The object is not in its store.
        StoredObjectError: Its contents no longer match the hash.
    """
    backend = get_store_backend(metadata.get("store"), config)
    path = metadata["path"]
    try:
        data = backend.get_buffer(path)
    except MissingExternalFile:
        raise MissingStoredObject(
            f"The stored object is missing: {backend.describe(path)}",
            hint="Restore it in the store, or delete and insert the row again.",
        ) from None
    actual = compute_hash(data)
    if actual != metadata["hash"]:
        raise StoredObjectError(
            f"Hash mismatch: the stored object {backend.describe(path)} does not match its "
            f"checksum (expected {metadata['hash']}, found {actual})",
            hint="It was changed or damaged in the store; restore it.",
        )
    return data


def delete_path(path: str, store_name: str | None = None, config: Config | None = None) -> bool:
    """Remove the object at ``path``; whether it was there. Only for objects no row refers to
    (garbage collection checks that first)."""
    backend = get_store_backend(store_name, config)
    if not backend.exists(path):
        return False
    backend.remove(path)
    return True
