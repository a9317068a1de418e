"""Access control on the servers: privilege levels, GRANT/REVOKE statements, and refusals.

A dj_sqla schema is the unit of access, as in DataJoint. :data:`LEVELS` are cumulative:

* ``read``: query the schema's tables (and reference them from tables declared elsewhere);
* ``write``: also insert, update and delete rows (job tables included);
* ``declare``: also declare, alter and drop tables;
* ``all``: every privilege the server grants on the schema.

Each backend says which privileges a level holds (:class:`LevelPrivileges`); the statements
are SQLAlchemy constructs compiled per dialect (:class:`GrantOn`), so they print with
``stmt.compile(dialect=...)`` and bind what can be bound (MySQL's user and host). A refused
statement becomes :class:`~dj_sqla.errors.AccessError` naming the table and the privilege
(:func:`access_error`), a refused login an error naming the user, never the password.

Example:
    >>> from sqlalchemy.dialects import mysql, postgresql
    >>> grant = GrantOn(("SELECT",), "schema", "lab", User("alice"))
    >>> print(grant.compile(dialect=mysql.dialect()))
    GRANT SELECT ON `lab`.* TO %s@%s
    >>> print(grant.compile(dialect=postgresql.dialect()))
    GRANT SELECT ON SCHEMA lab TO alice
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from ..errors import AccessError, DataJointError

#: The privilege levels of ``schema.grant``, weakest first; each includes the ones before it.
LEVELS = ("read", "write", "declare", "all")
#: What a user holding some privileges on a schema, but not all of ``read``, is listed as.
PARTIAL = "partial"

#: Privilege keywords the statements may name (they are SQL keywords, never user input).
_KEYWORDS = frozenset(
    {
        "ALL PRIVILEGES",
        "ALTER",
        "CREATE",
        "DELETE",
        "DROP",
        "INDEX",
        "INSERT",
        "REFERENCES",
        "SELECT",
        "TRIGGER",
        "TRUNCATE",
        "UPDATE",
        "USAGE",
    }
)
#: What ``on`` of :class:`GrantOn` may be: the schema itself, or all its tables or sequences.
_TARGETS = ("schema", "tables", "sequences")

#: A user name: letters, digits, ``_``, ``.``, ``-`` and ``$`` (MySQL: optionally ``@host``).
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.$-]{0,79}")
_HOST = re.compile(r"[A-Za-z0-9_.%:-]{1,255}")


@dataclass(frozen=True)
class User:
    """A database user as ``schema.grant`` names it: ``alice``, or on MySQL ``alice@host``
    (the host defaults to ``%``, any host).

    Example:
        >>> User.parse("alice@10.0.0.%")
        User(name='alice', host='10.0.0.%')
    """

    name: str
    host: str = "%"

    @classmethod
    def parse(cls, text: object, *, hosts: bool = True) -> User:
        """The user named by ``text``; anything else is refused before a statement is sent.

        Raises:
            DataJointError: not a user name this backend accepts.
        """
        if not isinstance(text, str):
            raise DataJointError(f"A user name is a string, not {type(text).__name__}.")
        name, at, host = text.partition("@")
        if at and not hosts:
            raise DataJointError(
                f"{text!r} is not a PostgreSQL role name: PostgreSQL roles have no host part; "
                "give the role name alone."
            )
        if not _USER.fullmatch(name) or (at and not _HOST.fullmatch(host)):
            rule = " (MySQL: optionally followed by @host)" if hosts else ""
            raise DataJointError(
                f"{text!r} cannot be a user name: use up to 80 letters, digits, `_`, `.`, `-` "
                f"or `$`{rule}."
            )
        return cls(name, host if at else "%")

    def __str__(self) -> str:
        return self.name if self.host == "%" else f"{self.name}@{self.host}"


def check_level(level: object) -> str:
    """``level`` if it is one of :data:`LEVELS`, else a clear error.

    Example:
        >>> check_level("write")
        'write'
    """
    if level not in LEVELS:
        raise DataJointError(
            f"{level!r} is not a privilege level; use one of {', '.join(map(repr, LEVELS))}."
        )
    return str(level)


@dataclass(frozen=True)
class LevelPrivileges:
    """The privileges one level holds on a backend: on the schema, its tables and its
    sequences (each tuple names SQL privilege keywords)."""

    schema: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()


def level_of(held: dict[str, set[str] | None], levels: dict[str, LevelPrivileges]) -> str:
    """The highest level whose privileges ``held`` includes, ``partial`` below ``read``.

    ``held`` maps each target (``schema``, ``tables``, ``sequences``) to the privileges held
    on every object of that kind, or to None when the schema has no such object (then any
    level is satisfied there).

    Example:
        >>> levels = {"read": LevelPrivileges(schema=("SELECT",)),
        ...           "write": LevelPrivileges(schema=("SELECT", "INSERT"))}
        >>> level_of({"schema": {"SELECT"}}, levels), level_of({"schema": {"INSERT"}}, levels)
        ('read', 'partial')
    """
    found = PARTIAL
    for name in LEVELS:
        wanted = levels.get(name)
        if wanted is None:
            break
        for target in _TARGETS:
            have = held.get(target, set())
            if have is not None and not set(getattr(wanted, target)) <= have:
                return found
        found = name
    return found


class GrantOn(Executable, ClauseElement):
    """``GRANT`` (or ``REVOKE``) of privileges on a schema, all its tables or all its
    sequences, to (from) a user; with ``default_for``, PostgreSQL's ``ALTER DEFAULT
    PRIVILEGES FOR ROLE ...`` for the tables (sequences) that role creates later.

    Compiled per dialect below; SQLite has no users and no compilation.
    """

    inherit_cache = False

    def __init__(
        self,
        privileges: tuple[str, ...],
        on: str,
        schema: str,
        user: User,
        *,
        revoke: bool = False,
        default_for: str | None = None,
    ) -> None:
        unknown = [p for p in privileges if p not in _KEYWORDS]
        if unknown or on not in _TARGETS or not privileges:
            raise DataJointError(f"Cannot grant {privileges!r} on {on!r}.")  # a bug if seen
        self.privileges = privileges
        self.on = on
        self.schema = schema
        self.user = user
        self.revoke = revoke
        self.default_for = default_for


def escape_schema_pattern(name: str) -> str:
    """A schema name as MySQL's database-level GRANT must spell it: ``_`` and ``%`` are
    wildcards there, so ``lab_x`` would also match ``labax``.

    Example:
        >>> escape_schema_pattern("lab_x")
        'lab\\\\_x'
    """
    return name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


@compiles(GrantOn, "mysql")
@compiles(GrantOn, "mariadb")
def _grant_mysql(element: GrantOn, compiler: Any, **kw: Any) -> str:
    """``GRANT ... ON `schema`.* TO 'user'@'host'`` with the user and host bound."""
    if element.on != "schema" or element.default_for is not None:
        raise DataJointError("MySQL grants privileges on a whole database only.")  # a bug
    quoted = compiler.preparer.quote_identifier(escape_schema_pattern(element.schema))
    user = compiler.process(sa.bindparam("user", element.user.name), **kw)
    host = compiler.process(sa.bindparam("host", element.user.host), **kw)
    verb, to = ("REVOKE", "FROM") if element.revoke else ("GRANT", "TO")
    return f"{verb} {', '.join(element.privileges)} ON {quoted}.* {to} {user}@{host}"


@compiles(GrantOn, "postgresql")
def _grant_postgresql(element: GrantOn, compiler: Any, **kw: Any) -> str:
    """``GRANT ... ON SCHEMA s`` / ``ON ALL TABLES IN SCHEMA s`` / ``ALTER DEFAULT
    PRIVILEGES FOR ROLE r IN SCHEMA s GRANT ... ON TABLES``; names quoted by the dialect
    (role names are identifiers, which cannot be bound)."""
    preparer = compiler.preparer
    schema = preparer.quote_schema(element.schema)
    user = preparer.quote(element.user.name)
    verb, to = ("REVOKE", "FROM") if element.revoke else ("GRANT", "TO")
    privileges = ", ".join(element.privileges)
    if element.default_for is not None:
        kind = "TABLES" if element.on == "tables" else "SEQUENCES"
        return (
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {preparer.quote(element.default_for)} "
            f"IN SCHEMA {schema} {verb} {privileges} ON {kind} {to} {user}"
        )
    target = {
        "schema": f"SCHEMA {schema}",
        "tables": f"ALL TABLES IN SCHEMA {schema}",
        "sequences": f"ALL SEQUENCES IN SCHEMA {schema}",
    }[element.on]
    return f"{verb} {privileges} ON {target} {to} {user}"


# -- refusals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Denial:
    """What a refused statement lacked: ``privilege`` on ``target`` (``table `s`.`t```,
    ``schema `s```, ...), for ``user`` when the server says who."""

    privilege: str
    target: str
    user: str | None = None


#: The level that first holds a privilege, for the advice in an AccessError.
_LEVEL_OF_PRIVILEGE = {
    "SELECT": "read",
    "USAGE": "read",
    "REFERENCES": "read",
    "INSERT": "write",
    "UPDATE": "write",
    "DELETE": "write",
    "CREATE": "declare",
    "ALTER": "declare",
    "INDEX": "declare",
    "DROP": "declare",
}


def statement_privilege(statement: str | None) -> str:
    """The privilege a statement needs, from its first words (PostgreSQL does not say).

    Example:
        >>> statement_privilege("INSERT INTO s.t (a) VALUES (%(a)s) ON CONFLICT (a) DO UPDATE")
        'INSERT and UPDATE'
        >>> statement_privilege("BEGIN; DELETE FROM s.t")
        'DELETE'
    """
    words = (statement or "").upper().split()
    while words[:1] in (["BEGIN;"], ["BEGIN"]):
        words = words[1:]
    verb = words[0] if words else ""
    text = " ".join(words)
    if verb == "INSERT" and ("DO UPDATE" in text or "ON DUPLICATE KEY UPDATE" in text):
        return "INSERT and UPDATE"
    known = {
        "SELECT": "SELECT",
        "WITH": "SELECT",
        "SHOW": "SELECT",
        "INSERT": "INSERT",
        "REPLACE": "INSERT and DELETE",
        "COPY": "INSERT",
        "UPDATE": "UPDATE",
        "DELETE": "DELETE",
        "CREATE": "CREATE",
        "ALTER": "ALTER",
        "DROP": "DROP",
        "GRANT": "GRANT OPTION",
        "REVOKE": "GRANT OPTION",
    }
    return known.get(verb, verb or "required")


def access_error(denial: Denial, *, user: str | None, server: str) -> AccessError:
    """The :class:`AccessError` for a refused statement: who lacks what on which table, and
    what to ask for."""
    who = denial.user or user or "the connection's user"
    level = _LEVEL_OF_PRIVILEGE.get(denial.privilege.split()[0])
    if denial.privilege == "ownership":
        lacks = f"is not the owner of {denial.target} (only its owner may change or drop it)"
        advice = "Ask its owner or an administrator to do it."
    else:
        lacks = f"lacks the {denial.privilege} privilege on {denial.target}"
        advice = (
            f"Ask an administrator for it, e.g. schema.grant('{who}', '{level}')."
            if level is not None
            else "Ask an administrator for it."
        )
    return AccessError(
        f"Access denied on {server}: user `{who}` {lacks}; the statement was refused and "
        f"dj_sqla keeps nothing of the operation it belonged to. {advice}"
    )


def unknown_user(user: str, server: str) -> DataJointError:
    """The error for a grant to a user the server does not know."""
    return DataJointError(
        f"User `{user}` does not exist on {server}; an administrator creates it first "
        "(MySQL: CREATE USER ... IDENTIFIED BY ...; PostgreSQL: CREATE ROLE ... LOGIN "
        "PASSWORD ...), then grants."
    )


def refused_login(user: str | None, server: str) -> AccessError:
    """The error for credentials the server refused; it names the user, never the password."""
    return AccessError(
        f"{server} refused the login of user `{user or ''}`: the user does not exist, the "
        "password is wrong, or the user may not connect from here. Check database.user and "
        "database.password (DJ_USER / DJ_PASS, or the .secrets folder)."
    )


def qualified_table(name: str, statement: str | None) -> str:
    """``name`` (as PostgreSQL names a refused table: without its schema) with the schema
    the statement gives it, as ```schema`.`table```.

    Example:
        >>> qualified_table("mouse", 'DELETE FROM lab.mouse WHERE lab.mouse.id = 1')
        '`lab`.`mouse`'
    """
    plain = re.escape(name)
    quoted = re.escape('"' + name.replace('"', '""') + '"')
    found = re.search(
        rf'(?:"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))\.(?:{quoted}|{plain}(?![\w$]))',
        statement or "",
    )
    if found is None:
        return f"`{name}`"
    schema = found.group(1).replace('""', '"') if found.group(1) else found.group(2)
    return f"`{schema}`.`{name}`"
