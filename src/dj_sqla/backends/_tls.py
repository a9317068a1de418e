"""DataJoint's ``use_tls`` as each driver's connect arguments.

``use_tls`` is None (the driver's default: TLS when the server offers it), False (no TLS),
True (TLS required, the server's certificate not checked) or a dict of certificate files in
PyMySQL's ``ssl`` spelling, which DataJoint passes on: ``ca`` (verify the server against this
CA), ``cert`` and ``key`` (a client certificate), ``password`` (of the key), and
``check_hostname`` / ``verify_mode`` to relax the check.

Example:
    >>> tls_options({"ca": "ca.pem", "check_hostname": False})
    {'ca': 'ca.pem', 'check_hostname': False}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

#: The keys of a ``use_tls`` dict (PyMySQL's ``ssl`` argument, which DataJoint passes on).
TLS_KEYS = ("ca", "capath", "cert", "key", "password", "cipher", "check_hostname", "verify_mode")


def tls_options(use_tls: bool | Mapping[str, Any]) -> dict[str, Any]:
    """``use_tls`` as a dict of certificate options (True: none); refuses unknown keys.

    Raises:
        ConfigError: not a boolean or a dict of the known keys.
    """
    if use_tls is True:
        return {}
    if not isinstance(use_tls, Mapping):
        raise ConfigError(
            f"use_tls={type(use_tls).__name__}: use True (TLS required), False (no TLS), None "
            "(TLS when the server offers it) or a dict of certificate files such as "
            "{'ca': 'ca.pem'}."
        )
    unknown = sorted(set(use_tls) - set(TLS_KEYS))
    if unknown:
        raise ConfigError(
            f"use_tls: unknown key(s) {', '.join(map(repr, unknown))}; the keys are "
            f"{', '.join(TLS_KEYS)}."
        )
    return dict(use_tls)


def verifies(options: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether the server's certificate is checked (a CA is given and ``verify_mode`` does
    not turn it off), and whether its host name is too (``check_hostname``, default on)."""
    has_ca = bool(options.get("ca") or options.get("capath"))
    verify = has_ca and options.get("verify_mode", True) not in (False, "none", "0", 0)
    return verify, verify and options.get("check_hostname", True) is not False
