"""Storage adapters: plugins that add a protocol to object stores (DataJoint 2.3's interface).

A package registers a :class:`StorageAdapter` subclass under the entry-point group
``datajoint.storage`` (DataJoint's) or ``dj_sqla.storage``; it is loaded the first time a store
names its protocol. Protocols without an adapter go to ``fsspec.filesystem(protocol, ...)``.

Example:
    >>> class Memory(StorageAdapter):
    ...     protocol = "doc-memory"
    ...     def create_filesystem(self, spec):
    ...         import fsspec
    ...         return fsspec.filesystem("memory")
    >>> register_storage_adapter(Memory())
    >>> get_storage_adapter("doc-memory").protocol
    'doc-memory'
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from importlib import metadata
from typing import Any

import fsspec

from .. import _config_stores
from ..errors import ConfigError

logger = logging.getLogger(__name__)

#: Entry-point groups searched for storage adapters.
ENTRY_POINT_GROUPS = ("dj_sqla.storage", "datajoint.storage")


class StorageAdapter(ABC):
    """A storage protocol: how to make its fsspec filesystem and check its settings.

    Attributes:
        protocol: The name used as ``"protocol"`` in a store's settings.
        required_keys: Settings the protocol needs.
        allowed_keys: Settings it accepts besides the common ones (``location``, ...).
    """

    protocol: str
    required_keys: tuple[str, ...] = ()
    allowed_keys: tuple[str, ...] = ()

    @abstractmethod
    def create_filesystem(self, spec: dict[str, Any]) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem for a store with these settings."""

    def validate_spec(self, spec: dict[str, Any]) -> None:
        """Refuse settings the protocol cannot use.

        Raises:
            ConfigError: A required key is missing or a key is unknown.
        """
        missing = [k for k in self.required_keys if k not in spec]
        if missing:
            raise ConfigError(
                f"The {self.protocol} store's settings are missing {', '.join(missing)}; add them "
                'to its entry of dj.config["stores"].'
            )
        allowed = set(self.allowed_keys) | _config_stores.COMMON_KEYS | {"_name"}
        unknown = [k for k in spec if k not in allowed]
        if unknown:
            raise ConfigError(
                f"Invalid key(s) for a {self.protocol} store: {', '.join(unknown)}; remove them "
                'from its entry of dj.config["stores"].'
            )

    def full_path(self, spec: dict[str, Any], relpath: str) -> str:
        """The filesystem path of ``relpath`` inside the store."""
        location = str(spec.get("location", "")).rstrip("/")
        return f"{location}/{relpath}" if location else relpath

    def get_url(self, spec: dict[str, Any], path: str) -> str:
        """A URL naming the stored object, for display."""
        return f"{self.protocol}://{path}"


_adapters: dict[str, StorageAdapter] = {}
_discovered = False


def register_storage_adapter(adapter: StorageAdapter) -> None:
    """Add an adapter for its protocol (entry points do this by themselves)."""
    _adapters[adapter.protocol] = adapter


def get_storage_adapter(protocol: str) -> StorageAdapter | None:
    """The adapter registered for ``protocol``, or None.

    Example:
        >>> get_storage_adapter("no-such-protocol") is None
        True
    """
    global _discovered
    if not _discovered:
        _discovered = True
        for group in ENTRY_POINT_GROUPS:
            for ep in metadata.entry_points(group=group):
                if ep.name in _adapters:
                    continue
                try:
                    register_storage_adapter(ep.load()())
                except Exception as exc:  # a broken plugin must not break other stores
                    logger.warning("storage adapter %s cannot be loaded: %s", ep.value, exc)
    return _adapters.get(protocol)


def _check_with_adapter(name: str, spec: dict[str, Any]) -> bool:
    adapter = get_storage_adapter(spec["protocol"])
    if adapter is None:
        return False
    adapter.validate_spec({k: v for k, v in spec.items() if k != "_name"})
    return True


_config_stores.adapter_check = _check_with_adapter
