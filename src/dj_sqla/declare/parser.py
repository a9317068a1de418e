"""Parse DataJoint table-definition text into plain, immutable declarations.

Pure: no database is touched, no referenced table resolved, no type checked. One item a line:

* ``# text`` as the first non-blank line is the table comment; other ``#`` lines are ignored;
* ``name [= default] : type [# comment]`` declares an attribute;
* ``-> [options] Table`` or ``-> Table.proj(new='old')`` declares a foreign key; so does the
  classic renaming form of DataJoint 0.11 and 0.12, ``(new, ...) -> [options] Table [(old, ...)]``;
* ``[unique] index(attr, ...)`` declares a secondary index;
* ``---`` (three or more dashes) separates the primary key from the other attributes.

Quotes and parentheses protect ``:``, ``=`` and ``#`` (``enum('a:b', 'c#d')`` is one type).
Problems raise :class:`~dj_sqla.errors.DefinitionError` naming the table, line number and text.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

from dj_sqla.errors import DefinitionError

__all__ = [
    "Attribute",
    "Definition",
    "ForeignKeyRef",
    "IndexDef",
    "parse_definition",
    "to_definition_text",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RENAMED_FROM = re.compile(r"\{\s*(\w+)\s*\}\s*(.*)", re.DOTALL)
#: The names of columns in tables that exist (reflected): whatever SQL allows unquoted.
_SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_INDEX = re.compile(r"(unique\s+)?index\s*\((.*)\)", re.IGNORECASE | re.DOTALL)
_AUTO_INCREMENT = re.compile(r"(?:(.*\S)\s+)?auto_increment", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", re.DOTALL)
_FK_OPTIONS = ("nullable", "unique")
#: ``(new, ...) -> rest``: DataJoint 0.11/0.12's way to rename the inherited attributes
_CLASSIC_FK = re.compile(r"\(([^()]*)\)\s*(->.*)", re.DOTALL)
#: what follows the options in the classic form: ``Table`` or ``Table (old, ...)``
_CLASSIC_TARGET = re.compile(r"([A-Za-z_][\w.]*)\s*(?:\(([^()]*)\))?", re.DOTALL)
_FORMS = (
    "write `name [= default] : type [# comment]`, `-> Table`, `[unique] index(attr, ...)` or `---`"
)
_NAME_RULE = "names start with a lowercase letter followed by lowercase letters, digits or `_`"
_REFERENCE_RULE = (
    "only a table (`-> Parent`, `-> module.Parent`) or `Table.proj(new='old')` can be referenced"
)


@dataclass(frozen=True)
class Attribute:
    """One attribute line: ``name [= default] : type [# comment]``.

    Example:
        >>> a = parse_definition("n = 3 : int32  # count").items[0]
        >>> (a.name, a.default, a.type, a.comment, a.in_key)
        ('n', '3', 'int32', 'count', True)
    """

    name: str
    type: str
    in_key: bool
    nullable: bool
    default: str | None
    comment: str
    auto_increment: bool
    line: int
    text: str
    #: ``{old_name}`` opening the comment: ``Table.alter()`` renames attribute ``old_name`` to
    #: this one (DataJoint's spelling). It is an instruction, not part of the stored comment.
    renamed_from: str | None = None


@dataclass(frozen=True)
class ForeignKeyRef:
    """One foreign-key line: ``-> [options] chain[.proj(new='old', ...)]``.

    Example:
        >>> fk = parse_definition("-> [unique] lab.Mouse.proj(donor='mouse_id')").items[0]
        >>> (fk.target, fk.renames, fk.unique, fk.nullable)
        (('lab', 'Mouse'), (('donor', 'mouse_id'),), True, False)
    """

    target: tuple[str, ...]
    renames: tuple[tuple[str, str], ...]
    nullable: bool
    unique: bool
    in_key: bool
    line: int
    text: str
    #: the classic ``(new) -> Table`` form without the old name: ``new`` renames the one
    #: primary-key attribute of ``Table`` that the table does not have yet (known only when
    #: ``Table`` is resolved)
    rename_remaining: str | None = None


@dataclass(frozen=True)
class IndexDef:
    """One index line: ``[unique] index(attr, ...)``.

    Example:
        >>> parse_definition("unique index(a, b)").indexes[0].attributes
        ('a', 'b')
    """

    attributes: tuple[str, ...]
    unique: bool
    line: int
    text: str


@dataclass(frozen=True)
class Definition:
    """A parsed definition: table comment, items in written order, and indexes.

    Example:
        >>> d = parse_definition("# a mouse\\nmouse_id : int32\\n---\\n-> Lab")
        >>> d.comment, [i.line for i in d.primary_items], [i.line for i in d.secondary_items]
        ('a mouse', [2], [4])
    """

    comment: str
    items: tuple[Attribute | ForeignKeyRef, ...]
    indexes: tuple[IndexDef, ...]

    @property
    def primary_items(self) -> tuple[Attribute | ForeignKeyRef, ...]:
        """Items above ``---``, in written order.

        Example:
            >>> [a.name for a in parse_definition("a : int32\\n---\\nb : int32").primary_items]
            ['a']
        """
        return tuple(item for item in self.items if item.in_key)

    @property
    def secondary_items(self) -> tuple[Attribute | ForeignKeyRef, ...]:
        """Items below ``---``, in written order.

        Example:
            >>> [a.name for a in parse_definition("a : int32\\n---\\nb : int32").secondary_items]
            ['b']
        """
        return tuple(item for item in self.items if not item.in_key)

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        """The attribute lines only (foreign keys left out), in written order.

        Example:
            >>> [a.name for a in parse_definition("-> Lab\\nx : int32").attributes]
            ['x']
        """
        return tuple(item for item in self.items if isinstance(item, Attribute))


class _Problem(Exception):
    """What is wrong with the current line; turned into a DefinitionError with its location."""


@functools.cache
def _scanner(wanted: str) -> re.Pattern[str]:
    """What :func:`_find` looks at: quoted text (with backslash escapes), a quote that is
    never closed, parentheses, and ``wanted``; the regex skips everything else at once."""
    return re.compile(rf"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|['"()]|{re.escape(wanted)}""")


