"""The public surface: sorted __all__, every error under DataJointError, no server needed."""

from __future__ import annotations

import inspect

import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla import errors
from dj_sqla.backends import url_from_settings


def test_all_is_sorted_and_complete() -> None:
    assert list(dj.__all__) == sorted(dj.__all__)
    for name in dj.__all__:
        assert hasattr(dj, name), name


def test_every_error_derives_from_datajoint_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)]
    assert len(classes) >= 10
    for cls in classes:
        assert issubclass(cls, dj.DataJointError)
        assert getattr(dj, cls.__name__) is cls


def test_schema_alias() -> None:
    assert dj.schema is dj.Schema


def test_urls_from_datajoint_style_settings(tmp_path: object) -> None:
    def url(**kw: object) -> sa.URL:
        base: dict[str, object] = {
            "backend": None,
            "host": None,
            "port": None,
            "user": None,
            "password": None,
            "name": None,
            "sqlite_dir": "/data/lab",
        }
        base.update(kw)
        return url_from_settings(**base)  # type: ignore[arg-type]

    assert url().render_as_string() == "sqlite:////data/lab/main.db"
    mysql = url(host="db.example.org:3307", user="alice", password="s3cret")
    assert mysql.drivername == "mysql+pymysql"
    assert (mysql.host, mysql.port, mysql.database) == ("db.example.org", 3307, None)
    pg = url(backend="postgresql", host="pg", user="bob")
    assert (pg.drivername, pg.port, pg.database) == ("postgresql+psycopg2", 5432, "postgres")
    assert url(backend="postgresql", host="pg", name="lab").database == "lab"
