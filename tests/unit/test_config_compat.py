"""dj.config the DataJoint way: attributes, keys of 0.14 and 2.x, files, secrets, environment."""

from __future__ import annotations

import importlib
import json
import logging
import os
import stat
import warnings
from pathlib import Path
from typing import Any

import pytest

from dj_sqla import _log
from dj_sqla.config import SETTINGS, Config, ConfigWarning, find_project_config
from dj_sqla.errors import (
    ConfigError,
    ConfigFileError,
    ConfigFileMissingError,
    UnknownSettingError,
)

#: the module (``dj_sqla.config`` the attribute is the settings object, as in DataJoint)
config_module = importlib.import_module("dj_sqla.config")

pytestmark = pytest.mark.usefixtures("clean_config_env")


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def loaded(cfg: Config, path: Path) -> list[str]:
    """Load ``path``; return the messages of the ConfigWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg.load(path)
    return [str(w.message) for w in caught if issubclass(w.category, ConfigWarning)]


# -- attribute access --------------------------------------------------------------------------


def test_attributes_and_dotted_keys_are_the_same_values(cfg: Config) -> None:
    cfg.display.limit = 5
    assert cfg["display.limit"] == 5
    cfg["database.host"] = "db.lab.org"
    assert cfg.database.host == "db.lab.org"
    cfg.safemode = False
    assert cfg["safemode"] is False
    assert cfg.database["host"] == "db.lab.org"
    cfg.jobs["default_priority"] = 2
    assert cfg.jobs.default_priority == 2
    assert "limit" in list(cfg.display)
    assert "host" in dir(cfg.database)
    assert "limit" in repr(cfg.display)


def test_missing_attribute_names_the_key(cfg: Config) -> None:
    with pytest.raises(AttributeError, match=r"'database\.hots'.*'database\.host'"):
        _ = cfg.database.hots
    with pytest.raises(AttributeError, match="'nosuchthing'"):
        _ = cfg.nosuchthing
    assert getattr(cfg.database, "hots", None) is None
    assert not hasattr(cfg, "nosuchthing")


def test_a_group_cannot_be_replaced_by_a_value(cfg: Config) -> None:
    with pytest.raises(ConfigError, match=r"dj\.config\.database is a group"):
        cfg.database = "localhost"


def test_dict_settings_are_values_not_groups(cfg: Config) -> None:
    cfg.stores["main"] = {"protocol": "file", "location": "/data"}
    assert cfg["stores"] == {"main": {"protocol": "file", "location": "/data"}}
    cfg["custom"]["ephys_root_data_dir"] = "/ephys"
    assert cfg.custom == {"ephys_root_data_dir": "/ephys"}
    assert Config()["stores"] == {}  # the defaults are not shared between instances


def test_mapping_behaviour(cfg: Config) -> None:
    assert cfg.get("no.such.key", "fallback") == "fallback"
    assert "display.limit" in cfg
    assert "no.such.key" not in cfg
    with pytest.raises(KeyError):
        _ = cfg["no.such.key"]
    assert len(cfg) == len(SETTINGS) == len(list(cfg))
    assert "***" not in repr(cfg)
    cfg["database.password"] = "s3cret"
    assert "s3cret" not in repr(cfg)


# -- keys and defaults -------------------------------------------------------------------------


def test_datajoint_defaults_where_dj_sqla_has_none_of_its_own(cfg: Config) -> None:
    expected = {
        "display.limit": 12,
        "display.width": 14,
        "display.show_tuple_count": True,
        "loglevel": "INFO",
        "safemode": True,
        "fetch_format": "array",
        "enable_python_native_blobs": True,
        "add_hidden_timestamp": False,
        "filepath_checksum_size_limit": None,
        "connection.init_function": None,
        "connection.charset": "",
        "database.reconnect": True,
        "database.use_tls": None,
        "download_path": ".",
        "jobs.stale_timeout": 3600,
        "jobs.default_priority": 5,
        "jobs.auto_refresh": True,
        "stores": {},
    }
    assert {key: cfg[key] for key in expected} == expected
    # dj_sqla's own: no host means the embedded SQLite store
    assert cfg["database.host"] is None
    assert cfg["database.sqlite_dir"] == "dj_sqla_data"


def test_every_key_is_in_the_module_documentation() -> None:
    doc = config_module.__doc__ or ""
    for spec in SETTINGS:
        assert f"``{spec.key}``" in doc, spec.key
        if spec.env and spec.key != "jobs.allow_new_pk_fields_in_computed_tables":
            assert f"``{spec.env}``" in doc, spec.env
    assert "DJ_JOBS_ALLOW_NEW_PK_FIELDS_IN_COMPUTED_TABLES" in doc


def test_unknown_runtime_key_is_kept_with_one_warning(cfg: Config) -> None:
    with pytest.warns(ConfigWarning, match=r"\['schema_name'\] is not a DataJoint setting"):
        cfg["schema_name"] = "lab_v1"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg["schema_name"] = "lab_v2"  # second time: no warning
    assert cfg["schema_name"] == "lab_v2"
    assert cfg.schema_name == "lab_v2"
    assert "schema_name" in list(cfg)
    del cfg["schema_name"]
    assert "schema_name" not in cfg


def test_a_near_miss_of_a_known_key_is_refused_as_a_typo(cfg: Config) -> None:
    with pytest.raises(UnknownSettingError, match=r"Did you mean 'database\.host'"):
        cfg["database.hots"] = "x"
    with pytest.raises(UnknownSettingError, match="'safemod'"):
        del cfg["safemod"]


def test_port_and_loglevel_are_validated(cfg: Config) -> None:
    cfg["database.port"] = "3307"
    assert cfg["database.port"] == 3307
    with pytest.raises(ConfigError, match="not a port number"):
        cfg["database.port"] = "abc"
    with pytest.raises(ConfigError, match="not a log level"):
        cfg["loglevel"] = "LOUD"


# -- the logger level --------------------------------------------------------------------------


def test_loglevel_sets_the_logger_level(cfg: Config) -> None:
    cfg["loglevel"] = "debug"
    assert cfg["loglevel"] == "DEBUG"
    assert _log.logger.level == logging.DEBUG
    with cfg.override(loglevel="ERROR"):
        assert _log.logger.level == logging.ERROR
    assert _log.logger.level == logging.DEBUG
    del cfg["loglevel"]
    assert _log.logger.level == logging.INFO


def test_loglevel_from_environment_applies_when_files_are_read(
    cfg: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DJ_LOG_LEVEL", "warning")
    cfg.load_default_files(cwd=tmp_path, home=tmp_path, system_secrets=None)
    assert cfg["loglevel"] == "WARNING"
    assert _log.logger.level == logging.WARNING


def test_logger_prints_until_the_application_configures_logging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    _log.logger.warning("populated %d keys", 3)
    assert "[WARNING]: populated 3 keys" in capsys.readouterr().err
    monkeypatch.setattr(root, "handlers", [logging.NullHandler()])
    _log.logger.warning("quiet")
    assert capsys.readouterr().err == ""


# -- environment -------------------------------------------------------------------------------


def test_precedence_runtime_env_file_secret_default(
    cfg: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    write(project / "datajoint.json", {"database": {"host": "file-host", "user": "file-user"}})
    write(project / ".secrets" / "database.user", "secret-user\n")
    write(project / ".secrets" / "database.password", "secret-pass\n")
    (project / ".git").mkdir()
    cfg.load_default_files(cwd=project, home=tmp_path, system_secrets=None)
    assert cfg["database.password"] == "secret-pass"  # only the secrets folder has it
    assert cfg["database.user"] == "file-user"  # the file wins over the secret
    assert cfg["database.host"] == "file-host"
    monkeypatch.setenv("DJ_HOST", "env-host")
    assert cfg["database.host"] == "env-host"  # the environment wins over the file
    cfg["database.host"] = "runtime-host"
    assert cfg["database.host"] == "runtime-host"  # a value set at run time wins
    del cfg["database.host"]
    assert cfg["database.host"] == "env-host"


def test_environment_values_are_typed(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJ_PORT", "3307")
    monkeypatch.setenv("DJ_SAFEMODE", "no")
    monkeypatch.setenv("DJ_USE_TLS", "true")
    monkeypatch.setenv("DJ_JOBS_STALE_TIMEOUT", "60")
    monkeypatch.setenv("DJ_STORES", '{"main": {"protocol": "file", "location": "/d"}}')
    assert cfg["database.port"] == 3307
    assert cfg.safemode is False
    assert cfg.database.use_tls is True
    assert cfg.jobs.stale_timeout == 60
    cfg.stores["main"]["stage"] = "/stage"  # the parsed dict is kept, so edits stay
    assert cfg.stores["main"] == {"protocol": "file", "location": "/d", "stage": "/stage"}


@pytest.mark.parametrize(
    ("var", "raw", "message"),
    [
        ("DJ_SAFEMODE", "maybe", "DJ_SAFEMODE='maybe' is not a boolean"),
        ("DJ_PORT", "x", "DJ_PORT='x' is not a whole number"),
        ("DJ_STORES", "{not json", "DJ_STORES is not valid JSON"),
        ("DJ_STORES", "[1]", "DJ_STORES must hold a JSON object"),
        ("DJ_LOG_LEVEL", "LOUD", "DJ_LOG_LEVEL.*not a log level"),
    ],
)
def test_bad_environment_values_name_the_variable(
    cfg: Config, monkeypatch: pytest.MonkeyPatch, var: str, raw: str, message: str
) -> None:
    monkeypatch.setenv(var, raw)
    key = next(s.key for s in SETTINGS if s.env == var)
    with pytest.raises(ConfigError, match=message):
        _ = cfg[key]


# -- load --------------------------------------------------------------------------------------


def test_load_dotted_and_nested_keys(cfg: Config, tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.json",
        {
            "database.host": "db",
            "display": {"limit": 12, "width": 14},
            "stores": {"raw": {"protocol": "file", "location": "/raw"}},
            "stores.raw.stage": "/stage",
            "custom": {"ephys_root_data_dir": "/ephys"},
        },
    )
    assert loaded(cfg, path) == []
    assert cfg.database.host == "db"
    assert cfg.stores == {"raw": {"protocol": "file", "location": "/raw", "stage": "/stage"}}
    assert cfg.custom["ephys_root_data_dir"] == "/ephys"
    assert cfg.sources == [path]


def test_a_real_labs_014_file_loads_with_one_warning_per_unused_key(
    cfg: Config, tmp_path: Path
) -> None:
    lab = {
        "database.host": "localhost",
        "database.port": 3306,
        "database.user": "root",
        "database.password": "tutorial",
        "database.use_tls": False,
        "database.reconnect": True,
        "connection.init_function": None,
        "connection.charset": "",
        "loglevel": "INFO",
        "safemode": True,
        "fetch_format": "array",
        "display.limit": 12,
        "display.width": 14,
        "display.show_tuple_count": True,
        "add_hidden_timestamp": False,
        "filepath_checksum_size_limit": 1073741824,
        "enable_python_native_blobs": True,
        "stores": {"raw": {"protocol": "file", "location": "/raw", "stage": "/raw"}},
        "custom": {"debug_mode": "false", "spyglass_dirs": {"base": "/data"}},
        "database.prefix": "lab_",
    }
    path = write(tmp_path / "dj_local_conf.json", lab)
    messages = loaded(cfg, path)
    assert len(messages) == 2
    assert not any("use_tls" in m for m in messages)  # dj_sqla honours it
    assert any("filepath_checksum_size_limit" in m for m in messages)
    assert any("'database.prefix'" in m and "not a DataJoint setting" in m for m in messages)
    assert all(str(path) in m for m in messages)
    assert loaded(cfg, path) == []  # one warning per key, not per load
    assert cfg["database.prefix"] == "lab_"  # unknown keys are kept
    assert cfg["database.use_tls"] is False
    assert cfg.custom["spyglass_dirs"] == {"base": "/data"}


def test_load_replaces_runtime_values_but_not_the_environment(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg["database.host"] = "runtime"
    cfg["safemode"] = False
    cfg["stores"] = {"a": {"protocol": "file", "location": "/a"}}
    monkeypatch.setenv("DJ_USER", "env-user")
    path = write(
        tmp_path / "c.json",
        {
            "database.host": "file",
            "database.user": "file-user",
            "stores": {"b": {"protocol": "file", "location": "/b"}},
        },
    )
    cfg.load(path)
    assert (cfg.database.host, cfg.database.user, cfg.safemode) == ("file", "env-user", False)
    assert sorted(cfg.stores) == ["a", "b"]  # stores are merged store by store
    cfg["database.host"] = "later"
    assert cfg.database.host == "later"


def test_load_errors_name_the_file(cfg: Config, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '{"safemode": true,,}')
    with pytest.raises(ConfigFileError, match=r"bad\.json' is not valid JSON.*line 1"):
        cfg.load(bad)
    listed = write(tmp_path / "list.json", "[1, 2]")
    with pytest.raises(ConfigFileError, match=r"list\.json' must hold a JSON object"):
        cfg.load(listed)
    level = write(tmp_path / "level.json", {"loglevel": "LOUD"})
    with pytest.raises(ConfigFileError, match=r"level\.json'.*not a log level"):
        cfg.load(level)
    with pytest.raises(ConfigFileMissingError, match=r"nothere\.json' does not exist"):
        cfg.load(tmp_path / "nothere.json")
    with pytest.raises(FileNotFoundError):
        cfg.load(tmp_path / "nothere.json")


def test_load_without_a_name_reads_dj_local_conf(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "dj_local_conf.json", {"display.limit": 12, "safemode": False})
    monkeypatch.chdir(tmp_path)
    cfg.load()
    assert cfg.safemode is False


# -- files read at import ----------------------------------------------------------------------


def test_local_014_file_wins_and_hides_the_home_file(cfg: Config, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    write(home / ".datajoint_config.json", {"database.host": "home", "database.user": "h"})
    assert cfg.load_default_files(cwd=work, home=home, system_secrets=None) == [
        home / ".datajoint_config.json"
    ]
    assert (cfg.database.host, cfg.database.user) == ("home", "h")
    write(work / "dj_local_conf.json", {"database.host": "local"})
    cfg.load_default_files(cwd=work, home=home, system_secrets=None)
    # as in DataJoint 0.14 only the first of the two is read, and earlier reads are forgotten
    assert (cfg.database.host, cfg.database.user) == ("local", None)


def test_project_file_is_found_upward_and_under_the_local_file(cfg: Config, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root / "datajoint.json", {"database": {"host": "project", "port": 5432}})
    work = root / "src" / "analysis"
    work.mkdir(parents=True)
    assert find_project_config(work) == root / "datajoint.json"
    cfg.load_default_files(cwd=work, home=tmp_path, system_secrets=None)
    assert (cfg.database.host, cfg.database.port) == ("project", 5432)
    write(work / "dj_local_conf.json", {"database.host": "local"})
    paths = cfg.load_default_files(cwd=work, home=tmp_path, system_secrets=None)
    assert paths == [root / "datajoint.json", work / "dj_local_conf.json"]
    assert (cfg.database.host, cfg.database.port) == ("local", 5432)


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / "datajoint.json", {})
    (tmp_path / "repo" / ".hg").mkdir(parents=True)
    assert find_project_config(tmp_path / "repo") is None
    assert find_project_config(tmp_path) == tmp_path / "datajoint.json"


def test_system_secrets_and_store_secrets(cfg: Config, tmp_path: Path) -> None:
    secrets = tmp_path / "run-secrets"
    write(secrets / "database.password", "pw\n")
    write(secrets / "stores.main.secret_key", "sk\n")
    write(secrets / "stores.main.access_key", "ak\n")
    write(secrets / ".hidden", "x")
    project = tmp_path / "p"
    write(project / "datajoint.json", {"stores": {"main": {"protocol": "s3", "access_key": "f"}}})
    cfg.load_default_files(cwd=project, home=tmp_path, system_secrets=secrets)
    assert cfg["database.password"] == "pw"
    # secrets fill only what the file leaves unset
    assert cfg.stores["main"] == {"protocol": "s3", "access_key": "f", "secret_key": "sk"}


def test_ignore_config_file_skips_all_files(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "dj_local_conf.json", {"database.host": "local"})
    monkeypatch.setenv("DJ_IGNORE_CONFIG_FILE", "true")
    assert cfg.load_default_files(cwd=tmp_path, home=tmp_path, system_secrets=None) == []
    assert cfg.database.host is None


def test_a_broken_file_at_import_names_the_file(cfg: Config, tmp_path: Path) -> None:
    write(tmp_path / "datajoint.json", "{")
    with pytest.raises(ConfigFileError, match=r"datajoint\.json' is not valid JSON"):
        cfg.load_default_files(cwd=tmp_path, home=tmp_path, system_secrets=None)


def test_the_env_var_wins_over_the_file_at_import(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "dj_local_conf.json", {"database.user": "file", "safemode": False})
    monkeypatch.setenv("DJ_USER", "env")
    cfg.load_default_files(cwd=tmp_path, home=tmp_path, system_secrets=None)
    assert (cfg.database.user, cfg.safemode) == ("env", False)


# -- save --------------------------------------------------------------------------------------


def test_save_leaves_the_password_out_unless_asked(cfg: Config, tmp_path: Path) -> None:
    cfg["database.host"] = "db"
    cfg["database.password"] = "s3cret"
    cfg.stores["main"] = {"protocol": "s3", "secret_key": "sk", "location": "x"}
    with pytest.warns(ConfigWarning, match=r"database\.password was not written"):
        path = cfg.save(tmp_path / "out.json")
    saved = json.loads(path.read_text())
    assert saved == {"database.host": "db", "stores": {"main": {"protocol": "s3", "location": "x"}}}
    assert "s3cret" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path = cfg.save(tmp_path / "with.json", include_password=True)
    saved = json.loads(path.read_text())
    assert saved["database.password"] == "s3cret"
    assert saved["stores"]["main"]["secret_key"] == "sk"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_round_trips_through_load(cfg: Config, tmp_path: Path) -> None:
    cfg.display.limit = 7
    cfg.safemode = False
    cfg.custom["root"] = "/data"
    with pytest.warns(ConfigWarning):
        cfg["lab_key"] = 1
    path = cfg.save(tmp_path / "c.json")
    other = Config()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        other.load(path)
    assert (other.display.limit, other.safemode, other.custom, other["lab_key"]) == (
        7,
        False,
        {"root": "/data"},
        1,
    )


def test_save_local_and_save_global(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cfg["database.host"] = "db"
    assert cfg.save_local() == tmp_path / "dj_local_conf.json"
    assert cfg.save_global(verbose=True) == tmp_path / "home" / ".datajoint_config.json"
    assert json.loads((tmp_path / "dj_local_conf.json").read_text()) == {"database.host": "db"}
    assert not list(tmp_path.glob(".dj_local_conf.json.*"))  # no temporary file left


def test_save_template(cfg: Config, tmp_path: Path) -> None:
    path = cfg.save_template(tmp_path / "datajoint.json", minimal=False)
    data = json.loads(path.read_text())
    assert data["database"] == {"sqlite_dir": "dj_sqla_data", "reconnect": True, "use_tls": None}
    assert data["safemode"] is True
    assert (tmp_path / ".secrets" / ".gitignore").is_file()
    assert (tmp_path / ".secrets" / "database.password").is_file()
    with pytest.raises(ConfigError, match="already exists"):
        cfg.save_template(tmp_path / "datajoint.json")
    assert Config().load_default_files(cwd=tmp_path, home=tmp_path, system_secrets=None)


# -- override ----------------------------------------------------------------------------------


def test_override_and_the_014_call_spelling(cfg: Config) -> None:
    cfg["safemode"] = False
    with cfg(safemode=True, database__host="h") as inner:
        assert inner is cfg
        assert (cfg.safemode, cfg.database.host) == (True, "h")
    assert (cfg.safemode, cfg.database.host) == (False, None)
    with pytest.raises(UnknownSettingError), cfg.override(database__hots="h"):
        pass  # pragma: no cover
    assert cfg.safemode is False


def test_the_process_wide_object_is_a_config() -> None:
    assert isinstance(config_module.config, Config)
    assert os.environ.get("DJ_HOST") is None