def _find(code: str, wanted: str) -> int:
    """Index of the first ``wanted`` outside quotes and parentheses, or -1 (then the whole
    line was checked for balanced quotes and parentheses)."""
    depth = 0
    for match in _scanner(wanted).finditer(code):
        token = match.group()
        if token == wanted:
            if not depth:
                return match.start()
        elif token == "(":
            depth += 1
        elif token == ")":
            if not depth:
                raise _Problem("unbalanced `)`; remove it or add the matching `(`")
            depth -= 1
        elif len(token) == 1:  # a quote whose text never ends
            raise _Problem(f"unterminated {token} quote; close the quoted text")
    if depth:
        raise _Problem("unclosed `(`; add the matching `)`")
    return -1


def _split_comment(line: str) -> tuple[str, str]:
    """Split a line at its first unprotected ``#`` into ``(code, comment)``, both stripped."""
    hash_at = _find(line, "#")
    if hash_at < 0:
        return line, ""
    return line[:hash_at].rstrip(), line[hash_at + 1 :].strip()


def _collapse(text: str) -> str:
    """Collapse whitespace runs to one space, leaving quoted text as written."""
    parts = _QUOTED.split(text)
    # re.split with one capturing group: odd pieces are the quoted strings.
    return "".join(
        part if index % 2 else re.sub(r"\s+", " ", part) for index, part in enumerate(parts)
    ).strip()


def _check_name(name: str, what: str, rule: re.Pattern[str] = _NAME) -> None:
    if not name:
        raise _Problem(f"missing {what}; {_FORMS}")
    if not rule.fullmatch(name):
        raise _Problem(f"invalid {what} `{name}`; {_NAME_RULE}")


def _parse_attribute(
    code: str, comment: str, *, in_key: bool, line: int, text: str, rule: re.Pattern[str]
) -> Attribute:
    colon = _find(code, ":")
    if colon < 0:
        raise _Problem(f"this line is not a definition item; {_FORMS}")
    head, type_text = code[:colon], code[colon + 1 :]
    equals = _find(head, "=")
    name = (head if equals < 0 else head[:equals]).strip()
    _check_name(name, "attribute name", rule)
    default: str | None = None
    nullable = False
    if equals >= 0:
        default = head[equals + 1 :].strip()
        if not default:
            raise _Problem("empty default after `=`; write a value such as `= 0` or drop the `=`")
        if default.lower() == "null":
            if in_key:
                raise _Problem(
                    "nullable attributes cannot be in the primary key; move the line below `---`"
                )
            nullable, default = True, None
    if comment.startswith(":"):
        raise _Problem("comments cannot start with `:` (reserved); reword the comment")
    type_ = _collapse(type_text)
    auto = _AUTO_INCREMENT.fullmatch(type_)
    if auto:
        type_ = auto.group(1) or ""
    if not type_:
        raise _Problem("missing type after `:`; write a type such as `int32` or `varchar(64)`")
    auto_increment = auto is not None
    renamed = _RENAMED_FROM.fullmatch(comment)
    renamed_from = None
    if renamed:
        renamed_from, comment = renamed.group(1), renamed.group(2)
        _check_name(renamed_from, "renamed attribute name in `{...}`")
    return Attribute(
        name, type_, in_key, nullable, default, comment, auto_increment, line, text, renamed_from
    )


