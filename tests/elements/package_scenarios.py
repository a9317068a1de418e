"""Scenarios of published DataJoint tools other than the Elements: pharus (a REST server for
DataJoint pipelines), datajoint-link (copies rows between two DataJoint databases) and djmux
(activates table-set packages under per-package schema prefixes).

Each one uses the package as its documentation says, unmodified, on the database of the test
(``DJ_SQLA_URL``) with schemas named ``<DATABASE_PREFIX>_<suffix>``; what it fetched goes into
``facts``. Imported only in the runner's subprocess, after ``dj_sqla.install_as_datajoint()``;
the packages are imported inside the scenarios, as they import ``datajoint`` when loaded.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scenario_support import check, facts, plain, stage, write_video
from schema_names import schema_name


def _zoo(schema: Any, dj: Any) -> dict[str, Any]:
    """A small pipeline: a manual table with a blob, a lookup, a master with a part and a
    computed table."""

    @schema
    class Animal(dj.Manual):
        definition = """
        animal_id : int
        ---
        species : varchar(20)
        born = null : date
        weight = null : float
        notes = null : longblob
        """

    @schema
    class Color(dj.Lookup):
        definition = """
        color : varchar(10)
        """
        contents = [("red",), ("blue",)]

    @schema
    class Tag(dj.Manual):
        definition = """
        -> Animal
        -> Color
        """

        class Note(dj.Part):
            definition = """
            -> master
            n : int
            """

    @schema
    class Double(dj.Computed):
        definition = """
        -> Animal
        ---
        twice : float
        """

        def make(self, key: dict[str, Any]) -> None:
            weight = (Animal & key).fetch1("weight")
            self.insert1({**key, "twice": 2 * (weight or 0.0)})

    return {"Animal": Animal, "Color": Color, "Tag": Tag, "Double": Double}


def _restriction(*conditions: tuple[str, str, Any]) -> str:
    """pharus's `restriction` query parameter: base64 of a JSON list of filters."""
    filters = [
        {"attributeName": name, "operation": op, "value": value} for name, op, value in conditions
    ]
    return base64.b64encode(json.dumps(filters).encode()).decode()


def _rsa_keys() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    public = key.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def scenario_pharus() -> None:
    import datajoint as dj

    stage("declaring a small pipeline for pharus")
    name = schema_name("pharus")
    tables = _zoo(dj.Schema(name), dj)
    tables["Animal"].insert(
        [
            {"animal_id": 1, "species": "mouse", "born": "2026-01-02", "weight": 3.5},
            {"animal_id": 2, "species": "rat"},
        ]
    )
    tables["Double"].populate()
    stage("starting pharus's Flask app and logging in with the database URL")
    os.environ["PHARUS_PRIVATE_KEY"], os.environ["PHARUS_PUBLIC_KEY"] = _rsa_keys()
    from pharus.server import app

    client = app.test_client()
    login = client.post(
        "/login",
        json={"databaseAddress": os.environ["DJ_SQLA_URL"], "username": "dj", "password": "dj"},
    )
    check(login.status_code == 200, f"/login failed: {login.data.decode()[-1500:]}")
    headers = {"Authorization": f"Bearer {login.json['jwt']}"}
    table_path = f"/schema/{name}/table"

    def get(path: str, **query: str) -> Any:
        reply = client.get(path, headers=headers, query_string=query)
        check(reply.status_code == 200, f"GET {path}: {reply.data.decode()[-1500:]}")
        return reply.json if reply.is_json else reply.data.decode()

    stage("listing schemas and tables through pharus")
    # pharus lists schemas with MySQL's own SQL (information_schema, "..." strings)
    schemas = client.get("/schema", headers=headers)
    facts["schema_list"] = schemas.status_code == 200 and name in schemas.json["schemaNames"]
    facts["tables"] = get(table_path)["tableTypes"]
    stage("reading records, attributes and the definition through pharus")
    records = get(f"{table_path}/Animal/record", order="animal_id ASC")
    facts["records"] = records["records"]
    heavy = get(f"{table_path}/Animal/record", restriction=_restriction(("weight", ">", 1)))
    facts["heavy"] = [row[0] for row in heavy["records"]]
    attributes = get(f"{table_path}/Animal/attribute")["attributes"]
    facts["attributes"] = [row[:4] for row in attributes["primary"] + attributes["secondary"]]
    facts["definition"] = get(f"{table_path}/Tag.Note/definition")
    stage("inserting, updating and deleting through pharus")
    inserted = client.post(
        f"{table_path}/Tag/record",
        headers=headers,
        json={"records": [{"animal_id": 1, "color": "red"}]},
    )
    check(inserted.status_code == 200, inserted.data.decode()[-1500:])
    updated = client.patch(
        f"{table_path}/Animal/record",
        headers=headers,
        json={"records": [{"animal_id": 2, "species": "hamster"}]},
    )
    check(updated.status_code == 200, updated.data.decode()[-1500:])
    dependency = get(
        f"{table_path}/Animal/dependency", restriction=_restriction(("animal_id", "=", 1))
    )
    facts["dependency"] = sorted((d["table"], d["count"]) for d in dependency["dependencies"])
    first = _restriction(("animal_id", "=", 1))
    refused = client.delete(
        f"{table_path}/Animal/record", headers=headers, query_string={"restriction": first}
    )
    facts["refused_delete"] = [refused.status_code, refused.json and refused.json["childTable"]]
    cascaded = client.delete(
        f"{table_path}/Animal/record",
        headers=headers,
        query_string={"restriction": first, "cascade": "true"},
    )
    check(cascaded.status_code == 200, cascaded.data.decode()[-1500:])
    facts["left"] = plain(tables["Animal"].fetch("animal_id", "species"))
    facts["tags"] = len(tables["Tag"]())


