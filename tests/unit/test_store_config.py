"""Object-store settings: DataJoint 2's and 0.14's formats, checked key by key (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from dj_sqla.config import Config
from dj_sqla.errors import ConfigError
from dj_sqla.stores import StorageAdapter, StorageBackend, get_store_backend


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    config = Config()
    config["stores"] = {
        "default": "main",
        "main": {"protocol": "file", "location": str(tmp_path)},
        "lake": {
            "protocol": "s3",
            "endpoint": "127.0.0.1:9000",
            "bucket": "lab",
            "location": "ephys",
            "access_key": "a",
            "secret_key": "s",
        },
    }
    return config


def test_datajoint_2_format_with_a_default_store(cfg: Config, tmp_path: Path) -> None:
    spec = cfg.get_store_spec(None)
    assert (spec["_name"], spec["location"]) == ("main", str(tmp_path))
    assert (spec["hash_prefix"], spec["schema_prefix"], spec["token_length"]) == (
        "_hash",
        "_schema",
        8,
    )
    lake = cfg.get_store_spec("lake")
    assert lake["secure"] is True  # DataJoint 2's default: https
    backend = StorageBackend(lake)
    assert backend._full_path("_hash/s/x") == "lab/ephys/_hash/s/x"
    assert backend.get_url("a") == "s3://lab/ephys/a"


def test_a_014_settings_file_holds_its_stores(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    stage.mkdir()
    path = tmp_path / "dj_local_conf.json"
    path.write_text(
        json.dumps(
            {
                "database.host": "localhost",
                "stores": {
                    "raw": {"protocol": "file", "location": str(tmp_path), "stage": str(stage)},
                    "s3": {
                        "protocol": "s3",
                        "endpoint": "minio:9000",
                        "bucket": "b",
                        "location": "x",
                        "access_key": "a",
                        "secret_key": "s",
                        "secure": False,
                        "subfolding": [2, 2],
                    },
                },
            }
        )
    )
    config = Config()
    config.load(path)
    assert config.get_store_spec("raw")["stage"] == str(stage)
    spec = config.get_store_spec("s3")
    assert (spec["secure"], spec["subfolding"]) == (False, [2, 2])
    assert StorageBackend(spec)._full_path("lab/ab/cd/x") == "b/x/lab/ab/cd/x"


@pytest.mark.parametrize(
    ("stores", "message"),
    [
        ({}, 'Store "main" is not configured: set dj.config["stores"]["main"]'),
        ({"main": {"location": "/x"}}, 'has no "protocol"'),
        ({"main": {"protocol": "file"}}, 'is missing "location"'),
        ({"main": {"protocol": "s3", "bucket": "b", "location": "x"}}, "missing 'endpoint'"),
        ({"main": {"protocol": "file", "location": "/x", "colour": 1}}, "unknown key(s) 'colour'"),
        (
            {"main": {"protocol": "s3", "endpoint": "e", "bucket": "b", "access_key": "a"}},
            "only one of access_key and secret_key",
        ),
        (
            {
                "main": {
                    "protocol": "file",
                    "location": "/x",
                    "hash_prefix": "data/_h",
                    "filepath_prefix": "data",
                }
            },
            "overlap",
        ),
    ],
)
def test_unusable_settings_name_the_store_and_key(stores: dict, message: str) -> None:
    config = Config()
    config["stores"] = stores
    with pytest.raises(ConfigError) as caught:
        config.get_store_spec("main")
    assert message in str(caught.value)


def test_no_default_store_says_what_to_set() -> None:
    config = Config()
    with pytest.raises(ConfigError, match=r'dj.config\["stores"\]\["default"\]'):
        config.get_store_spec(None)
    with pytest.raises(ConfigError, match=r"stores\.filepath_default is not configured"):
        config.get_store_spec(None, use_filepath_default=True)


def test_a_missing_local_folder_is_refused_naming_the_store(tmp_path: Path) -> None:
    config = Config()
    config["stores"] = {"gone": {"protocol": "file", "location": str(tmp_path / "nope")}}
    with pytest.raises(ConfigError, match=r"Store .gone.*create it"):
        get_store_backend("gone", config)


def test_any_fsspec_protocol(tmp_path: Path) -> None:
    config = Config()
    config["stores"] = {"mem": {"protocol": "memory", "location": "/dj-test-store"}}
    backend = get_store_backend("mem", config)
    backend.put_buffer(b"in memory", "a/b")
    assert backend.get_buffer("a/b") == b"in memory"
    config["stores"] = {"bad": {"protocol": "no-such-protocol", "location": "x"}}
    with pytest.raises(ConfigError, match="bad"):
        get_store_backend("bad", config).fs  # noqa: B018


@pytest.mark.parametrize(
    ("location", "prefix"),
    [
        ("ephys", "ephys"),
        ("/leading/slash", "leading/slash"),
        ("leading\\slash\\test", "leading/slash/test"),
        ("f:\\leading/slash\\test", "leading/slash/test"),
        ("C:\\", ""),
        ("", ""),
    ],
)
def test_datajoint_014_types_read_an_s3_store_as_014_did(
    cfg: Config, location: str, prefix: str
) -> None:
    cfg["stores"]["lake"]["location"] = location
    legacy = cfg.get_store_spec("lake", legacy=True)
    assert legacy["secure"] is False  # 0.14: plain http unless the store says secure
    assert legacy["location"] == prefix  # Windows separators and drives as 0.14 read them
    assert cfg.get_store_spec("lake")["secure"] is True  # DataJoint 2: https by default
    cfg["stores"]["lake"]["secure"] = True
    assert cfg.get_store_spec("lake", legacy=True)["secure"] is True


def test_refusals_use_datajoint_words_and_say_what_to_do() -> None:
    """DataJoint's own words (missing, invalid, not configured, mutually exclusive) with
    what to change, so code and people that look for them find them."""

    class Keyed(StorageAdapter):
        protocol = "keyed-test"
        required_keys = ("endpoint",)
        allowed_keys = ("endpoint",)

        def create_filesystem(self, spec: dict) -> fsspec.AbstractFileSystem:
            return fsspec.filesystem("memory")

    with pytest.raises(ConfigError, match=r"missing endpoint; add them"):
        Keyed().validate_spec({"protocol": "keyed-test"})
    with pytest.raises(ConfigError, match=r"Invalid key\(s\) .*: bogus; remove them"):
        Keyed().validate_spec({"protocol": "keyed-test", "endpoint": "e", "bogus": 1})
    config = Config()
    with pytest.raises(ConfigError, match=r"stores.filepath_default is not configured; set"):
        config.get_store_spec(None, use_filepath_default=True)
    config["stores"] = {
        "main": {"protocol": "file", "location": "/x", "hash_prefix": "m", "schema_prefix": "m/s"}
    }
    with pytest.raises(ConfigError, match=r"overlap; .* mutually exclusive: make them separate"):
        config.get_store_spec("main")
