"""dj.config details DataJoint code relies on: masked credentials, refused values as
ValueErrors, folders as paths, full templates, the settings-module helpers of 2.x and the
file names and ``_conf`` of 0.14."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from dj_sqla.config import Config
from dj_sqla.errors import ConfigError, InvalidSettingError

config_module = importlib.import_module("dj_sqla.config")


pytestmark = pytest.mark.usefixtures("clean_config_env")


def test_a_password_read_as_an_attribute_is_masked(cfg: Config) -> None:
    cfg.database.password = "super_secret"
    secret = cfg.database.password
    assert "super_secret" not in repr(secret)
    assert "**" in repr(secret)
    assert "super_secret" not in str(secret)
    assert secret.get_secret_value() == "super_secret"
    assert cfg["database.password"] == "super_secret"  # by key: the plain string
    assert "super_secret" not in repr(cfg)
    assert "super_secret" not in str(cfg)
    cfg.database.password = secret  # a masked value given back is stored as its secret
    assert cfg["database.password"] == "super_secret"
    cfg.database.password = None
    assert cfg.database.password is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("database.port", "harbor", "not a port number"),
        ("loglevel", "INVALID_LEVEL", "not a log level"),
        ("fetch_format", "invalid", "use 'array'"),
        ("database.use_tls", "maybe", "use true"),
    ],
)
def test_refused_values_are_value_errors(cfg: Config, key: str, value: str, message: str) -> None:
    with pytest.raises(InvalidSettingError, match=message) as caught:
        cfg[key] = value
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, ConfigError)
    assert cfg[key] != value  # nothing changed


def test_an_unusable_environment_value_is_a_value_error(
    cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJ_PORT", "harbor")
    with pytest.raises(ValueError, match="DJ_PORT"):
        cfg["database.port"]


def test_cache_folders_are_paths(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.query_cache = "/tmp/cache"
    assert cfg.query_cache == Path("/tmp/cache")
    cfg.query_cache = None
    assert cfg.query_cache is None
    monkeypatch.setenv("DJ_QUERY_CACHE", "/tmp/other")
    assert Config()["query_cache"] == Path("/tmp/other")


def test_a_full_template_has_every_group_and_no_credentials(cfg: Config, tmp_path: Path) -> None:
    cfg["database.password"] = "pw"
    cfg["database.user"] = "alice"
    path = cfg.save_template(tmp_path / "datajoint.json", minimal=False, create_secrets_dir=False)
    data = json.loads(path.read_text())
    assert {"database", "connection", "display", "stores", "loglevel", "safemode"} <= set(data)
    assert data["stores"]["default"] == "main"
    assert data["stores"]["main"]["protocol"] == "file"
    assert "password" not in data["database"]
    assert "user" not in data["database"]
    assert not (tmp_path / ".secrets").exists()
    cfg["stores"] = {"raw": {"protocol": "file", "location": "/data", "secret_key": "k"}}
    second = cfg.save_template(tmp_path / "full.json", minimal=False, create_secrets_dir=False)
    assert json.loads(second.read_text())["stores"] == {
        "raw": {"protocol": "file", "location": "/data"}
    }


def test_a_template_never_overwrites(cfg: Config, tmp_path: Path) -> None:
    target = tmp_path / "datajoint.json"
    target.write_text("{}")
    with pytest.raises(FileExistsError, match="already exists"):
        cfg.save_template(target)
    assert target.read_text() == "{}"


def test_the_settings_module_helpers_of_datajoint_2(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    assert config_module.find_config_file(tmp_path / "src") is None
    config_file = tmp_path / config_module.CONFIG_FILENAME
    config_file.write_text("{}")
    assert config_module.find_config_file(tmp_path / "src") == config_file
    assert config_module.find_secrets_dir(config_file) in (None, config_module.SYSTEM_SECRETS_DIR)
    (tmp_path / ".secrets").mkdir()
    assert config_module.find_secrets_dir(config_file) == tmp_path / ".secrets"
    (tmp_path / ".secrets" / "database.password").write_text("my_secret\n")
    assert config_module.read_secret_file(tmp_path / ".secrets", "database.password") == (
        "my_secret"
    )
    assert config_module.read_secret_file(tmp_path / ".secrets", "nonexistent") is None
    assert config_module.read_secret_file(None, "database.password") is None


def test_the_0_14_file_names_are_read_when_saving(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config_module, "LOCALCONFIG", "elsewhere.json")
    cfg["safemode"] = False
    assert cfg.save_local() == tmp_path / "elsewhere.json"
    other = Config()
    other.load()  # the same name
    assert other["safemode"] is False


def test_conf_str_and_len(cfg: Config) -> None:
    assert cfg._conf == dict(cfg.items())
    assert len(cfg) == len(cfg._conf)
    assert "display.limit: 12" in str(cfg).splitlines()
