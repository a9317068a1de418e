"""PostgreSQL's side of access control: grants on a schema, its tables, its sequences and its
default privileges; the privileges held; refused statements and logins; TLS arguments.

PostgreSQL grants privileges per object, so a level is granted on the schema (``USAGE``,
``CREATE``), on all its tables and sequences, and as default privileges (``ALTER DEFAULT
PRIVILEGES FOR ROLE r IN SCHEMA s``) for every role that may create tables there, so tables
declared later are covered too. Dropping or altering a table stays its owner's right (the user
who declared it), as PostgreSQL has it; a GRANT cannot give it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .._log import logger
from ..errors import AccessError, ConfigError
from ._access import (
    LEVELS,
    Denial,
    GrantOn,
    LevelPrivileges,
    User,
    access_error,
    check_level,
    level_of,
    qualified_table,
    statement_privilege,
    unknown_user,
)
from ._tls import tls_options, verifies

if TYPE_CHECKING:
    from sqlalchemy import Connection

_READ = ("SELECT", "REFERENCES")
_WRITE = (*_READ, "INSERT", "UPDATE", "DELETE")
#: nextval() of a SERIAL (auto_increment) column needs USAGE on its sequence
_SEQUENCES = ("USAGE", "SELECT", "UPDATE")
_ALL = ("ALL PRIVILEGES",)
GRANTED = {
    "read": LevelPrivileges(schema=("USAGE",), tables=_READ),
    "write": LevelPrivileges(schema=("USAGE",), tables=_WRITE, sequences=_SEQUENCES),
    "declare": LevelPrivileges(schema=("USAGE", "CREATE"), tables=_WRITE, sequences=_SEQUENCES),
    "all": LevelPrivileges(schema=_ALL, tables=_ALL, sequences=_ALL),
}
#: What a role must hold to be listed at each level (``ALL PRIVILEGES`` as its parts).
HELD = {
    **GRANTED,
    "all": LevelPrivileges(
        schema=("USAGE", "CREATE"),
        tables=(*_WRITE, "TRUNCATE", "TRIGGER"),
        sequences=_SEQUENCES,
    ),
}

# The catalogs' access control lists have no SQLAlchemy constructs (aclexplode is a
# set-returning function over PostgreSQL's aclitem type); the schema name is a bound parameter.
_ACL_ROWS = sa.text(
    """
    SELECT x.target, x.object, r.rolname, r.rolsuper, x.privilege
    FROM (
        SELECT 'schema' AS target, n.nspname AS object, a.grantee, a.privilege_type AS privilege
        FROM pg_namespace n,
             aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
        WHERE n.nspname = :schema
        UNION ALL
        SELECT CASE WHEN c.relkind = 'S' THEN 'sequences' ELSE 'tables' END, c.relname,
               a.grantee, a.privilege_type
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
             aclexplode(coalesce(c.relacl, acldefault(
                 CAST(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END AS "char"),
                 c.relowner))) a
        WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'S')
        UNION ALL
        SELECT CASE WHEN d.defaclobjtype = 'S' THEN 'default sequences'
                    ELSE 'default tables' END,
               '', a.grantee, a.privilege_type
        FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace,
             aclexplode(d.defaclacl) a
        WHERE n.nspname = :schema AND d.defaclobjtype IN ('r', 'S')
    ) x JOIN pg_roles r ON r.oid = x.grantee
    """
)
# Roles that may create tables in the schema (its owner, holders of CREATE, this user), and
# whether this user may set default privileges for them (membership, or a superuser).
_CREATORS = sa.text(
    """
    SELECT r.rolname, pg_has_role(current_user, r.oid, 'MEMBER')
    FROM pg_roles r
    WHERE r.rolname = current_user
       OR r.oid = (SELECT nspowner FROM pg_namespace WHERE nspname = :schema)
       OR r.oid IN (
           SELECT a.grantee
           FROM pg_namespace n, aclexplode(n.nspacl) a
           WHERE n.nspname = :schema AND a.privilege_type = 'CREATE'
       )
       OR r.rolname = :also
    """
)
#: Notices PostgreSQL gives instead of an error when the granting user lacks the right.
_NOT_GRANTED = ("no privileges were granted", "not all privileges were granted", "could be revoked")

_DENIED = re.compile(
    r"permission denied for (?P<kind>table|relation|view|sequence|schema|database) (?P<name>.+)"
)
_NOT_OWNER = re.compile(
    r"must be owner of (?P<kind>table|relation|view|sequence|index|schema|database) (?P<name>.+)"
)
#: ``CREATE TABLE schema.name``: group 1 is the table's name (quoted or not).
_CREATED = re.compile(
    r'CREATE TABLE (?:IF NOT EXISTS )?(?:"(?:[^"]|"")+"|[\w$]+)\.("((?:[^"]|"")+)"|[\w$]+)',
    re.I,
)
_CREATED_SCHEMA = re.compile(r'CREATE SCHEMA (?:IF NOT EXISTS )?("(?:[^"]|"")+"|[\w$]+)', re.I)
_LOGIN_REFUSED = (
    "password authentication failed",
    "no pg_hba.conf entry",
    "no password supplied",
    "pg_hba.conf rejects",
)


def tls_connect_args(use_tls: bool | dict[str, Any]) -> dict[str, Any]:
    """libpq's ``sslmode`` and certificate files for DataJoint's ``use_tls``."""
    if use_tls is False:
        return {"sslmode": "disable"}
    options = tls_options(use_tls)
    unsupported = sorted({"capath", "cipher"} & set(options))
    if unsupported:
        raise ConfigError(
            f"use_tls: {', '.join(unsupported)} is not supported on PostgreSQL; give the CA "
            "file as 'ca'."
        )
    verify, check_hostname = verifies(options)
    mode = "verify-full" if check_hostname else "verify-ca" if verify else "require"
    args: dict[str, Any] = {"sslmode": mode}
    names = {"cert": "sslcert", "key": "sslkey", "password": "sslpassword"}
    if verify:
        names["ca"] = "sslrootcert"
    args.update({names[k]: v for k, v in options.items() if k in names and v is not None})
    return args


def denial(error: BaseException, statement: str | None) -> Denial | None:
    """What a refused statement (SQLSTATE 42501) lacked; PostgreSQL names a table without
    its schema and never the privilege, so both come from the statement."""
    orig = getattr(error, "orig", error)
    if getattr(orig, "pgcode", None) != "42501":
        return None
    first = (str(orig).strip().splitlines() or [""])[0]
    needed = statement_privilege(statement)
    owner = _NOT_OWNER.search(first)
    if owner is not None:
        return Denial("ownership", _target(owner["kind"], owner["name"], statement))
    found = _DENIED.search(first)
    if found is None:
        return Denial(needed, f"an object the statement uses ({first})")
    kind, name = found["kind"], found["name"]
    if kind == "sequence":
        return Denial("USAGE", _target(kind, name, statement))
    if kind in ("schema", "database"):
        target = _target(kind, name, statement)
        if needed != "CREATE":
            return Denial("USAGE", target)
        created = _CREATED.search(statement or "")
        if created is not None:  # the table being declared, with its schema
            target += f" (to create table {qualified_table(_unquoted(created[1]), statement)})"
        created = _CREATED_SCHEMA.search(statement or "")
        if created is not None:
            target += f" (to create schema `{_unquoted(created[1])}`)"
        return Denial("CREATE", target)
    return Denial(needed, _target(kind, name, statement))


def _unquoted(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _target(kind: str, name: str, statement: str | None) -> str:
    if kind in ("schema", "database"):
        return f"{kind} `{name}`"
    return f"{'sequence' if kind == 'sequence' else 'table'} {qualified_table(name, statement)}"


def refused_login(error: BaseException) -> bool:
    """Whether a connection failed on its credentials (libpq's messages carry no SQLSTATE)."""
    orig = getattr(error, "orig", error)
    if getattr(orig, "pgcode", None) in ("28P01", "28000"):
        return True
    text = str(orig)
    return any(reason in text for reason in _LOGIN_REFUSED) or (
        "FATAL" in text and re.search(r'role "[^"]*" does not exist', text) is not None
    )


def grant(conn: Connection, schema: str, user: str, level: str, *, server: str) -> None:
    """GRANT the level on the schema, its tables and sequences, and as default privileges of
    every role that may create tables there; a role that may create tables gets default
    privileges for the other grantees too."""
    who = User.parse(user, hosts=False)
    wanted = GRANTED[check_level(level)]
    creates = "CREATE" in wanted.schema or wanted.schema == _ALL
    others = {name: held for name, held in privileges(conn, schema).items() if name != who.name}
    _run(conn, _on_objects(wanted, schema, who, revoke=False), schema, server)
    statements: list[GrantOn] = []
    for creator in _creators(conn, schema, who.name if creates else None):
        statements += _defaults(wanted, schema, who, creator, revoke=False)
    if creates:
        for name, held in others.items():
            if held in LEVELS:
                statements += _defaults(GRANTED[held], schema, User(name), who.name, revoke=False)
    _run(conn, statements, schema, server)


def revoke(conn: Connection, schema: str, user: str, level: str, *, server: str) -> None:
    """REVOKE everything on the schema, its tables, sequences and default privileges, then
    grant the level below ``level`` again."""
    who = User.parse(user, hosts=False)
    below = LEVELS[: LEVELS.index(check_level(level))]
    everything = GRANTED["all"]
    _run(conn, _on_objects(everything, schema, who, revoke=True), schema, server)
    statements: list[GrantOn] = []
    for creator in _creators(conn, schema, None):
        statements += _defaults(everything, schema, who, creator, revoke=True)
    _run(conn, statements, schema, server)
    if below:
        grant(conn, schema, user, below[-1], server=server)


def privileges(conn: Connection, schema: str) -> dict[str, str]:
    """Each role with privileges on the schema or its tables, and its level: what it holds on
    the schema and on *every* table and sequence (the default privileges when there are no
    tables yet). Superusers hold everything and are not listed."""
    rows = conn.execute(_ACL_ROWS, {"schema": schema}).all()
    objects: dict[str, set[str]] = {"tables": set(), "sequences": set()}
    held: dict[tuple[str, str, str], set[str]] = {}
    superusers: set[str] = set()
    for target, obj, role, superuser, privilege in rows:
        if target in objects:
            objects[target].add(obj)
        if superuser:
            superusers.add(role)
        held.setdefault((role, target, obj), set()).add(str(privilege))
    levels: dict[str, str] = {}
    for role in sorted({role for role, _, _ in held} - superusers):
        mine: dict[str, set[str] | None] = {"schema": held.get((role, "schema", schema), set())}
        for kind, names in objects.items():
            if names:
                mine[kind] = set.intersection(*(held.get((role, kind, n), set()) for n in names))
            else:  # none yet: the default privileges say what new ones will give
                default = held.get((role, f"default {kind}", ""))
                mine[kind] = default if default is not None else set() if kind == "tables" else None
        levels[role] = level_of(mine, HELD)
    return levels


def _on_objects(wanted: LevelPrivileges, schema: str, who: User, *, revoke: bool) -> list[GrantOn]:
    statements = [GrantOn(wanted.schema, "schema", schema, who, revoke=revoke)]
    statements.append(GrantOn(wanted.tables, "tables", schema, who, revoke=revoke))
    if wanted.sequences:
        statements.append(GrantOn(wanted.sequences, "sequences", schema, who, revoke=revoke))
    return statements


def _defaults(
    wanted: LevelPrivileges, schema: str, who: User, creator: str, *, revoke: bool
) -> list[GrantOn]:
    statements = [GrantOn(wanted.tables, "tables", schema, who, revoke=revoke, default_for=creator)]
    if wanted.sequences:
        statements.append(
            GrantOn(wanted.sequences, "sequences", schema, who, revoke=revoke, default_for=creator)
        )
    return statements


def _creators(conn: Connection, schema: str, also: str | None) -> list[str]:
    """The roles that may create tables in ``schema`` whose default privileges this user may
    set (a warning names the others: tables they declare later are not covered)."""
    found = []
    for role, allowed in conn.execute(_CREATORS, {"schema": schema, "also": also or ""}):
        if allowed:
            found.append(str(role))
        else:
            logger.warning(
                "Tables that role %s declares later in schema %s are not covered by this "
                "grant: setting default privileges for a role needs membership in it (or a "
                "superuser); have %s run the grant too.",
                role,
                schema,
                role,
            )
    return sorted(found)


class _KeptNotices(list):  # type: ignore[type-arg]  # psycopg2 appends str
    """psycopg2's ``connection.notices``, keeping what arrives: SQLAlchemy logs and clears
    the list after each statement."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[str] = []

    def append(self, notice: str) -> None:
        self.kept.append(notice)
        super().append(notice)


def _run(conn: Connection, statements: list[GrantOn], schema: str, server: str) -> None:
    """Run the statements; PostgreSQL only warns when the granting user may not grant (no
    GRANT OPTION), so its notices are read and turned into an AccessError."""
    dbapi: Any = conn.connection.dbapi_connection
    saved, dbapi.notices = dbapi.notices, _KeptNotices()
    try:
        for statement in statements:
            dbapi.notices.kept.clear()
            try:
                conn.execute(statement)
            except sa.exc.DBAPIError as err:
                if getattr(err.orig, "pgcode", None) == "42704":  # undefined_object: the role
                    raise unknown_user(str(statement.user), server) from err
                raise
            refused = [n.strip() for n in dbapi.notices.kept if any(s in n for s in _NOT_GRANTED)]
            if refused:
                denied = Denial("GRANT OPTION", f"schema `{schema}` or its tables")
                raise AccessError(
                    f"{access_error(denied, user=conn.engine.url.username, server=server)} "
                    f"(PostgreSQL: {refused[0]})"
                )
    finally:
        dbapi.notices = saved
