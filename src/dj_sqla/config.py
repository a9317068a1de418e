"""``dj.config``: settings with dotted keys or attributes, from files, environment and defaults.

A value is looked up in this order, first found wins (DataJoint 2.x's order; 0.14's gives the
same result):

1. a value set at run time: ``dj.config["safemode"] = False`` or ``dj.config.safemode = False``
   (a later :meth:`Config.load` of a file replaces it, as in DataJoint);
2. the environment variable named for the key (table below);
3. the settings files, read once when the package is imported (:meth:`Config.load_default_files`)
   or later with :meth:`Config.load`: ``dj_local_conf.json`` in the working folder, else
   ``~/.datajoint_config.json`` (DataJoint 0.14), under ``datajoint.json`` (DataJoint 2.x,
   searched from the working folder upward to the first folder holding ``.git`` or ``.hg``);
   where both kinds exist, ``dj_local_conf.json`` wins over ``datajoint.json`` and that over
   the home-folder file;
4. the secrets folder: ``.secrets/`` beside ``datajoint.json``, else ``/run/secrets/datajoint/``,
   one file per value (``database.user``, ``database.password``, ``stores.<store>.<attr>``);
5. the default.

``DJ_IGNORE_CONFIG_FILE=true`` skips steps 3 and 4 at import. Keys are read as
``dj.config["display.limit"]`` or ``dj.config.display.limit``; files may nest them
(``{"display": {"limit": 5}}``) or spell them dotted (``{"display.limit": 5}``).
Credentials read as attributes (``dj.config.database.password``) come back masked, as a
:class:`~dj_sqla._config_keys.Secret` (DataJoint 2's ``SecretStr``); read by key they are plain
strings. A value a key cannot hold is refused with
:class:`~dj_sqla.errors.InvalidSettingError`, also a ``ValueError``.

Keys, their environment variables and defaults. *honoured* keys change what dj_sqla does;
the others are DataJoint settings that dj_sqla stores so that code reading them runs.
A settings file that gives one of those a value other than DataJoint's default, or a key no
DataJoint version knows, gets one :class:`ConfigWarning` per key; the value is kept anyway.

===============================================  ===========================  ========  ========
key                                              environment                  default   honoured
===============================================  ===========================  ========  ========
``database.url`` (a SQLAlchemy URL, wins)        ``DJ_SQLA_URL``              None      yes
``database.backend`` (sqlite/mysql/postgresql)   ``DJ_BACKEND``               None      yes
``database.host`` (``host:port`` accepted)       ``DJ_HOST``                  None      yes
``database.port``                                ``DJ_PORT``                  None      yes
``database.user``                                ``DJ_USER``                  None      yes
``database.password``                            ``DJ_PASS``                  None      yes
``database.name`` (PostgreSQL database)          ``DJ_DATABASE_NAME``         None      yes
``database.sqlite_dir`` (embedded store folder)  ``DJ_SQLITE_DIR``            see [1]   yes
``database.reconnect``                           --                           True      no [2]
``database.use_tls`` [3]                         ``DJ_USE_TLS``               None      yes
``database.database_prefix``                     ``DJ_DATABASE_PREFIX``       ""        no
``database.create_tables``                       ``DJ_CREATE_TABLES``         True      no
``connection.init_function``                     --                           None      no
``connection.charset``                           --                           ""        no
``display.limit``                                --                           12        no
``display.width``                                --                           14        no
``display.show_tuple_count``                     --                           True      no
``display.diagram_direction``                    ``DJ_DIAGRAM_DIRECTION``     "LR"      no
``display.diagram_theme``                        ``DJ_DIAGRAM_THEME``         "auto"    no
``loglevel`` (level of ``dj.logger``)            ``DJ_LOG_LEVEL``             "INFO"    yes
``safemode`` (ask before drop and delete)        ``DJ_SAFEMODE``              True      yes
``fetch_format`` [4]                             --                           "array"   yes
``enable_python_native_blobs``                   --                           True      no
``add_hidden_timestamp``                         --                           False     no
``filepath_checksum_size_limit``                 --                           None      no
``download_path``                                ``DJ_DOWNLOAD_PATH``         "."       no
``query_cache``                                  ``DJ_QUERY_CACHE``           None      no
``cache``                                        --                           None      no
``stores`` (object stores, a dict)               ``DJ_STORES`` (JSON)         {}        yes
``custom`` (the user's own settings, a dict)     --                           {}        yes
``ignore_config_file``                           ``DJ_IGNORE_CONFIG_FILE``    False     yes
``external.aws_access_key_id``                   ``DJ_AWS_ACCESS_KEY_ID``     None      no
``external.aws_secret_access_key``               ``DJ_AWS_SECRET_ACCESS_KEY`` None      no
``jobs.auto_refresh``                            ``DJ_JOBS_AUTO_REFRESH``     True      no
``jobs.keep_completed`` (keep finished jobs)     ``DJ_JOBS_KEEP_COMPLETED``   False     yes
``jobs.stale_timeout``                           ``DJ_JOBS_STALE_TIMEOUT``    3600      no
``jobs.orphan_timeout`` (s before a retry)       ``DJ_JOBS_ORPHAN_TIMEOUT``   3600      yes
``jobs.default_priority`` (lower runs first)     ``DJ_JOBS_DEFAULT_PRIORITY`` 5         yes
``jobs.version_method``                          ``DJ_JOBS_VERSION_METHOD``   None      no
``jobs.allow_new_pk_fields_in_computed_tables``  ``DJ_JOBS_ALLOW_NEW_PK_...`` False     no
``jobs.add_job_metadata``                        ``DJ_JOBS_ADD_JOB_METADATA`` False     no
``provenance.capture``                           ``DJ_PROVENANCE_CAPTURE``    False     no
``provenance.source`` (a dict)                   ``DJ_PROVENANCE_SOURCE``     {}        no
===============================================  ===========================  ========  ========

[1] ``dj_sqla_data``, relative to the working folder of the first connection.
[2] dj_sqla always detects dropped connections and retries reads once.
[3] True, False, None or a dict of certificate files (``{"ca": "ca.pem"}``): see ``use_tls`` of
    :class:`dj_sqla.Connection`.
[4] ``"frame"``: ``fetch()`` without attribute names gives a pandas DataFrame (0.14).
The allow-new-pk variable is ``DJ_JOBS_ALLOW_NEW_PK_FIELDS_IN_COMPUTED_TABLES``.

Example:
    >>> from dj_sqla.config import Config
    >>> cfg = Config()
    >>> with cfg.override(safemode=False):
    ...     cfg["safemode"], cfg.safemode
    (False, False)
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import warnings
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from . import _log
from ._config_files import find_config_file as find_config_file  # DataJoint 2's names
from ._config_files import find_project_config, write_settings, write_template
from ._config_files import find_secrets_dir as find_secrets_dir
from ._config_files import read_secret_file as read_secret_file
from ._config_keys import (
    _GROUPS,
    _SPECS,
    _STORE_SECRETS,
    GLOBAL_CONFIG,
    LOCAL_CONFIG,
    PROJECT_CONFIG,
    SECRET_KEYS,
    SECRETS_DIRNAME,
    SETTINGS,
    SYSTEM_SECRETS_DIR,
    ConfigWarning,
    Secret,
    _check_value,
    _parse_env,
    url_without_password,
)
from ._config_stores import store_spec
from .errors import (
    ConfigError,
    ConfigFileError,
    ConfigFileExistsError,
    ConfigFileMissingError,
    UnknownSettingError,
)

#: DataJoint's names of the settings files: 2.x's project file, and 0.14's files in the working
#: folder and the home folder. ``save_local()``, ``save_global()`` and ``load()`` read the last
#: two when called, so code that points them elsewhere (as 0.14's tests do) is followed.
CONFIG_FILENAME = PROJECT_CONFIG
LOCALCONFIG = LOCAL_CONFIG
GLOBALCONFIG = GLOBAL_CONFIG


class Group:
    """A view of the keys under one prefix: ``dj.config.database.host``.

    Example:
        >>> from dj_sqla.config import Config
        >>> cfg = Config()
        >>> cfg.display.limit = 5
        >>> cfg["display.limit"], sorted(cfg.display)[:2]
        (5, ['diagram_direction', 'diagram_theme'])
    """

    def __init__(self, config: Config, prefix: str) -> None:
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        key = f"{self._prefix}.{name}"
        value = self._config._node(key)
        return Secret(value) if key in SECRET_KEYS and isinstance(value, str) else value

    def __setattr__(self, name: str, value: Any) -> None:
        self._config[f"{self._prefix}.{name}"] = value

    def __getitem__(self, name: str) -> Any:
        return self._config[f"{self._prefix}.{name}"]

    def __setitem__(self, name: str, value: Any) -> None:
        self._config[f"{self._prefix}.{name}"] = value

    def __iter__(self) -> Iterator[str]:
        start = f"{self._prefix}."
        return iter([key[len(start) :] for key in self._config if key.startswith(start)])

    def __dir__(self) -> list[str]:
        return sorted({name.split(".")[0] for name in self})

    def __repr__(self) -> str:
        return f"<dj.config.{self._prefix}: {', '.join(sorted(self))}>"


def _shown(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as ``repr`` shows them: passwords and store credentials as ``***``."""
    shown = dict(settings)
    if shown.get("database.password"):
        shown["database.password"] = "***"
    if isinstance(shown.get("database.url"), str):
        shown["database.url"] = url_without_password(shown["database.url"])
    stores = shown.get("stores")
    if isinstance(stores, dict):
        shown["stores"] = {
            name: (
                {a: "***" if a in _STORE_SECRETS and v else v for a, v in spec.items()}
                if isinstance(spec, dict)
                else spec
            )
            for name, spec in stores.items()
        }
    return shown


