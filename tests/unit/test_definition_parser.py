"""The pure definition parser: every line form, every error, and the text round trip."""

from __future__ import annotations

import dataclasses

import pytest

from dj_sqla.declare.parser import (
    Attribute,
    Definition,
    ForeignKeyRef,
    IndexDef,
    parse_definition,
    to_definition_text,
)
from dj_sqla.errors import DataJointError, DefinitionError


def only_item(text: str) -> Attribute | ForeignKeyRef:
    items = parse_definition(text).items
    assert len(items) == 1
    return items[0]


def only_attribute(text: str) -> Attribute:
    item = only_item(text)
    assert isinstance(item, Attribute)
    return item


def only_fk(text: str) -> ForeignKeyRef:
    item = only_item(text)
    assert isinstance(item, ForeignKeyRef)
    return item


def assert_error(text: str, line: int, offending: str, *fragments: str) -> str:
    """Parse ``text`` as table ``mouse``; the error must locate and quote the bad line."""
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, table="mouse")
    message = str(info.value)
    assert message.startswith(f"Table `mouse`, line {line}: `{offending}` — "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def without_locations(defn: Definition) -> Definition:
    """``defn`` with every ``line``/``text`` field blanked, for comparing parses."""
    return Definition(
        comment=defn.comment,
        items=tuple(dataclasses.replace(item, line=0, text="") for item in defn.items),
        indexes=tuple(dataclasses.replace(index, line=0, text="") for index in defn.indexes),
    )


# --- attributes -------------------------------------------------------------------------------


def test_plain_attribute_fields() -> None:
    attr = only_attribute("mouse_id : int32  # unique id")
    assert attr == Attribute(
        name="mouse_id",
        type="int32",
        in_key=True,
        nullable=False,
        default=None,
        comment="unique id",
        auto_increment=False,
        line=1,
        text="mouse_id : int32  # unique id",
    )


def test_attribute_without_spaces_or_comment() -> None:
    attr = only_attribute("x:int32")
    assert (attr.name, attr.type, attr.comment) == ("x", "int32", "")


def test_null_default_makes_secondary_attribute_nullable() -> None:
    attr = only_attribute("---\ndob = null : date")
    assert (attr.nullable, attr.default, attr.in_key) == (True, None, False)


@pytest.mark.parametrize("spelling", ["NULL", "Null", "nUlL"])
def test_null_default_is_case_insensitive(spelling: str) -> None:
    attr = only_attribute(f"---\nx = {spelling} : int32")
    assert attr.nullable
    assert attr.default is None


@pytest.mark.parametrize(
    ("line", "default"),
    [
        ("sex = 'U' : enum('M', 'F', 'U')", "'U'"),
        ('s = "abc" : varchar(8)', '"abc"'),
        ("created = CURRENT_TIMESTAMP : datetime", "CURRENT_TIMESTAMP"),
        ("n = 3 : int32", "3"),
        ("n = -1.5 : float64", "-1.5"),
    ],
)
def test_default_text_is_kept_as_written(line: str, default: str) -> None:
    attr = only_attribute(f"---\n{line}")
    assert attr.default == default
    assert not attr.nullable


def test_default_is_allowed_in_primary_key() -> None:
    attr = only_attribute("n = 3 : int32")
    assert (attr.in_key, attr.default) == (True, "3")


def test_quotes_protect_colon_hash_and_equals_in_defaults() -> None:
    defn = parse_definition("---\na = 'a = b' : varchar(8)\nb = 'x:y' : varchar(8)  # c:d")
    first, second = defn.attributes
    assert (first.name, first.default, first.type) == ("a", "'a = b'", "varchar(8)")
    assert (second.name, second.default, second.type, second.comment) == (
        "b",
        "'x:y'",
        "varchar(8)",
        "c:d",
    )


def test_quotes_protect_colon_and_hash_in_types() -> None:
    attr = only_attribute("kind : enum('a:b', 'c#d', \"e=f\")  # the kind")
    assert attr.type == "enum('a:b', 'c#d', \"e=f\")"
    assert attr.comment == "the kind"


def test_doubled_and_escaped_quotes_stay_inside_the_string() -> None:
    attr = only_attribute("---\nq = 'it''s # not' : varchar(9)  # yes")
    assert (attr.default, attr.comment) == ("'it''s # not'", "yes")
    attr = only_attribute("---\n" + r"q = 'a\'#b' : varchar(9)  # yes")
    assert (attr.default, attr.comment) == (r"'a\'#b'", "yes")


def test_parentheses_protect_hash_in_types() -> None:
    attr = only_attribute("x : decimal(10,2)  # money")
    assert (attr.type, attr.comment) == ("decimal(10,2)", "money")


def test_type_whitespace_is_collapsed_but_quoted_text_is_not() -> None:
    attr = only_attribute("x :   int    unsigned  ")
    assert attr.type == "int unsigned"
    attr = only_attribute("x : enum( 'a  b' ,\t'c' )")
    assert attr.type == "enum( 'a  b' , 'c' )"


def test_comment_may_contain_hash_and_apostrophes() -> None:
    attr = only_attribute("x : int32  # the mouse's id # really")
    assert attr.comment == "the mouse's id # really"


@pytest.mark.parametrize(
    ("line", "expected_type"),
    [
        ("id : int32 auto_increment", "int32"),
        ("id : int unsigned auto_increment", "int unsigned"),
        ("id : int32   AUTO_INCREMENT  # key", "int32"),
    ],
)
def test_auto_increment_is_stripped_from_the_type(line: str, expected_type: str) -> None:
    attr = only_attribute(line)
    assert (attr.type, attr.auto_increment) == (expected_type, True)


def test_auto_increment_must_be_a_separate_word() -> None:
    attr = only_attribute("x : myauto_increment")
    assert (attr.type, attr.auto_increment) == ("myauto_increment", False)


def test_attribute_named_index_is_an_attribute() -> None:
    defn = parse_definition("index : int32\n---\nunique = 1 : int32")
    assert [a.name for a in defn.attributes] == ["index", "unique"]
    assert defn.indexes == ()


# --- structure ---------------------------------------------------------------------------------


def test_full_definition_structure() -> None:
    defn = parse_definition(
        """
        # a laboratory mouse
        mouse_id : int32       # unique id
        -> Lab
        ---
        dob = null : date
        -> [nullable] Cage
        index(dob)
        """,
        table="mouse",
    )
    assert defn.comment == "a laboratory mouse"
    assert [item.line for item in defn.primary_items] == [3, 4]
    assert [item.line for item in defn.secondary_items] == [6, 7]
    assert [a.name for a in defn.attributes] == ["mouse_id", "dob"]
    assert defn.indexes == (IndexDef(attributes=("dob",), unique=False, line=8, text="index(dob)"),)


def test_without_separator_everything_is_primary_key() -> None:
    defn = parse_definition("a : int32\n-> Lab\nb : int32")
    assert len(defn.primary_items) == 3
    assert defn.secondary_items == ()


def test_separator_may_be_longer_and_first() -> None:
    defn = parse_definition("-------------\na : int32")
    assert defn.primary_items == ()
    assert [a.name for a in defn.secondary_items if isinstance(a, Attribute)] == ["a"]


@pytest.mark.parametrize("text", ["", "   \n\n\t\n", "# only a comment"])
def test_empty_definitions(text: str) -> None:
    defn = parse_definition(text)
    assert (defn.items, defn.indexes) == ((), ())


def test_table_comment_is_first_non_blank_line_only() -> None:
    defn = parse_definition("\n\n  #  the table  \n# just a note\na : int32")
    assert defn.comment == "the table"
    assert parse_definition("a : int32\n# not the table comment").comment == ""


def test_comment_lines_and_blank_lines_are_ignored_but_counted() -> None:
    defn = parse_definition("a : int32\n\n# note\n   # indented note\n---\n\nb : int32")
    assert [(a.name, a.line, a.in_key) for a in defn.attributes] == [
        ("a", 1, True),
        ("b", 7, False),
    ]


def test_windows_line_endings() -> None:
    defn = parse_definition("# mice\r\na : int32  # first\r\n---\r\nb = null : date\r\n")
    assert defn.comment == "mice"
    assert [(a.name, a.comment, a.line, a.text) for a in defn.attributes] == [
        ("a", "first", 2, "a : int32  # first"),
        ("b", "", 4, "b = null : date"),
    ]


def test_tabs_are_whitespace() -> None:
    attr = only_attribute("\tmouse_id\t:\tint\tunsigned\t#\tid\t")
    assert (attr.name, attr.type, attr.comment, attr.text) == (
        "mouse_id",
        "int unsigned",
        "id",
        "mouse_id\t:\tint\tunsigned\t#\tid",
    )


def test_results_are_frozen() -> None:
    defn = parse_definition("a : int32")
    with pytest.raises(dataclasses.FrozenInstanceError):
        defn.attributes[0].name = "b"  # type: ignore[misc]


# --- foreign keys ------------------------------------------------------------------------------


def test_simple_foreign_key() -> None:
    assert only_fk("-> Lab") == ForeignKeyRef(
        target=("Lab",),
        renames=(),
        nullable=False,
        unique=False,
        in_key=True,
        line=1,
        text="-> Lab",
    )


@pytest.mark.parametrize(
    ("line", "target"),
    [
        ("->master", ("master",)),
        ("-> lab.Mouse", ("lab", "Mouse")),
        ("->  pipeline.Session.Trial  ", ("pipeline", "Session", "Trial")),
    ],
)
def test_foreign_key_name_chains(line: str, target: tuple[str, ...]) -> None:
    assert only_fk(line).target == target


def test_foreign_key_options() -> None:
    defn = parse_definition(
        "---\n-> [nullable] A\n-> [unique] other_module.B\n-> [ Unique , NULLABLE ] C\n-> [] D"
    )
    fks = [fk for fk in defn.secondary_items if isinstance(fk, ForeignKeyRef)]
    flags = [(fk.target, fk.nullable, fk.unique) for fk in fks]
    assert flags == [
        (("A",), True, False),
        (("other_module", "B"), False, True),
        (("C",), True, True),
        (("D",), False, False),
    ]


def test_unique_foreign_key_in_primary_key_is_allowed() -> None:
    fk = only_fk("-> [unique] Parent")
    assert (fk.unique, fk.in_key) == (True, True)


def test_foreign_key_with_renames() -> None:
    fk = only_fk("-> Parent.proj(new_name='old_name', other=\"x\")")
    assert fk.target == ("Parent",)
    assert fk.renames == (("new_name", "old_name"), ("other", "x"))


def test_foreign_key_dotted_proj_and_empty_proj() -> None:
    assert only_fk("-> lab.Parent.proj(a='b')").target == ("lab", "Parent")
    assert only_fk("-> Parent.proj()").renames == ()


def test_same_parent_may_be_referenced_twice_with_renames() -> None:
    defn = parse_definition("-> Neuron.proj(pre='neuron_id')\n-> Neuron.proj(post='neuron_id')")
    assert [fk.renames for fk in defn.primary_items if isinstance(fk, ForeignKeyRef)] == [
        (("pre", "neuron_id"),),
        (("post", "neuron_id"),),
    ]


def test_foreign_key_trailing_comment_is_ignored() -> None:
    assert only_fk("-> Lab  # where it lives").target == ("Lab",)


def test_foreign_key_expression_is_never_evaluated() -> None:
    with pytest.raises(DefinitionError):
        parse_definition("-> __import__('os').system('exit 1')")


# --- indexes -----------------------------------------------------------------------------------


def test_indexes() -> None:
    defn = parse_definition(
        "a : int32\n---\nb : int32\nindex(b)\nUNIQUE  Index ( a , b )\nINDEX(a) # by a"
    )
    assert [(i.attributes, i.unique, i.line) for i in defn.indexes] == [
        (("b",), False, 4),
        (("a", "b"), True, 5),
        (("a",), False, 6),
    ]
    assert len(defn.items) == 2


# --- errors ------------------------------------------------------------------------------------


def test_error_is_a_datajoint_error_and_uses_default_table_name() -> None:
    with pytest.raises(DataJointError, match=r"^Table `<table>`, line 2: `oops` — "):
        parse_definition("a : int32\noops")


def test_error_nullable_attribute_in_primary_key() -> None:
    message = assert_error(
        "mouse_id : int32\n-> Lab\ndob = null : date\n---", 3, "dob = null : date", "below `---`"
    )
    assert message == (
        "Table `mouse`, line 3: `dob = null : date` — nullable attributes cannot be in the "
        "primary key; move the line below `---`"
    )


def test_error_nullable_foreign_key_in_primary_key() -> None:
    assert_error("a : int32\n -> [nullable] Lab", 2, "-> [nullable] Lab", "below `---`")


@pytest.mark.parametrize("options", ["[optional]", "[nullable, shared]", "[unique nullable]"])
def test_error_unknown_foreign_key_option(options: str) -> None:
    assert_error(f"---\n-> {options} Lab", 2, f"-> {options} Lab", "`nullable` and/or `unique`")


def test_error_unclosed_option_bracket() -> None:
    assert_error("---\n-> [nullable Lab", 2, "-> [nullable Lab", "unclosed `[`")


def test_error_second_separator() -> None:
    assert_error("a : int32\n---\nb : int32\n----", 4, "----", "line 2", "remove this line")


@pytest.mark.parametrize("line", ["x : ", "x :   # comment", "x : auto_increment"])
def test_error_empty_type(line: str) -> None:
    assert_error(f"a : int32\n{line}", 2, line.strip(), "missing type")


@pytest.mark.parametrize("line", ["mouse_id int32", "just words", "-- not a separator", "index()x"])
def test_error_unrecognised_line(line: str) -> None:
    assert_error(f"\n{line}", 2, line, "name [= default] : type")


@pytest.mark.parametrize("name", ["_hidden", "Mouse_id", "mouseId", "2nd", "a-b", "two words"])
def test_error_invalid_attribute_name(name: str) -> None:
    assert_error(f"{name} : int32", 1, f"{name} : int32", f"`{name}`", "lowercase letter")


def test_error_missing_attribute_name() -> None:
    assert_error(": int32", 1, ": int32", "missing attribute name")


def test_error_empty_default() -> None:
    assert_error("---\nx = : int32", 2, "x = : int32", "empty default")


def test_error_comment_starting_with_colon() -> None:
    assert_error("x : int32  # :uuid: id", 1, "x : int32  # :uuid: id", "cannot start with `:`")


def test_error_duplicate_attribute() -> None:
    assert_error("a : int32\n---\na : int64", 3, "a : int64", "`a`", "line 1")


@pytest.mark.parametrize(
    "reference",
    [
        "Mouse & 'x'",
        "Mouse - Lab",
        "Parent.proj(3)",
        "Parent.proj(a=b)",
        "Parent.proj(a=1)",
        "Parent.proj(**renames)",
        "Parent.restrict(a='b')",
        "Parent.proj(a='b').proj(c='a')",
        "get_parent()",
        "Parent[0]",
        "'Parent'",
        "Parent Child",
    ],
)
def test_error_foreign_key_is_not_a_table_reference(reference: str) -> None:
    assert_error(f"-> {reference}", 1, f"-> {reference}", "Table.proj(new='old')")


@pytest.mark.parametrize(
    ("reference", "fragment"),
    [
        ("Parent.proj(New='a')", "`New`"),
        ("Parent.proj(a='Old name')", "`Old name`"),
        ("Parent.proj(a='x', a='y')", "appears twice"),
    ],
)
def test_error_invalid_renames(reference: str, fragment: str) -> None:
    assert_error(f"-> {reference}", 1, f"-> {reference}", fragment)


def test_error_missing_foreign_key_target() -> None:
    assert_error("---\n-> [unique]", 2, "-> [unique]", "missing table")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("index()", "at least one attribute"),
        ("unique index(  )", "at least one attribute"),
        ("index(a,,b)", "missing attribute name"),
        ("index(Session_Date)", "`Session_Date`"),
        ("index(a, a)", "listed twice"),
    ],
)
def test_error_invalid_index(line: str, fragment: str) -> None:
    assert_error(f"a : int32\n---\n{line}", 3, line, fragment)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("x = 'abc : varchar(8)", "unterminated ' quote"),
        ("x : enum('a', 'b'", "unclosed `(`"),
        ("x : int32)", "unbalanced `)`"),
    ],
)
def test_error_unbalanced_quotes_and_parentheses(line: str, fragment: str) -> None:
    assert_error(f"---\n{line}", 2, line, fragment)


