"""The settings ``dj.config`` knows: their keys, defaults, environment variables, kinds and
whether dj_sqla acts on them (DataJoint 2.3's and 0.14's key sets beside dj_sqla's own), and the
parsing of values given as text (environment variables, files).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _log
from .errors import ConfigError, InvalidSettingError

#: Folder of the embedded SQLite store when nothing else is configured, relative to the
#: working directory at the time of the first connection.
DEFAULT_SQLITE_DIR = "dj_sqla_data"

#: DataJoint 0.14's settings file in the working folder, and its file in the home folder.
LOCAL_CONFIG = "dj_local_conf.json"
GLOBAL_CONFIG = ".datajoint_config.json"
#: DataJoint 2.x's project settings file and the secrets folder beside it.
PROJECT_CONFIG = "datajoint.json"
SECRETS_DIRNAME = ".secrets"
SYSTEM_SECRETS_DIR = Path("/run/secrets/datajoint")

#: Store attributes that are credentials: never written to a file unless asked.
_STORE_SECRETS = frozenset(
    {"access_key", "secret_key", "account_key", "connection_string", "token"}
)


#: Keys whose value reads back masked through attribute access (``dj.config.database.password``).
SECRET_KEYS = frozenset({"database.password", "external.aws_secret_access_key"})


class Secret:
    """A credential read as an attribute of ``dj.config``: masked when printed.

    ``dj.config.database.password`` gives one (as DataJoint 2's ``SecretStr``);
    ``dj.config["database.password"]`` gives the plain string, as does
    :meth:`get_secret_value`.

    Example:
        >>> secret = Secret("s3cret")
        >>> secret, str(secret), secret.get_secret_value()
        (Secret('**********'), '**********', 's3cret')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The credential itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


class ConfigWarning(UserWarning):
    """A setting was accepted but has no effect in dj_sqla, or a credential was not saved.

    Example:
        >>> import warnings
        >>> issubclass(ConfigWarning, UserWarning)
        True
    """


@dataclass(frozen=True)
class Setting:
    """One known key: its default, environment variable, value kind and whether it is used.

    ``kind`` says how an environment string is read: ``str``, ``bool``, ``int``, ``tls``
    (a boolean that may be unset), ``level`` (a log level), ``path`` (a folder) or ``json``
    (a JSON object).
    """

    key: str
    default: Any
    env: str | None = None
    kind: str = "str"
    honoured: bool = False


def _s(
    key: str, default: Any, env: str | None = None, kind: str = "str", h: bool = False
) -> Setting:
    return Setting(key, default, env, kind, h)


#: Every key dj.config knows (the table of the module documentation).
SETTINGS: tuple[Setting, ...] = (
    _s("database.url", None, "DJ_SQLA_URL", h=True),
    _s("database.backend", None, "DJ_BACKEND", h=True),
    _s("database.host", None, "DJ_HOST", h=True),
    _s("database.port", None, "DJ_PORT", "int", h=True),
    _s("database.user", None, "DJ_USER", h=True),
    _s("database.password", None, "DJ_PASS", h=True),
    _s("database.name", None, "DJ_DATABASE_NAME", h=True),
    _s("database.sqlite_dir", DEFAULT_SQLITE_DIR, "DJ_SQLITE_DIR", h=True),
    _s("database.reconnect", True, kind="bool"),
    _s("database.use_tls", None, "DJ_USE_TLS", "tls", h=True),
    _s("database.database_prefix", "", "DJ_DATABASE_PREFIX"),
    _s("database.create_tables", True, "DJ_CREATE_TABLES", "bool"),
    _s("connection.init_function", None),
    _s("connection.charset", ""),
    _s("display.limit", 12, kind="int"),
    _s("display.width", 14, kind="int"),
    _s("display.show_tuple_count", True, kind="bool"),
    _s("display.diagram_direction", "LR", "DJ_DIAGRAM_DIRECTION"),
    _s("display.diagram_theme", "auto", "DJ_DIAGRAM_THEME"),
    _s("loglevel", "INFO", "DJ_LOG_LEVEL", "level", h=True),
    _s("safemode", True, "DJ_SAFEMODE", "bool", h=True),
    _s("fetch_format", "array", h=True),
    _s("enable_python_native_blobs", True, kind="bool"),
    _s("add_hidden_timestamp", False, kind="bool"),
    _s("filepath_checksum_size_limit", None, kind="int"),
    _s("download_path", ".", "DJ_DOWNLOAD_PATH"),
    _s("query_cache", None, "DJ_QUERY_CACHE", "path"),
    _s("cache", None, kind="path"),
    _s("stores", {}, "DJ_STORES", "json", h=True),
    _s("custom", {}, kind="json", h=True),
    _s("ignore_config_file", False, "DJ_IGNORE_CONFIG_FILE", "bool", h=True),
    _s("external.aws_access_key_id", None, "DJ_AWS_ACCESS_KEY_ID"),
    _s("external.aws_secret_access_key", None, "DJ_AWS_SECRET_ACCESS_KEY"),
    _s("jobs.auto_refresh", True, "DJ_JOBS_AUTO_REFRESH", "bool"),
    _s("jobs.keep_completed", False, "DJ_JOBS_KEEP_COMPLETED", "bool", h=True),
    _s("jobs.stale_timeout", 3600, "DJ_JOBS_STALE_TIMEOUT", "int"),
    _s("jobs.orphan_timeout", 3600, "DJ_JOBS_ORPHAN_TIMEOUT", "int", h=True),
    _s("jobs.default_priority", 5, "DJ_JOBS_DEFAULT_PRIORITY", "int", h=True),
    _s("jobs.version_method", None, "DJ_JOBS_VERSION_METHOD"),
    _s(
        "jobs.allow_new_pk_fields_in_computed_tables",
        False,
        "DJ_JOBS_ALLOW_NEW_PK_FIELDS_IN_COMPUTED_TABLES",
        "bool",
    ),
    _s("jobs.add_job_metadata", False, "DJ_JOBS_ADD_JOB_METADATA", "bool"),
    _s("provenance.capture", False, "DJ_PROVENANCE_CAPTURE", "bool"),
    _s("provenance.source", {}, "DJ_PROVENANCE_SOURCE", "json"),
)
_SPECS: dict[str, Setting] = {s.key: s for s in SETTINGS}
#: Groups of dotted keys (``database``, ``display``, ...): attribute access returns a view.
_GROUPS = frozenset(key.split(".")[0] for key in _SPECS if "." in key)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_env(spec: Setting, raw: str) -> Any:
    """Convert an environment string to the kind of value the key holds."""
    var = spec.env
    if spec.kind in ("bool", "tls"):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidSettingError(
            f"Environment variable {var}={raw!r} is not a boolean; use true or false."
        )
    if spec.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise InvalidSettingError(
                f"Environment variable {var}={raw!r} is not a whole number."
            ) from None
    if spec.kind == "level":
        try:
            return _log.level_name(raw)
        except ConfigError as err:
            raise InvalidSettingError(f"Environment variable {var}: {err}") from None
    if spec.kind == "path":
        return Path(raw)
    if spec.kind == "json":
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as err:
            raise InvalidSettingError(
                f"Environment variable {var} is not valid JSON ({err})."
            ) from None
        if not isinstance(value, dict):
            raise InvalidSettingError(
                f"Environment variable {var} must hold a JSON object {{...}}."
            )
        return value
    return raw


#: ``scheme://user:password@`` in a URL's text (also one SQLAlchemy cannot parse).
_URL_PASSWORD = re.compile(r"(://[^:/@?#]*):[^@/?#]*@")


def url_without_password(text: str, replacement: str | None = "***") -> str:
    """``text`` with the password of any URL in it replaced (None: left out).

    Example:
        >>> url_without_password("mysql+pymysql://alice:s3cret@db.lab:3306/x")
        'mysql+pymysql://alice:***@db.lab:3306/x'
        >>> url_without_password("postgresql://alice:s3cret@db.lab/lab", None)
        'postgresql://alice@db.lab/lab'
    """
    kept = r"\1@" if replacement is None else rf"\1:{replacement}@"
    return _URL_PASSWORD.sub(kept, text)


def _check_value(key: str, value: Any) -> Any:
    """Validate the values DataJoint validates too; returns the value to store.

    Raises:
        InvalidSettingError: the value is not allowed (also a ``ValueError``).
    """
    if isinstance(value, Secret) or callable(getattr(value, "get_secret_value", None)):
        value = value.get_secret_value()  # a masked credential given back: store it plainly
    if key in ("query_cache", "cache") and isinstance(value, str):
        return Path(value)  # folders, as in DataJoint 2
    if key == "fetch_format" and value not in ("array", "frame"):
        raise InvalidSettingError(
            f"fetch_format={value!r}: use 'array' (numpy record arrays) or 'frame' (pandas)."
        )
    if key == "loglevel":
        return _log.level_name(value)
    if key == "database.use_tls" and not (value is None or isinstance(value, (bool, dict))):
        raise InvalidSettingError(
            f"database.use_tls={value!r}: use true (TLS required), false (no TLS), null (TLS "
            'when the server offers it) or certificate files such as {"ca": "ca.pem"}.'
        )
    if key == "database.port" and value is not None:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidSettingError(
                f"database.port={value!r} is not a port number; use e.g. 3306."
            )
    return value