def _chain(node: ast.expr) -> tuple[str, ...]:
    """``a.b.C`` as ``("a", "b", "C")``; anything but names and attributes is refused."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (*_chain(node.value), node.attr)
    raise _Problem(_REFERENCE_RULE)


def _rename(keyword: ast.keyword) -> tuple[str, str]:
    old = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
    if keyword.arg is None or not isinstance(old, str):
        raise _Problem(f"{_REFERENCE_RULE}; renames are written `new_name='old_name'`")
    _check_name(keyword.arg, "new attribute name")
    _check_name(old, "renamed attribute name")
    return keyword.arg, old


def _parse_reference(expr: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Read ``chain`` or ``chain.proj(new='old', ...)`` with ``ast`` (never evaluated)."""
    try:
        node = ast.parse(expr, mode="eval").body
    except (SyntaxError, ValueError):
        raise _Problem(f"cannot read `{expr}`; {_REFERENCE_RULE}") from None
    renames: tuple[tuple[str, str], ...] = ()
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "proj":
            raise _Problem(_REFERENCE_RULE)
        # `.proj('name', ...)` keeps other attributes of the parent, which a foreign key does
        # not inherit (only its primary key): DataJoint accepts and ignores them
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                raise _Problem(f"{_REFERENCE_RULE}; `.proj()` takes attribute names as text")
            _check_name(arg.value, "attribute name in `.proj()`")
        renames = tuple(_rename(keyword) for keyword in node.keywords)
        if len({new for new, _ in renames}) != len(renames):
            raise _Problem("a new name appears twice in `.proj(...)`; give each new name once")
        node = func.value
    return _chain(node), renames


def _names(text: str, what: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(","))
    for name in names:
        _check_name(name, what)
    return names


def _classic_renames(
    new_text: str, reference: str
) -> tuple[str, tuple[tuple[str, str], ...], str | None]:
    """The target, renames and remaining rename of ``(new, ...) -> Table [(old, ...)]``."""
    match = _CLASSIC_TARGET.fullmatch(reference)
    if match is None:
        raise _Problem(
            "the classic renaming form is `(new_name) -> Parent` or "
            "`(new_a, new_b) -> Parent (old_a, old_b)`; today write `-> Parent.proj(new='old')`"
        )
    new = _names(new_text, "new attribute name")
    if match.group(2) is None:
        if len(new) != 1:
            raise _Problem(
                "name the parent's attributes that the new names rename: "
                "`(new_a, new_b) -> Parent (old_a, old_b)`"
            )
        return match.group(1), (), new[0]
    old = _names(match.group(2), "renamed attribute name")
    if len(old) != len(new):
        raise _Problem(f"{len(new)} new names rename {len(old)} attributes; give one per attribute")
    return match.group(1), tuple(zip(new, old, strict=True)), None


def _parse_foreign_key(code: str, *, in_key: bool, line: int, text: str) -> ForeignKeyRef:
    classic = _CLASSIC_FK.fullmatch(code)
    if classic is not None:
        code = classic.group(2)
    rest = code[2:].strip()
    options: list[str] = []
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            raise _Problem("unclosed `[`; write options as `-> [nullable, unique] Parent`")
        options = [option.strip().lower() for option in rest[1:close].split(",")]
        options = [option for option in options if option]
        rest = rest[close + 1 :].strip()
    for option in options:
        if option not in _FK_OPTIONS:
            raise _Problem(f"unknown foreign-key option `{option}`; use `nullable` and/or `unique`")
    nullable = "nullable" in options
    if nullable and in_key:
        raise _Problem(
            "a nullable foreign key cannot be in the primary key; move the line below `---`"
        )
    if not rest:
        raise _Problem("missing table after `->`; write e.g. `-> Parent`")
    remaining = None
    if classic is not None:
        rest, classic_renames, remaining = _classic_renames(classic.group(1), rest)
    target, renames = _parse_reference(rest)
    if classic is not None:
        renames = classic_renames
    unique = "unique" in options
    return ForeignKeyRef(target, renames, nullable, unique, in_key, line, text, remaining)


def _parse_index(match: re.Match[str], *, line: int, text: str, rule: re.Pattern[str]) -> IndexDef:
    names = [name.strip() for name in match.group(2).split(",")]
    if names == [""]:
        raise _Problem("an index needs at least one attribute; write e.g. `index(session_date)`")
    for name in names:
        _check_name(name, "attribute name in the index", rule)
    if len(set(names)) != len(names):
        raise _Problem("an attribute is listed twice in the index; list each attribute once")
    return IndexDef(attributes=tuple(names), unique=bool(match.group(1)), line=line, text=text)