def _link_source(dj: Any) -> Any:
    schema = dj.Schema(schema_name("link_src"), connection=dj.Connection(os.environ["DJ_SQLA_URL"]))

    @schema
    class Animal(dj.Manual):
        definition = """
        animal_id : int
        ---
        species : varchar(20)
        note = "" : varchar(40)
        born = null : date
        created = CURRENT_TIMESTAMP : timestamp
        """

        class Weight(dj.Part):
            definition = """
            -> master
            day : int
            ---
            grams : float
            """

    return Animal


def scenario_datajoint_link() -> None:
    import datajoint as dj

    stage("declaring the source table on the 'source server' (the test's database)")
    Source = _link_source(dj)
    Source.insert([{"animal_id": i, "species": "mouse" if i % 2 else "rat"} for i in (1, 2, 3)])
    Source.Weight.insert(
        [{"animal_id": i, "day": d, "grams": 10.0 + d} for i in (1, 2, 3) for d in (0, 1)]
    )
    stage("linking it (datajoint-link's `link` decorator)")
    url = os.environ["DJ_SQLA_URL"]
    dj.config["database.host"] = url  # the local side: dj.config's host, as the package reads it
    os.environ["LINK_USER"], os.environ["LINK_PASS"] = "dj", "dj"
    from link import link

    @link(
        url,
        schema_name("link_src"),
        schema_name("link_out"),
        "AnimalOutbound",
        schema_name("link_local"),
    )
    class Animal:
        """The source table, pulled into the local schema."""

    local: Any = Animal
    facts["source_rows"] = len(local().source)
    stage("pulling rows from the source")
    (local().source & "animal_id < 3").pull()
    facts["local"] = plain(local().fetch("animal_id", "species", "note", order_by="animal_id"))
    facts["local_parts"] = len(local().Weight())
    stage("flagging a row at the source and deleting it locally")
    outbound = local().source._outbound_table()
    row = (outbound & {"animal_id": 1}).fetch1()
    (outbound & row).delete_quick()
    outbound.insert1({**row, "is_flagged": "TRUE"})
    facts["flagged"] = plain(local().source.flagged)
    (local() & local().source.flagged).delete()
    facts["after_delete"] = plain(local().fetch("animal_id").tolist())
    facts["outbound"] = plain((outbound & {"animal_id": 1}).fetch1("is_flagged", "is_deprecated"))


def scenario_djmux() -> None:
    import datajoint as dj

    stage("loading djmux's config file (per-package schema prefixes)")
    import djmux

    config = Path("djmux.yaml")
    config.write_text(
        textwrap.dedent(
            f"""
            datajoint:
              use_tls: false
            prefixes:
              rigs: {schema_name("djmux")}
            """
        )
    )
    djmux.load(config)
    stage("activating a table-set package under its prefix")
    import djmux_rigs as module

    schema = module.activate()
    facts["schema"] = schema.database
    module.Run.insert1({"rig": "r2", "run_id": 7})
    facts["runs"] = plain((module.Run * module.Rig).fetch("KEY"))
    facts["tables"] = sorted(schema.list_tables())
    stage("a per-file schema with djmux.get_datajoint_schema")
    eager = djmux.get_datajoint_schema(f"{os.getcwd()}/extra.py", module, key="rigs")

    @eager
    class Note(dj.Manual):
        definition = """
        -> Run
        note : varchar(20)
        """

    Note.insert1({"rig": "r2", "run_id": 7, "note": "ok"})
    facts["eager"] = [eager.database, len(Note * module.Run)]


def scenario_pose_pipeline() -> None:
    import datajoint as dj

    stage("configuring pose-pipeline's schema prefix and its `localattach` store")
    dj.config["custom"] = {"database.prefix": schema_name("")}
    store = Path("store").resolve()
    store.mkdir()
    dj.config["stores"] = {"localattach": {"protocol": "file", "location": str(store)}}
    stage("importing and activating pose_pipeline")
    from pose_pipeline import pipeline

    stage("inserting a video (an attachment) and populating VideoInfo")
    video = Path("20260304-123015Z.avi").resolve()
    write_video(video, frames=6)
    entry = pipeline.Video.make_entry(str(video))
    pipeline.Video.insert1({**entry, "video_project": "demo"})
    facts["populate_result"] = plain(pipeline.VideoInfo.populate())
    info = pipeline.VideoInfo.fetch1()
    facts["info"] = plain([info["fps"], info["num_frames"], info["width"], info["height"]])
    facts["tables"] = len(pipeline.schema.list_tables())


SCENARIOS: dict[str, Callable[[], None]] = {
    name.removeprefix("scenario_"): function
    for name, function in dict(globals()).items()
    if name.startswith("scenario_")
}
