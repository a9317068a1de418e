"""``dj.config``: settings with dotted keys, environment variables and defaults.

A value is looked up in this order: a value set at run time (``dj.config['safemode'] = False``),
then the environment variable named for the key, then the default. Nothing is read from files.

Keys and their environment variables:

=========================  ============================  ==========================================
key                        environment                   meaning
=========================  ============================  ==========================================
``database.url``           ``DJ_SQLA_URL``               a SQLAlchemy URL; wins over the keys below
``database.backend``       ``DJ_BACKEND``                ``sqlite``, ``mysql`` or ``postgresql``
``database.host``          ``DJ_HOST``                   server host (``host:port`` accepted)
``database.port``          ``DJ_PORT``                   server port
``database.user``          ``DJ_USER``                   user name
``database.password``      ``DJ_PASS``                   password
``database.name``          ``DJ_DATABASE_NAME``          PostgreSQL database (default ``postgres``)
``database.sqlite_dir``    ``DJ_SQLITE_DIR``             folder of the embedded SQLite store
``safemode``               ``DJ_SAFEMODE``               ask before dropping or deleting
``jobs.keep_completed``    ``DJ_JOBS_KEEP_COMPLETED``    keep finished jobs as ``success`` rows
``jobs.orphan_timeout``    ``DJ_JOBS_ORPHAN_TIMEOUT``    seconds before a stalled job is retried
``jobs.default_priority``  ``DJ_JOBS_DEFAULT_PRIORITY``  priority of new jobs (lower runs first)
=========================  ============================  ==========================================

Example:
    >>> from dj_sqla.config import Config
    >>> cfg = Config()
    >>> with cfg.override(safemode=False):
    ...     cfg["safemode"]
    False
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from .errors import ConfigError

#: Folder of the embedded SQLite store when nothing else is configured, relative to the
#: working directory at the time of the first connection.
DEFAULT_SQLITE_DIR = "dj_sqla_data"

_DEFAULTS: dict[str, Any] = {
    "database.url": None,
    "database.backend": None,
    "database.host": None,
    "database.port": None,
    "database.user": None,
    "database.password": None,
    "database.name": None,
    "database.sqlite_dir": DEFAULT_SQLITE_DIR,
    "safemode": True,
    "jobs.keep_completed": False,
    "jobs.orphan_timeout": 3600,
    "jobs.default_priority": 5,
}

_ENV: dict[str, str] = {
    "database.url": "DJ_SQLA_URL",
    "database.backend": "DJ_BACKEND",
    "database.host": "DJ_HOST",
    "database.port": "DJ_PORT",
    "database.user": "DJ_USER",
    "database.password": "DJ_PASS",
    "database.name": "DJ_DATABASE_NAME",
    "database.sqlite_dir": "DJ_SQLITE_DIR",
    "safemode": "DJ_SAFEMODE",
    "jobs.keep_completed": "DJ_JOBS_KEEP_COMPLETED",
    "jobs.orphan_timeout": "DJ_JOBS_ORPHAN_TIMEOUT",
    "jobs.default_priority": "DJ_JOBS_DEFAULT_PRIORITY",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_env(key: str, raw: str) -> Any:
    """Convert an environment string to the type of the key's default."""
    if isinstance(_DEFAULTS[key], bool):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(
            f"Environment variable {_ENV[key]}={raw!r} is not a boolean; use true or false."
        )
    if isinstance(_DEFAULTS[key], int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(
                f"Environment variable {_ENV[key]}={raw!r} is not a whole number."
            ) from None
    return raw


class Config(MutableMapping[str, Any]):
    """Dict-like settings with dotted keys (``dj.config``).

    Only the keys listed in the module documentation exist; an unknown key is an error, so a
    typo does not silently do nothing.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def _check(self, key: str) -> None:
        if key not in _DEFAULTS:
            known = ", ".join(sorted(_DEFAULTS))
            raise ConfigError(f"Unknown setting {key!r}; the settings are: {known}.")

    def __getitem__(self, key: str) -> Any:
        self._check(key)
        if key in self._values:
            return self._values[key]
        raw = os.environ.get(_ENV[key])
        if raw is not None and raw != "":
            return _parse_env(key, raw)
        return _DEFAULTS[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._check(key)
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        self._check(key)
        self._values.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(_DEFAULTS)

    def __len__(self) -> int:
        return len(_DEFAULTS)

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "database.password" and v else v) for k, v in self.items()}
        return f"Config({shown})"

    @contextmanager
    def override(self, **values: Any) -> Iterator[Config]:
        """Set values for the duration of a ``with`` block; dots in keys are written ``__``.

        Example:
            >>> import dj_sqla as dj
            >>> with dj.config.override(database__sqlite_dir="/tmp/lab"):
            ...     dj.config["database.sqlite_dir"]
            '/tmp/lab'
        """
        keys = {name.replace("__", "."): value for name, value in values.items()}
        for key in keys:
            self._check(key)
        saved = {key: self._values[key] for key in keys if key in self._values}
        self._values.update(keys)
        try:
            yield self
        finally:
            for key in keys:
                self._values.pop(key, None)
            self._values.update(saved)


#: The process-wide settings object, exported as ``dj.config``.
config = Config()
