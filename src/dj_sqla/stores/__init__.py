"""Object stores: large values kept in S3 or a file system, referenced from table rows.

Stores are configured in ``dj.config["stores"]`` (DataJoint 2's format, or a DataJoint 0.14
settings file's); any fsspec protocol works, ``file`` and ``s3`` (s3fs, the ``dj_sqla[s3]``
extra) are tested. Importing this package registers the store codecs ``<hash@>``,
``<object@>``, ``<npy@>`` and ``<filepath@>`` (``<blob@>`` and ``<attach@>`` store through
``<hash@>``), the removal of deleted rows' objects, ``Table.staged_insert1`` and DataJoint's
garbage collection (``dj.gc``), and DataJoint 0.14's tracking tables as objects
(``schema.external``). Paths and the metadata kept in rows are DataJoint 2.3's.

Example:
    >>> import dj_sqla as dj
    >>> sorted({"hash", "npy", "object", "filepath"} & set(dj.list_codecs()))
    ['filepath', 'hash', 'npy', 'object']
"""

from __future__ import annotations

from . import gc
from .adapter import StorageAdapter, get_storage_adapter, register_storage_adapter
from .backend import StorageBackend, get_storage_backend
from .codecs import FilepathCodec, HashCodec, NpyCodec, ObjectCodec, SchemaCodec
from .external import ExternalMapping, ExternalTable
from .hashed import delete_path, get_hash, get_store_backend, put_hash
from .legacy import ExternalAttachCodec, ExternalBlobCodec, ExternalFilepathCodec
from .lifecycle import release_objects, remove_if_unreferenced
from .paths import build_hash_path, build_object_path, compute_hash, encode_pk_value, generate_token
from .refs import IntegrityError, NpyRef, ObjectRef
from .staged import StagedInsert, staged_insert1

__all__ = [
    "ExternalAttachCodec",
    "ExternalBlobCodec",
    "ExternalFilepathCodec",
    "ExternalMapping",
    "ExternalTable",
    "FilepathCodec",
    "HashCodec",
    "IntegrityError",
    "NpyCodec",
    "NpyRef",
    "ObjectCodec",
    "ObjectRef",
    "SchemaCodec",
    "StagedInsert",
    "StorageAdapter",
    "StorageBackend",
    "build_hash_path",
    "build_object_path",
    "compute_hash",
    "delete_path",
    "encode_pk_value",
    "gc",
    "generate_token",
    "get_hash",
    "get_storage_adapter",
    "get_storage_backend",
    "get_store_backend",
    "put_hash",
    "register_storage_adapter",
    "release_objects",
    "remove_if_unreferenced",
    "staged_insert1",
]