def _without_credentials(stores: dict[str, Any]) -> dict[str, Any]:
    """Store settings without their access keys and tokens, to write to a file."""
    return {
        name: (
            {a: v for a, v in spec.items() if a not in _STORE_SECRETS}
            if isinstance(spec, dict)
            else spec
        )
        for name, spec in stores.items()
    }


class Config(MutableMapping[str, Any]):
    """DataJoint's settings object (``dj.config``): dict-like with dotted keys, and attributes.

    The known keys are in the module documentation. Reading a key that is neither known nor
    set raises :class:`~dj_sqla.errors.UnknownSettingError` (a ``KeyError`` and an
    ``AttributeError``). Setting an unknown key keeps it, with one :class:`ConfigWarning`
    (DataJoint 0.14 accepted any key and pipelines keep their own there), unless its name is
    a near miss of a known key (``database.hots``): that is refused as the typo it is.

    Example:
        >>> cfg = Config()
        >>> cfg.database.sqlite_dir == cfg["database.sqlite_dir"] == "dj_sqla_data"
        True
        >>> cfg.get("no.such.key", "fallback")
        'fallback'
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}  # set at run time
        self._files: dict[str, Any] = {}  # read from settings files
        self._secrets: dict[str, Any] = {}  # read from the secrets folder
        self._defaults: dict[str, Any] = {s.key: copy.deepcopy(s.default) for s in SETTINGS}
        self._env_cache: dict[tuple[str, str], Any] = {}
        self._warned: set[str] = set()
        self._store_secrets: dict[str, dict[str, str]] = {}
        #: The settings files read so far, in the order they were read.
        self.sources: list[Path] = []

    # -- lookup ------------------------------------------------------------------------------

    def _unknown(self, key: str) -> UnknownSettingError:
        near = difflib.get_close_matches(key, list(_SPECS), n=1, cutoff=0.8)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        group = key.split(".")[0]
        if group in _GROUPS:  # the keys of the group the name points into
            known = ", ".join(sorted(k for k in _SPECS if k.startswith(f"{group}.")))
        else:
            tops = {k if "." not in k else f"{k.split('.')[0]}.*" for k in _SPECS}
            known = ", ".join(sorted(tops))
        return UnknownSettingError(
            f"Unknown setting {key!r}.{hint} Keep settings of your own under 'custom' "
            f"(dj.config['custom']['{key}'] = ...). The settings are: {known}."
        )

    def _from_env(self, key: str) -> tuple[bool, Any]:
        spec = _SPECS.get(key)
        if spec is None or spec.env is None:
            return False, None
        raw = os.environ.get(spec.env)
        if raw is None or raw == "":
            return False, None
        if (key, raw) not in self._env_cache:  # so a dict read from DJ_STORES can be edited
            self._env_cache[(key, raw)] = _parse_env(spec, raw)
        return True, self._env_cache[(key, raw)]

    def _lookup(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        found, value = self._from_env(key)
        if found:
            return value
        for layer in (self._files, self._secrets, self._defaults):
            if key in layer:
                return layer[key]
        raise self._unknown(key)

    def __getitem__(self, key: str) -> Any:
        value = self._lookup(key)
        if key == "stores" and self._store_secrets and isinstance(value, dict):
            for store, attrs in self._store_secrets.items():  # secrets fill what is unset
                spec = value.setdefault(store, {})
                if isinstance(spec, dict):
                    for attr, secret in attrs.items():
                        spec.setdefault(attr, secret)
        return value

    def _node(self, key: str) -> Any:
        """The value of ``key``, or a :class:`Group` view if ``key`` is a group prefix."""
        if key in _SPECS or key in self._values or key in self._files:
            return self[key]
        if any(name.startswith(f"{key}.") for name in self):
            return Group(self, key)
        raise self._unknown(key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._node(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name == "sources":
            object.__setattr__(self, name, value)
        elif name in _GROUPS:
            raise ConfigError(
                f"dj.config.{name} is a group of settings; set one of them, "
                f"e.g. dj.config.{name}.{sorted(Group(self, name))[0]} = ..."
            )
        else:
            self[name] = value

    # -- changing values ---------------------------------------------------------------------

    def _warn_once(self, key: str, message: str, stacklevel: int) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, ConfigWarning, stacklevel=stacklevel + 1)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in _SPECS and key not in self._values and key not in self._files:
            if difflib.get_close_matches(key, list(_SPECS), n=1, cutoff=0.85):
                raise self._unknown(key)
            self._warn_once(
                key,
                f"dj.config[{key!r}] is not a DataJoint setting; dj_sqla keeps it unused.",
                stacklevel=2,
            )
        value = _check_value(key, value)
        self._values[key] = value
        if key == "loglevel":
            _log.set_level(value)

    def __delitem__(self, key: str) -> None:
        """Forget the value set at run time; the key falls back to environment, files, default."""
        if key not in _SPECS and key not in self._values and key not in self._files:
            raise self._unknown(key)
        self._values.pop(key, None)
        if key not in _SPECS:
            self._files.pop(key, None)
        self._apply_loglevel()

    def __iter__(self) -> Iterator[str]:
        extra = [k for layer in (self._files, self._values) for k in layer if k not in _SPECS]
        return iter(list(_SPECS) + list(dict.fromkeys(extra)))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Config({_shown(dict(self.items()))})"

    def __str__(self) -> str:
        return "\n".join(f"{key}: {value!r}" for key, value in _shown(self._conf).items())

    @property
    def _conf(self) -> dict[str, Any]:
        """Every setting and its value, a plain dict (DataJoint 0.14's ``config._conf``)."""
        return dict(self.items())

    def _apply_loglevel(self) -> None:
        _log.set_level(self["loglevel"])

    def get_store_spec(
        self, store: str | None = None, *, use_filepath_default: bool = False, legacy: bool = False
    ) -> dict[str, Any]:
        """The checked settings of an object store (DataJoint 2's ``config.get_store_spec``;
        ``legacy``: with DataJoint 0.14's defaults, for its ``blob@store`` types).

        Raises:
            ConfigError: The store is not configured or its settings are unusable.

        Example:
            >>> cfg = Config()
            >>> cfg["stores"] = {"local": {"protocol": "file", "location": "/tmp"}}
            >>> cfg.get_store_spec("local")["protocol"]
            'file'
        """
        return store_spec(
            self["stores"], store, use_filepath_default=use_filepath_default, legacy=legacy
        )

    @contextmanager
    def override(self, **values: Any) -> Iterator[Config]:
        """Set values for the duration of a ``with`` block; dots in keys are written ``__``,
        or a group's keys given as a dict (``jobs={"keep_completed": True}``, DataJoint 2's
        spelling).

        Also callable as ``with dj.config(safemode=False):`` (DataJoint 0.14's spelling).

        Example:
            >>> import dj_sqla as dj
            >>> with dj.config.override(database__sqlite_dir="/tmp/lab"):
            ...     dj.config["database.sqlite_dir"]
            '/tmp/lab'
        """
        keys: dict[str, Any] = {}
        for name, value in values.items():
            if name in _GROUPS and isinstance(value, Mapping):
                keys.update({f"{name}.{key}": item for key, item in value.items()})
            else:
                keys[name.replace("__", ".")] = value
        saved = {key: self._values[key] for key in keys if key in self._values}
        try:
            for key, value in keys.items():
                self[key] = value
            yield self
        finally:
            for key in keys:
                self._values.pop(key, None)
            self._values.update(saved)
            self._apply_loglevel()

    def __call__(self, **values: Any) -> AbstractContextManager[Config]:
        """``with dj.config(safemode=False):``, DataJoint 0.14's spelling of :meth:`override`.

        Example:
            >>> with Config()(display__limit=3) as cfg:
            ...     cfg.display.limit
            3
        """
        return self.override(**values)

    # -- settings files ----------------------------------------------------------------------

    def load(self, filename: str | os.PathLike[str] | None = None) -> None:
        """Read settings from a JSON file (``dj_local_conf.json`` without a name).

        As in DataJoint, the file's values replace values set earlier at run time, but an
        environment variable still wins over the file (DataJoint 2.x). Keys may be dotted
        (DataJoint 0.14's files) or nested (``datajoint.json``); ``stores`` entries are merged
        store by store.

        Raises:
            ConfigFileMissingError: the file does not exist (also a ``FileNotFoundError``).
            ConfigFileError: the file is not a JSON object, or a value in it is unusable.

        Example:
            >>> import json, tempfile, pathlib
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "dj_local_conf.json"
            >>> _ = path.write_text(json.dumps({"display": {"limit": 12}, "safemode": False}))
            >>> cfg = Config()
            >>> cfg.load(path)
            >>> cfg.safemode
            False
        """
        self._load(Path(LOCALCONFIG if filename is None else filename), replace_runtime=True)

    def _load(self, path: Path, *, replace_runtime: bool) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigFileMissingError(
                f"Settings file {str(path)!r} does not exist; check the path, or create it "
                f"with dj.config.save({str(path)!r})."
            ) from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigFileError(f"Settings file {str(path)!r} cannot be read: {err}.") from err
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigFileError(
                f"Settings file {str(path)!r} is not valid JSON: {err.msg} at line {err.lineno},"
                f" column {err.colno}. Fix the file or remove it."
            ) from None
        if not isinstance(data, dict):
            raise ConfigFileError(
                f"Settings file {str(path)!r} must hold a JSON object {{...}}, "
                f"not {type(data).__name__}."
            )
        try:
            self._merge(data, str(path), replace_runtime=replace_runtime)
        except ConfigError as err:
            raise ConfigFileError(f"Settings file {str(path)!r}: {err}") from None
        self.sources.append(path)
        _log.logger.debug("Read settings from %s", path)

    def _merge(self, data: dict[str, Any], source: str, *, replace_runtime: bool) -> None:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            if key in _GROUPS and isinstance(value, dict):
                flat.update({f"{key}.{name}": item for name, item in value.items()})
            else:
                flat[key] = value
        for key, value in flat.items():
            parts = key.split(".")
            if parts[0] == "stores" and (len(parts) == 3 or key == "stores"):
                if replace_runtime and "stores" in self._values:  # file stores merge into it
                    self._files["stores"] = {
                        **self._files.get("stores", {}),
                        **self._values.pop("stores"),
                    }
                stores = self._files.setdefault("stores", {})
                if len(parts) == 3:
                    stores.setdefault(parts[1], {})[parts[2]] = value
                elif isinstance(value, dict):
                    stores.update(value)
                else:
                    raise ConfigError("'stores' must be an object of store names.")
                continue
            spec = _SPECS.get(key)
            if spec is None:
                self._warn_once(
                    key,
                    f"Setting {key!r} in {source} is not a DataJoint setting; "
                    f"dj_sqla keeps it (dj.config[{key!r}]) but does nothing with it.",
                    stacklevel=3,
                )
            elif not spec.honoured and value != spec.default:
                self._warn_once(
                    key,
                    f"Setting {key}={value!r} in {source} has no effect in dj_sqla, "
                    f"which behaves as for {spec.default!r}; the value is kept.",
                    stacklevel=3,
                )
            self._files[key] = _check_value(key, value)
            if replace_runtime:
                self._values.pop(key, None)
        self._apply_loglevel()

    def load_default_files(
        self,
        *,
        cwd: str | os.PathLike[str] | None = None,
        home: str | os.PathLike[str] | None = None,
        system_secrets: str | os.PathLike[str] | None = SYSTEM_SECRETS_DIR,
    ) -> list[Path]:
        """Read the settings files DataJoint reads at import; the package calls this once.

        Forgets what earlier calls read from files (values set at run time stay). See the
        module documentation for which files, in which order.

        Args:
            cwd: the working folder (default: the current one).
            home: the home folder (default: ``~``).
            system_secrets: the container secrets folder, used when no ``.secrets/`` is
                beside ``datajoint.json`` (``None``: none).

        Returns:
            The files read, lowest precedence first (secrets files not included).

        Raises:
            ConfigFileError: a file found is not valid JSON (the message names it).

        Example:
            >>> import tempfile
            >>> Config().load_default_files(cwd=tempfile.mkdtemp(), home=tempfile.mkdtemp(),
            ...                             system_secrets=None)
            []
        """
        self._files.clear()
        self._secrets.clear()
        self._store_secrets.clear()
        self.sources = []
        if self["ignore_config_file"]:
            self._apply_loglevel()
            return []
        folder = Path.cwd() if cwd is None else Path(cwd)
        local = folder / LOCALCONFIG
        home_file = (Path.home() if home is None else Path(home)) / GLOBALCONFIG
        project = find_project_config(folder)
        for path in (None if local.is_file() else home_file, project, local):
            if path is not None and path.is_file():
                self._load(path, replace_runtime=False)
        secrets = None
        if project is not None and (project.parent / SECRETS_DIRNAME).is_dir():
            secrets = project.parent / SECRETS_DIRNAME
        elif system_secrets is not None and Path(system_secrets).is_dir():
            secrets = Path(system_secrets)
        if secrets is not None:
            self._read_secrets(secrets)
        self._apply_loglevel()
        return list(self.sources)

    def _read_secrets(self, folder: Path) -> None:
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            parts = path.name.split(".")
            if path.name in ("database.user", "database.password"):
                self._secrets[path.name] = path.read_text(encoding="utf-8").strip()
            elif len(parts) == 3 and parts[0] == "stores":
                value = path.read_text(encoding="utf-8").strip()
                self._store_secrets.setdefault(parts[1], {})[parts[2]] = value
        _log.logger.debug("Read secrets from %s", folder)

    # -- saving ------------------------------------------------------------------------------

    def _to_save(self, include_password: bool) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key in self:
            value = self[key]
            spec = _SPECS.get(key)
            if spec is not None and value == spec.default:
                continue
            if key == "database.password" and not include_password:
                warnings.warn(
                    "database.password was not written to the settings file; keep it in "
                    "DJ_PASS or .secrets/database.password, or save with include_password=True.",
                    ConfigWarning,
                    stacklevel=3,
                )
                continue
            if key == "database.url" and not include_password and isinstance(value, str):
                value = url_without_password(value, None)
            if key == "stores" and not include_password:
                value = _without_credentials(value)
            data[key] = value
        return data

    def save(
        self,
        filename: str | os.PathLike[str],
        verbose: bool = False,
        *,
        include_password: bool = False,
    ) -> Path:
        """Write the settings that differ from their defaults to a JSON file, dotted keys.

        The file is readable by :meth:`load`, DataJoint 0.14 and DataJoint 2.x. Credentials
        (``database.password``, store access and secret keys) are left out unless
        ``include_password=True``; a password left out gives a :class:`ConfigWarning`. A file
        holding credentials is made readable by its owner only.

        Returns:
            The path written.

        Example:
            >>> import json, tempfile, pathlib
            >>> cfg = Config()
            >>> cfg["display.limit"] = 5
            >>> path = cfg.save(pathlib.Path(tempfile.mkdtemp()) / "dj_local_conf.json")
            >>> json.loads(path.read_text())
            {'display.limit': 5}
        """
        path = Path(filename)
        data = self._to_save(include_password)
        secret = include_password and (bool(data.get("database.password")) or "stores" in data)
        write_settings(path, data, secret=secret)
        if verbose:
            _log.logger.info("Saved settings in %s", path)
        return path

    def save_local(self, verbose: bool = False, *, include_password: bool = False) -> Path:
        """Save to ``dj_local_conf.json`` in the working folder (DataJoint 0.14).

        Example:
            >>> Config.save_local.__name__
            'save_local'
        """
        return self.save(Path.cwd() / LOCALCONFIG, verbose, include_password=include_password)

    def save_global(self, verbose: bool = False, *, include_password: bool = False) -> Path:
        """Save to ``~/.datajoint_config.json`` (DataJoint 0.14).

        Example:
            >>> Config.save_global.__name__
            'save_global'
        """
        return self.save(Path.home() / GLOBALCONFIG, verbose, include_password=include_password)

    def save_template(
        self,
        path: str | os.PathLike[str] = PROJECT_CONFIG,
        minimal: bool = True,
        create_secrets_dir: bool = True,
    ) -> Path:
        """Create a ``datajoint.json`` to edit, and a ``.secrets/`` folder beside it (2.x).

        The template holds the current connection settings (no credentials); ``minimal=False``
        adds the groups DataJoint's full template has: connection, display, safety, logging,
        folders and stores (the stores configured now, else an example file store ``main``
        under ``./dj_store`` to edit). The secrets folder gets a ``.gitignore`` and
        placeholder ``database.user`` and ``database.password`` files.

        Returns:
            The absolute path of the file written.

        Raises:
            ConfigFileExistsError: the file exists already (it is never overwritten); also a
                ``FileExistsError``.

        Example:
            >>> import json, tempfile, pathlib
            >>> path = Config().save_template(pathlib.Path(tempfile.mkdtemp()) / "datajoint.json")
            >>> json.loads(path.read_text())
            {'database': {'sqlite_dir': 'dj_sqla_data'}}
        """
        target = Path(path)
        if target.exists():
            raise ConfigFileExistsError(
                f"{str(target)!r} already exists; save_template() never overwrites a settings "
                "file: remove it or choose another path."
            )
        wanted = ("url", "backend", "host", "port", "name", "sqlite_dir")
        database = {k: self[f"database.{k}"] for k in wanted if self[f"database.{k}"] is not None}
        template: dict[str, Any] = {"database": database}
        if not minimal:
            database.update(reconnect=self["database.reconnect"], use_tls=self["database.use_tls"])
            template["connection"] = {"charset": self["connection.charset"]}
            shown = ("limit", "width", "show_tuple_count")
            template["display"] = {k: self[f"display.{k}"] for k in shown}
            keys = ("safemode", "loglevel", "query_cache", "download_path")
            template.update({k: self[k] for k in keys})
            example = {"default": "main", "main": {"protocol": "file", "location": "./dj_store"}}
            template["stores"] = _without_credentials(self["stores"]) or example
        return write_template(target, template, create_secrets_dir=create_secrets_dir)


#: The process-wide settings object, exported as ``dj.config``.
config = Config()
