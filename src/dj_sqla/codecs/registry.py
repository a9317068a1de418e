"""DataJoint 2's codec plugin interface: :class:`Codec`, one registry, entry-point plugins.

A codec turns a Python value into something a column can hold and back: ``<blob>`` serializes
objects to bytes, ``<attach>`` stores a file. A subclass of :class:`Codec` with a ``name``
registers itself when the class is defined (``class GraphCodec(dj.Codec, register=False)``
opts out, for abstract bases); installed packages add codecs through the entry-point groups
``dj_sqla.codecs`` and DataJoint's ``datajoint.codecs`` (and its legacy ``datajoint.types``),
read once and loaded only when their name is first looked up. A codec's ``get_dtype`` names
what it is stored as: a core type (``"bytes"``, ``"json"``) or another codec (``"<blob>"``),
so codecs chain; :func:`resolve_dtype` follows a chain to its core type, and
:func:`encode_value` / :func:`decode_value` run it, which is what the table layer calls.

Example:
    >>> class Upper(Codec):
    ...     name = "doc_upper"
    ...     def get_dtype(self, is_store):
    ...         return "varchar(255)"
    ...     def encode(self, value, *, key=None, context=None, store_name=None):
    ...         return value.upper()
    ...     def decode(self, stored, *, key=None, context=None):
    ...         return stored.lower()
    >>> get_codec("<doc_upper>").encode("abc")
    'ABC'
    >>> resolve_dtype("<doc_upper>")[0]
    'varchar(255)'
    >>> unregister_codec("doc_upper")
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
import types
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, ClassVar

from ._errors import CodecError, CodecNotFoundError

logger = logging.getLogger(__name__)

#: Entry-point groups searched for codec plugins, in this order.
ENTRY_POINT_GROUPS = ("dj_sqla.codecs", "datajoint.codecs", "datajoint.types")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class Codec(ABC):
    """Base class of codecs; a subclass with a ``name`` registers itself on definition.

    Subclasses implement :meth:`get_dtype`, :meth:`encode` and :meth:`decode` with the
    signatures below (DataJoint 2.3's); a codec written for DataJoint works unchanged.

    Attributes:
        name: The codec's name, used as ``<name>`` (or ``<name@store>``) in definitions.

    Example:
        >>> class Csv(Codec, register=False):
        ...     name = "doc_csv"
        ...     def get_dtype(self, is_store):
        ...         return "<blob>"
        ...     def encode(self, value, *, key=None, context=None, store_name=None):
        ...         return value.split(",")
        ...     def decode(self, stored, *, key=None, context=None):
        ...         return ",".join(stored)
        >>> is_codec_registered("doc_csv")
        False
    """

    name: ClassVar[str | None] = None
    #: Whether :func:`list_codecs` shows it (an attribute adapter's private codec: no)
    listed: ClassVar[bool] = True

    def __init_subclass__(cls, *, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register and cls.name is not None:
            registry.register(cls)

    @abstractmethod
    def get_dtype(self, is_store: bool) -> str:
        """The type the encoded value is stored as: a core type or ``"<other_codec>"``.

        Args:
            is_store: True when the attribute names an object store (``<name@store>``).

        Raises:
            CodecError: The codec cannot be stored that way.
        """

    @abstractmethod
    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> Any:
        """Turn a Python value into a value of :meth:`get_dtype`'s type.

        Args:
            value: What the user inserts.
            key: The row's primary key, when the caller knows it.
            context: Where the value goes: ``schema``, ``table``, ``field``, ``config``.
            store_name: The object store named in ``<name@store>``, if any.
        """

    @abstractmethod
    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Turn a stored value (of :meth:`get_dtype`'s type) back into the Python value."""

    def validate(self, value: Any) -> None:  # noqa: B027  # optional hook, empty on purpose
        """Check a value before :meth:`encode`; raise ``TypeError``/``ValueError`` to refuse it."""

    @staticmethod
    def _codec_config(
        key: Mapping[str, Any] | None = None, context: Mapping[str, Any] | None = None
    ) -> Any:
        """The configuration the caller passed (``context["config"]``, or DataJoint's older
        ``key["_config"]``); None when neither has one (then ``dj.config`` applies)."""
        if context and context.get("config") is not None:
            return context["config"]
        return (key or {}).get("_config")

    def referenced_paths(self, stored: Any) -> list[tuple[str, str | None]]:
        """The ``(path, store)`` of each stored object a stored value refers to (DataJoint
        2.3's hook for garbage collection): the ``path`` and ``store`` of a JSON metadata dict.

        Example:
            >>> BlobLike = type("B", (Codec,), {"get_dtype": None, "encode": None,
            ...                  "decode": None, "__abstractmethods__": frozenset()})
            >>> BlobLike().referenced_paths('{"path": "_hash/lab/x", "store": "s"}')
            [('_hash/lab/x', 's')]
        """
        value = stored
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except ValueError:
                return []
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            return [(value["path"], value.get("store"))]
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(name={self.name!r})>"


class _Foreign(Codec, register=False):
    """A codec object that does not derive from :class:`Codec` (e.g. a DataJoint plugin).

    Made per name by :func:`_foreign`, so that ``name`` stays a class attribute.
    """

    def __init__(self, target: Any) -> None:
        self.target = target

    def get_dtype(self, is_store: bool) -> str:
        return str(self.target.get_dtype(is_store))

    def encode(self, value: Any, **kwargs: Any) -> Any:
        return _call(self.target.encode, value, **kwargs)

    def decode(self, stored: Any, **kwargs: Any) -> Any:
        return _call(self.target.decode, stored, **kwargs)

    def validate(self, value: Any) -> None:
        check = getattr(self.target, "validate", None)
        if check is not None:
            check(value)


def _foreign(name: str, target: Any) -> Codec:
    cls = types.new_class(
        f"Plugin_{name}", (_Foreign,), {"register": False}, lambda ns: ns.update(name=name)
    )
    instance: Codec = cls(target)
    return instance


@functools.cache
def _parameters(func: Callable[..., Any]) -> frozenset[str] | None:
    """Keyword names a function declares; None when it takes ``**kwargs``."""
    params = inspect.signature(func).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params)