def test_error_line_numbers_count_blank_lines_and_crlf() -> None:
    assert_error("\r\n# t\r\n\r\na : int32\r\nbad line\r\n", 5, "bad line")


# --- round trip --------------------------------------------------------------------------------

ROUND_TRIPS = [
    "",
    "a : int32",
    """
    # a laboratory mouse
    mouse_id : int32                     # unique id
    -> Lab
    ---
    dob = null : date
    sex = 'U' : enum('M', 'F', 'U')      # sex: M, F or U # as registered
    created = CURRENT_TIMESTAMP : datetime
    n = 3 : int32
    -> [nullable] Cage
    -> [unique, nullable] other_module.Parent
    -> Parent.proj(new_name='old_name', other='x')
    index(dob)
    unique index(sex, n)
    """,
    """
    -> master
    id2 : int   unsigned   AUTO_INCREMENT
    ---
    note = "a # b : c = d" : varchar(255)   # quoted
    kind : enum('a:b',  'c#d')
    """,
    "---\n-> [unique] Parent\nINDEX(x)",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_round_trip(text: str) -> None:
    original = parse_definition(text)
    rendered = to_definition_text(original)
    again = parse_definition(rendered)
    assert without_locations(again) == without_locations(original)
    assert to_definition_text(again) == rendered  # the canonical text is a fixed point


def test_canonical_text() -> None:
    defn = parse_definition(
        "#  mice \nid:int32  auto_increment#key\n-> Lab\n---\n"
        "dob=NULL:date\nn = 3:int32\n-> [UNIQUE,nullable] x.P.proj(a='b')\nunique index(n, dob)"
    )
    assert to_definition_text(defn) == (
        "# mice\n"
        "id : int32 auto_increment  # key\n"
        "-> Lab\n"
        "---\n"
        "dob = null : date\n"
        "n = 3 : int32\n"
        "-> [nullable, unique] x.P.proj(a='b')\n"
        "unique index(n, dob)\n"
    )


# --- DataJoint 0.11/0.12's renaming form: (new, ...) -> Parent [(old, ...)] -------------------


@pytest.mark.parametrize(
    ("line", "target", "renames", "remaining", "nullable"),
    [
        ("(lab_uuid) -> alyxraw.AlyxRaw", ("alyxraw", "AlyxRaw"), (), "lab_uuid", False),
        ("(a, b) -> Rec(x, y)", ("Rec",), (("a", "x"), ("b", "y")), None, False),
        ("( a ,b )  ->  Rec ( x , y )", ("Rec",), (("a", "x"), ("b", "y")), None, False),
        ("(sev)\t\t-> [nullable] reference.Severity", ("reference", "Severity"), (), "sev", True),
    ],
)
def test_classic_renaming_foreign_keys(
    line: str,
    target: tuple[str, ...],
    renames: tuple[tuple[str, str], ...],
    remaining: str | None,
    nullable: bool,
) -> None:
    fk = parse_definition(f"id : int32\n---\n{line}  # a comment").items[1]
    assert isinstance(fk, ForeignKeyRef)
    assert (fk.target, fk.renames, fk.rename_remaining, fk.nullable) == (
        target,
        renames,
        remaining,
        nullable,
    )


def test_classic_renaming_foreign_key_renders_in_its_own_form() -> None:
    text = to_definition_text(parse_definition("(parent_id) -> Rec\n---\n(a) -> Rec(b)"))
    assert text.splitlines() == ["(parent_id) -> Rec", "---", "-> Rec.proj(a='b')"]
    assert to_definition_text(parse_definition(text)) == text


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("(a, b) -> Rec", "name the parent's attributes"),
        ("(a) -> Rec(x, y)", "1 new names rename 2 attributes"),
        ("(Bad) -> Rec", "new attribute name"),
        ("(a) -> Rec(X)", "renamed attribute name"),
        ("(a) -> Rec + Other", "the classic renaming form is"),
        ("(a) -> [nullable] Rec", "a nullable foreign key cannot be in the primary key"),
        ("(a) ->", "missing table after `->`"),
    ],
)
def test_classic_renaming_foreign_keys_refused(line: str, problem: str) -> None:
    with pytest.raises(DefinitionError, match=problem):
        parse_definition(line)


def test_foreign_key_to_a_projection_keeping_attributes() -> None:
    """``-> Parent.proj('attr', new='old')``: a foreign key inherits the key only, so the kept
    attribute names are checked and left out (DataJoint accepts the form)."""
    fk = only_fk("-> Series.proj('id', 'name', other='series_id')")
    assert (fk.target, fk.renames) == (("Series",), (("other", "series_id"),))