def _parse_item(
    line: str, *, in_key: bool, number: int, rule: re.Pattern[str]
) -> Attribute | ForeignKeyRef | IndexDef:
    code, comment = _split_comment(line)
    if code.startswith("->") or _CLASSIC_FK.fullmatch(code):
        return _parse_foreign_key(code, in_key=in_key, line=number, text=line)
    index_match = _INDEX.fullmatch(code)
    if index_match:
        return _parse_index(index_match, line=number, text=line, rule=rule)
    return _parse_attribute(code, comment, in_key=in_key, line=number, text=line, rule=rule)


def parse_definition(text: str, *, table: str = "<table>", existing: bool = False) -> Definition:
    """Parse a table definition.

    Args:
        text: The definition, e.g. a table class's ``definition`` string.
        table: The table's name, used in error messages only.
        existing: the definition describes a table that exists (reflected): its attribute
            names may be any SQL name (``oldID``), not only DataJoint's lower-case ones.

    Returns:
        The parsed :class:`Definition`; nothing is resolved or checked against a database.

    Raises:
        DefinitionError: A line cannot be parsed or breaks a rule; the message names the
            table, the 1-based line number and the line's text, and says what to do.

    Example:
        >>> d = parse_definition('''
        ... # a laboratory mouse
        ... mouse_id : int32
        ... ---
        ... dob = null : date
        ... ''', table="mouse")
        >>> d.comment, [(a.name, a.in_key, a.nullable) for a in d.attributes]
        ('a laboratory mouse', [('mouse_id', True, False), ('dob', False, True)])
    """
    comment, separator, first = "", 0, 0
    items: list[Attribute | ForeignKeyRef] = []
    indexes: list[IndexDef] = []
    declared: dict[str, int] = {}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        first = first or (number if line else 0)
        try:
            if not line or line.startswith("#"):
                if line and number == first:  # the table comment is the first non-blank line
                    comment = line[1:].strip()
            elif line.startswith("---"):
                if separator:
                    raise _Problem(f"a second `---` (first on line {separator}); remove this line")
                separator = number
            else:
                item = _parse_item(
                    line, in_key=not separator, number=number, rule=_SQL_NAME if existing else _NAME
                )
                if isinstance(item, IndexDef):
                    indexes.append(item)
                    continue
                if isinstance(item, Attribute):
                    if item.name in declared:
                        raise _Problem(
                            f"attribute `{item.name}` is already declared on line "
                            f"{declared[item.name]}; rename or remove one of them"
                        )
                    declared[item.name] = number
                items.append(item)
        except _Problem as problem:
            raise DefinitionError(f"Table `{table}`, line {number}: `{line}` — {problem}") from None
    return Definition(comment=comment, items=tuple(items), indexes=tuple(indexes))


def _render_item(item: Attribute | ForeignKeyRef) -> str:
    if isinstance(item, ForeignKeyRef):
        options = [o for o, on in (("nullable", item.nullable), ("unique", item.unique)) if on]
        text = "-> " + (f"[{', '.join(options)}] " if options else "") + ".".join(item.target)
        if item.rename_remaining:
            text = f"({item.rename_remaining}) {text}"
        if item.renames:
            text += ".proj(" + ", ".join(f"{new}='{old}'" for new, old in item.renames) + ")"
        return text
    text = item.name
    if item.default is not None:
        text += f" = {item.default}"
    elif item.nullable:
        text += " = null"
    text += f" : {item.type}" + (" auto_increment" if item.auto_increment else "")
    comment = " ".join(
        filter(None, (item.renamed_from and f"{{{item.renamed_from}}}", item.comment))
    )
    return text + (f"  # {comment}" if comment else "")


def to_definition_text(defn: Definition) -> str:
    """Render a :class:`Definition` as canonical definition text.

    The output is the table comment, the primary-key items, ``---``, the other items and the
    indexes, one per line. Parsing it gives back ``defn`` except for the ``line`` and ``text``
    fields.

    Example:
        >>> d = parse_definition("id:int32  AUTO_INCREMENT # key\\n---\\n-> [nullable] Lab")
        >>> print(to_definition_text(d), end="")
        id : int32 auto_increment  # key
        ---
        -> [nullable] Lab
    """
    lines = [f"# {defn.comment}"] if defn.comment else []
    lines += [_render_item(item) for item in defn.primary_items]
    lines.append("---")
    lines += [_render_item(item) for item in defn.secondary_items]
    for index in defn.indexes:
        lines.append(("unique " if index.unique else "") + f"index({', '.join(index.attributes)})")
    return "\n".join(lines) + "\n"
