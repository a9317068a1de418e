"""DataJoint 0.14's attribute adapters: :class:`AttributeAdapter` and the codec that runs one.

An adapter is an *instance* placed in a schema's context (``dj.Schema(name, context)``, the
module that declares the tables, or a virtual module's ``add_objects``) under a name; a
definition line ``conn_graph = null : <graph>`` then stores its values as the adapter's
``attribute_type`` (any type a definition may use: ``longblob``, ``filepath@store``,
``varchar(255)``...), calling ``put`` on insert and ``get`` on fetch. Unlike a codec, an adapter
is found by name in the declaring context, not in a global registry; :func:`adapter_codec`
wraps one in a codec (registered under a private name) so the codec machinery runs it.

Example:
    >>> class Upper(AttributeAdapter):
    ...     attribute_type = "varchar(64)"
    ...     def put(self, obj):
    ...         return obj.upper()
    ...     def get(self, value):
    ...         return value.lower()
    >>> codec = adapter_codec("upper", Upper(), "varchar(64)")
    >>> codec.encode("abc"), codec.decode("ABC"), codec.get_dtype(False)
    ('ABC', 'abc', 'varchar(64)')
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Sequence
from typing import Any

from ._errors import CodecError
from .registry import Codec, registry

__all__ = ["AdapterCodec", "AttributeAdapter", "adapter_codec", "without_adapters"]


class AttributeAdapter:
    """Base class of DataJoint 0.14's adapted attribute types.

    A subclass sets ``attribute_type`` (the type the values are stored as) and implements
    ``put`` (object → stored value) and ``get`` (stored value → object). Put an instance in
    the schema's context under the name the definitions write in angle brackets.

    Example:
        >>> class GraphAdapter(AttributeAdapter):
        ...     attribute_type = "longblob"
        ...     def put(self, obj):
        ...         return sorted(obj)
        ...     def get(self, value):
        ...         return set(value)
        >>> graph = GraphAdapter()  # then: conn_graph = null : <graph>
        >>> graph.get(graph.put({2, 1}))
        {1, 2}
    """

    @property
    def attribute_type(self) -> str:
        """The type the adapted values are stored as, e.g. ``"longblob"``, ``"blob@store"``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not set attribute_type; set it to the type the "
            "values are stored as, e.g. attribute_type = 'longblob'"
        )

    def get(self, value: Any) -> Any:
        """Turn a fetched value of ``attribute_type`` into the adapted object."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get(value)")

    def put(self, obj: Any) -> Any:
        """Turn an adapted object into a value of ``attribute_type`` to store."""
        raise NotImplementedError(f"{type(self).__name__} does not implement put(obj)")


class AdapterCodec(Codec, register=False):
    """The codec of one adapter instance: ``put`` encodes, ``get`` decodes, and the value is
    then stored as ``stored_as`` (a core type or the codec spec of ``attribute_type``).

    Made by :func:`adapter_codec`, one class per adapter so that ``name`` is a class attribute.
    """

    listed = False

    def __init__(self, adapter: AttributeAdapter, stored_as: str) -> None:
        self.adapter = adapter
        self.stored_as = stored_as

    def get_dtype(self, is_store: bool) -> str:
        return self.stored_as

    def encode(self, value: Any, **kwargs: Any) -> Any:
        return self._run("put", value)

    def decode(self, stored: Any, **kwargs: Any) -> Any:
        return self._run("get", stored)

    def _run(self, method: str, value: Any) -> Any:
        """The adapter's ``put`` or ``get``; what it raises becomes a :class:`CodecError`
        (the caller adds the table, attribute and key)."""
        try:
            return getattr(self.adapter, method)(value)
        except CodecError:
            raise
        except Exception as exc:
            raise CodecError(
                f"{type(self.adapter).__name__}.{method}() of the attribute adapter failed "
                f"on a {type(value).__name__}: {type(exc).__name__}: {exc}",
                hint=f"Fix the adapter's {method}(), or {'insert' if method == 'put' else 'read'} "
                "values it accepts.",
                type_name=type(value).__name__,
            ) from exc

    def referenced_paths(self, stored: Any) -> list[tuple[str, str | None]]:
        return []  # the codec below it knows where its objects are


#: The codec of each adapter instance already seen, by id (the codec keeps the instance).
_CODECS: dict[int, AdapterCodec] = {}
_NUMBERS = itertools.count(1)


def adapter_codec(name: str, adapter: AttributeAdapter, stored_as: str) -> AdapterCodec:
    """The registered codec that runs ``adapter`` (named ``<name>`` in definitions).

    Its registry name is private (``adapted.<name>.<n>``), so two schemas may give the name
    ``graph`` to different adapters, and a registered codec of that name is not shadowed.

    Example:
        >>> class Same(AttributeAdapter):
        ...     attribute_type = "longblob"
        ...     def put(self, obj): return obj
        ...     def get(self, value): return value
        >>> same = Same()
        >>> adapter_codec("same", same, "<blob>") is adapter_codec("same", same, "<blob>")
        True
    """
    codec = _CODECS.get(id(adapter))
    if codec is not None and codec.stored_as == stored_as:
        return codec
    private = f"adapted.{name}.{next(_NUMBERS)}"
    cls = types.new_class(
        f"Adapted_{name}", (AdapterCodec,), {"register": False}, lambda ns: ns.update(name=private)
    )
    made: AdapterCodec = cls(adapter, stored_as)
    registry.register(made)
    _CODECS[id(adapter)] = made
    return made


def without_adapters(chain: Sequence[Codec]) -> list[Codec]:
    """A codec chain without its adapters: the codecs that decide how a value is stored.

    Example:
        >>> without_adapters([])
        []
    """
    return [codec for codec in chain if not isinstance(codec, AdapterCodec)]
