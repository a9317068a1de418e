"""Object-store settings: one entry of ``dj.config["stores"]`` checked and completed.

``dj.config["stores"]`` maps store names to their settings, in DataJoint 2's format and in the
format a DataJoint 0.14 settings file holds (the same keys; 0.14 had no ``default``)::

    dj.config["stores"] = {
        "default": "raw",                          # DataJoint 2: the store of <blob@> ...
        "raw": {"protocol": "s3", "endpoint": "127.0.0.1:9000", "bucket": "lab",
                "location": "ephys", "access_key": "...", "secret_key": "..."},
        "local": {"protocol": "file", "location": "/data/dj-store"},
    }

``file`` and ``s3`` (through s3fs) are checked key by key, as DataJoint checks them; any other
fsspec protocol (``memory``, ``gcs``, ``abfs``, ``sftp``, ...) takes its extra keys as the
filesystem's options, or goes through a registered storage adapter.

Example:
    >>> spec = store_spec({"local": {"protocol": "file", "location": "/tmp"}}, "local")
    >>> spec["hash_prefix"], spec["schema_prefix"], spec["subfolding"]
    ('_hash', '_schema', None)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PureWindowsPath
from typing import Any

from .errors import ConfigError

#: Keys every store may have, whatever its protocol (DataJoint 2's layout keys and 0.14's
#: ``stage``).
COMMON_KEYS = frozenset(
    {
        "protocol",
        "location",
        "subfolding",
        "partition_pattern",
        "token_length",
        "hash_prefix",
        "schema_prefix",
        "filepath_prefix",
        "stage",
    }
)

#: The keys each built-in protocol needs, and those it accepts besides :data:`COMMON_KEYS`.
_REQUIRED = {
    "file": ("location",),
    "s3": ("endpoint", "bucket"),
    "gcs": ("bucket",),
    "azure": ("container",),
}
_ALLOWED = {
    "file": frozenset(),
    "s3": frozenset({"endpoint", "bucket", "access_key", "secret_key", "secure", "proxy_server"}),
    "gcs": frozenset({"bucket", "token", "project"}),
    "azure": frozenset({"container", "account_name", "account_key", "connection_string"}),
}

#: ``stores`` entries that name another store rather than describe one.
DEFAULT_KEYS = ("default", "filepath_default")

#: Checks a registered storage adapter makes of a spec (set by the object-store layer).
adapter_check: Callable[[str, dict[str, Any]], bool] | None = None


def store_spec(
    stores: Mapping[str, Any],
    store: str | None,
    *,
    use_filepath_default: bool = False,
    legacy: bool = False,
) -> dict[str, Any]:
    """The settings of ``store``, checked, with DataJoint's defaults filled in.

    Args:
        stores: ``dj.config["stores"]``.
        store: The store's name; ``None`` or ``""`` for the default store
            (``stores["default"]``, or ``stores["filepath_default"]`` with
            ``use_filepath_default``).
        legacy: The defaults of DataJoint 0.14, for its types (``blob@store``...): an s3
            store without ``secure`` speaks plain http, as 0.14's did (DataJoint 2: https).

    Raises:
        ConfigError: The store is not configured, or its settings are incomplete or unknown;
            the message names the store and the config key.

    Example:
        >>> store_spec({}, "raw")
        Traceback (most recent call last):
        ...
        dj_sqla.errors.ConfigError: Store "raw" is not configured: set dj.config["stores"]["raw"] \
to its settings, e.g. {"protocol": "file", "location": "/data/store"}.
    """
    name = store_name(stores, store, use_filepath_default=use_filepath_default)
    raw = stores.get(name)
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f'Store "{name}" is not configured: set dj.config["stores"]["{name}"] to its '
            'settings, e.g. {"protocol": "file", "location": "/data/store"}.'
        )
    spec = {str(k).lower(): v for k, v in raw.items()}
    where = f'dj.config["stores"]["{name}"]'
    protocol = str(spec.get("protocol", "")).lower()
    if not protocol:
        raise ConfigError(
            f'{where} has no "protocol"; set it to "file", "s3" or another fsspec one.'
        )
    spec["protocol"] = protocol
    spec.setdefault("subfolding", None)
    spec.setdefault("partition_pattern", None)
    spec.setdefault("token_length", 8)
    spec.setdefault("hash_prefix", "_hash")
    spec.setdefault("schema_prefix", "_schema")
    spec.setdefault("filepath_prefix", None)
    spec.setdefault("location", "")
    if protocol in _REQUIRED:
        missing = [k for k in _REQUIRED[protocol] if not spec.get(k)]
        if protocol == "file" and "location" in missing:
            raise ConfigError(
                f'{where} is missing "location": set it to the folder that holds the store.'
            )
        if missing:
            raise ConfigError(f"{where} is missing {', '.join(map(repr, missing))}.")
        unknown = sorted(set(spec) - COMMON_KEYS - _ALLOWED[protocol])
        if unknown:
            allowed = ", ".join(sorted(COMMON_KEYS | _ALLOWED[protocol]))
            raise ConfigError(
                f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; "
                f"a {protocol} store takes {allowed}."
            )
        if protocol == "s3":
            spec.setdefault("secure", not legacy)
            if legacy:
                spec["location"] = _object_key_prefix(str(spec["location"]))
            if bool(spec.get("access_key")) != bool(spec.get("secret_key")):
                raise ConfigError(
                    f"{where} has only one of access_key and secret_key; give both, or neither "
                    "to use the credentials of the environment."
                )
    elif adapter_check is not None:
        adapter_check(name, spec)
    _check_sections(where, spec)
    spec["_name"] = name
    return spec


def store_name(
    stores: Mapping[str, Any], store: str | None, *, use_filepath_default: bool = False
) -> str:
    """The name of the store ``store`` means: itself, or the configured default for None/"".

    Example:
        >>> store_name({"default": "main", "main": {}}, "")
        'main'
    """
    if store:
        return store
    key = "filepath_default" if use_filepath_default else "default"
    name = stores.get(key)
    if not isinstance(name, str) or not name:
        raise ConfigError(
            f'No default store: stores.{key} is not configured; set dj.config["stores"]["{key}"] '
            "to the name of a configured store, or name the store in the type (e.g. <blob@raw>)."
        )
    return name


def _object_key_prefix(location: str) -> str:
    """A location as DataJoint 0.14 turns it into an object-key prefix: Windows separators
    become ``/`` and a drive or root is dropped (``f:/data`` → ``data``).

    Example:
        >>> _object_key_prefix("f:/leading/slash/test"), _object_key_prefix("/a/b")
        ('leading/slash/test', 'a/b')
    """
    parts = PureWindowsPath(location).parts
    if parts and ("\\" in parts[0] or ":" in parts[0]):
        parts = parts[1:]
    return "/".join(parts)


def _check_sections(where: str, spec: dict[str, Any]) -> None:
    """The hash, schema and filepath sections of a store must not contain one another."""
    sections = [
        (key, str(spec[key]).strip("/") + "/")
        for key in ("hash_prefix", "schema_prefix", "filepath_prefix")
        if spec.get(key)
    ]
    for i, (first, one) in enumerate(sections):
        for second, other in sections[i + 1 :]:
            if one.startswith(other) or other.startswith(one):
                raise ConfigError(
                    f"{where}: {first} and {second} overlap; the sections of a store are "
                    "mutually exclusive: make them separate folders."
                )