def _call(method: Callable[..., Any], value: Any, **kwargs: Any) -> Any:
    """Call ``encode``/``decode`` with only the keywords it declares.

    A codec written before DataJoint 2.3.4 has no ``context``, one for in-table use may have
    no ``store_name``; they get called as they were written.
    """
    accepted = _parameters(getattr(method, "__func__", method))
    if accepted is not None:
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    return method(value, **kwargs)


def parse_type_spec(spec: str) -> tuple[str, str | None]:
    """Split ``"<name@store>"`` into the codec name and the store (``""`` for ``@`` alone).

    Example:
        >>> parse_type_spec("<blob@cold>"), parse_type_spec("<blob@>"), parse_type_spec("blob")
        (('blob', 'cold'), ('blob', ''), ('blob', None))
    """
    inner = spec.strip().removeprefix("<").removesuffix(">").strip()
    name, at, store = inner.partition("@")
    return name.strip(), (store.strip() if at else None)


class CodecRegistry:
    """Codec instances by name, filled by subclassing and, lazily, from entry points.

    Args:
        groups: The entry-point groups to read plugins from.
    """

    def __init__(self, groups: tuple[str, ...] = ENTRY_POINT_GROUPS) -> None:
        self.groups = groups
        self._codecs: dict[str, Codec] = {}
        self._plugins: dict[str, list[metadata.EntryPoint]] | None = None
        self._failures: dict[str, str] = {}
        #: resolve_dtype's answers, by (spec, store): every value a column encodes or decodes
        #: asks again; forgotten whenever a codec is registered or unregistered
        self.resolved: dict[tuple[str, str | None], tuple[str, tuple[Codec, ...], str | None]] = {}

    def register(self, codec: type[Codec] | Codec) -> Codec:
        """Add a codec class (instantiated without arguments) or instance under its name.

        A class defined again under the same module and name (a re-run notebook cell)
        replaces the old one; another class taking a name already in use is refused.

        Raises:
            CodecError: The name is not valid, or is registered by another codec.
        """
        instance = codec() if isinstance(codec, type) else codec
        name = instance.name
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise CodecError(
                f"Codec name {name!r} of {type(instance).__qualname__} cannot be used",
                hint="Use letters, digits, '_', '.' or '-', starting with a letter or '_'.",
            )
        existing = self._codecs.get(name)
        if existing is not None and not _same_class(type(existing), type(instance)):
            raise CodecError(
                f"Codec <{name}> is registered already, by {_where(type(existing))}",
                hint=f"Give {_where(type(instance))} another name, or unregister_codec({name!r}).",
            )
        self._codecs[name] = instance
        self.resolved.clear()
        return instance

    def unregister(self, name: str) -> None:
        """Remove a codec (mostly for tests).

        Raises:
            CodecNotFoundError: No codec has that name.
        """
        type_name, _ = parse_type_spec(name)
        if self._codecs.pop(type_name, None) is None:
            raise CodecNotFoundError(f"Codec <{type_name}> is not registered")
        self.resolved.clear()

    def get(self, spec: str) -> Codec:
        """The codec named in ``spec`` (``"blob"``, ``"<blob>"``, ``"<blob@store>"``).

        Raises:
            CodecNotFoundError: Neither registered nor installed as a plugin.
        """
        name, _ = parse_type_spec(spec)
        codec = self._codecs.get(name)
        if codec is None:
            codec = self._load(name)
        return codec

    def __contains__(self, spec: object) -> bool:
        if not isinstance(spec, str):
            return False
        try:
            self.get(spec)
        except CodecNotFoundError:
            return False
        return True

    def names(self) -> list[str]:
        """Sorted names of every codec, loading all installed plugins first."""
        for name in list(self._entry_points()):
            if name not in self._codecs:
                try:
                    self._load(name)
                except CodecNotFoundError as err:
                    logger.warning("%s", err)
        return self._listed()

    def _listed(self) -> list[str]:
        return sorted(name for name, codec in self._codecs.items() if codec.listed)

    def _entry_points(self) -> dict[str, list[metadata.EntryPoint]]:
        if self._plugins is None:
            plugins: dict[str, list[metadata.EntryPoint]] = {}
            for group in self.groups:
                for ep in metadata.entry_points(group=group):
                    plugins.setdefault(ep.name, []).append(ep)
            self._plugins = plugins
        return self._plugins

    def _load(self, name: str) -> Codec:
        for ep in self._entry_points().get(name, []):
            try:
                target = ep.load()
            except Exception as exc:  # a broken plugin must not break other codecs
                self._failures[name] = f"{ep.value} ({type(exc).__name__}: {exc})"
                continue
            if name not in self._codecs:  # a Codec subclass registers itself on import
                if isinstance(target, type) and issubclass(target, Codec):
                    instance = target()
                    if instance.name != name:
                        instance = _foreign(name, instance)
                    self.register(instance)
                else:
                    obj = target() if isinstance(target, type) else target
                    self.register(_foreign(name, obj))
            return self._codecs[name]
        failure = self._failures.get(name)
        if failure is not None:
            raise CodecNotFoundError(
                f"Codec <{name}> is installed as plugin {failure} but cannot be loaded",
                hint="Fix or reinstall the package that provides it.",
            )
        raise CodecNotFoundError(
            f"Unknown codec <{name}>",
            hint=f"Define it (class ...(dj.Codec): name = {name!r}) or install the package "
            f"that provides it; known codecs: {', '.join(self._listed())}.",
        )


def _same_class(a: type, b: type) -> bool:
    return a is b or (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


#: The process-wide registry behind :class:`Codec`, :func:`get_codec` and :func:`list_codecs`.
registry = CodecRegistry()


def get_codec(spec: str) -> Codec:
    """The registered codec named in ``spec`` (angle brackets and ``@store`` allowed).

    Raises:
        CodecNotFoundError: No such codec is defined or installed.

    Example:
        >>> get_codec("<blob@cold>").name
        'blob'
    """
    return registry.get(spec)


def list_codecs() -> list[str]:
    """Sorted names of all codecs, installed plugins included.

    Example:
        >>> {"attach", "blob"} <= set(list_codecs())
        True
    """
    return registry.names()


def is_codec_registered(spec: str) -> bool:
    """Whether a codec of that name is defined or installed.

    Example:
        >>> is_codec_registered("<blob>"), is_codec_registered("no_such_codec")
        (True, False)
    """
    return spec in registry


def unregister_codec(spec: str) -> None:
    """Remove a codec from the registry (mostly for tests).

    Example:
        >>> class Temp(Codec):
        ...     name = "doc_temp"
        ...     def get_dtype(self, is_store): return "bytes"
        ...     def encode(self, value, **kw): return value
        ...     def decode(self, stored, **kw): return stored
        >>> unregister_codec("doc_temp"); is_codec_registered("doc_temp")
        False
    """
    registry.unregister(spec)


def resolve_dtype(spec: str, store_name: str | None = None) -> tuple[str, list[Codec], str | None]:
    """Follow a codec chain to the core type it is stored as.

    Args:
        spec: A core type (``"bytes"``) or a codec spec (``"<blob>"``, ``"<blob@cold>"``).
        store_name: A store given by an outer codec; an inner ``@store`` overrides it.

    Returns:
        ``(core_type, codecs, store)``: the codecs outermost first; ``store`` is None when
        no store is named, ``""`` for the default store.

    Raises:
        CodecError: The chain refers to itself.
        CodecNotFoundError: A codec in the chain is unknown.

    Example:
        >>> core, chain, store = resolve_dtype("<blob>")
        >>> core, [c.name for c in chain], store
        ('bytes', ['blob'], None)
    """
    known = registry.resolved.get((spec, store_name))
    if known is not None:
        return known[0], list(known[1]), known[2]
    asked = store_name
    chain: list[Codec] = []
    seen: set[str] = set()
    dtype = spec.strip()
    while dtype.startswith("<") and dtype.endswith(">"):
        name, store = parse_type_spec(dtype)
        if store is not None:
            store_name = store
        if name in seen:
            raise CodecError(
                f"Codec <{name}> refers to itself through "
                + " -> ".join(f"<{c.name}>" for c in chain),
                hint="Make one codec's get_dtype return a core type.",
            )
        seen.add(name)
        codec = registry.get(name)
        chain.append(codec)
        dtype = codec.get_dtype(store_name is not None).strip()
    core, at, store = dtype.partition("@")
    if at:  # a core type with a store, e.g. DataJoint 0.14's "blob@store"
        store_name = store or store_name
    registry.resolved[(spec, asked)] = (core, tuple(chain), store_name)
    return core, chain, store_name


def encode_value(
    spec: str,
    value: Any,
    *,
    key: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Any:
    """Validate and encode ``value`` through the codec chain of ``spec``, outermost first.

    Returns the value of the chain's core type, ready to bind as a statement parameter.

    Example:
        >>> encode_value("<blob>", [1, 2])[:4]
        b'dj0\\x00'
    """
    _, chain, store = resolve_dtype(spec)
    for codec in chain:
        codec.validate(value)
        value = _call(codec.encode, value, key=key, context=context, store_name=store)
    return value


def decode_value(
    spec: str,
    stored: Any,
    *,
    key: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Any:
    """Decode a stored value through the codec chain of ``spec``, innermost first.

    ``None`` (SQL NULL) decodes to ``None`` without calling any codec.

    Example:
        >>> decode_value("<blob>", encode_value("<blob>", {"a": 1}))
        {'a': 1}
    """
    if stored is None:
        return None
    _, chain, _ = resolve_dtype(spec)
    for codec in reversed(chain):
        stored = _call(codec.decode, stored, key=key, context=context)
    return stored
