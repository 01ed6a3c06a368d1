"""Network audit for a test's child process: put this folder on PYTHONPATH and set NET_AUDIT_LOG.

Python imports `sitecustomize` at start-up, before the program runs. Every attempt to reach
another machine through Python's socket module (connect, connect_ex, sendto, sendmsg,
create_connection, and a name lookup with getaddrinfo) is written to NET_AUDIT_LOG as a JSON
line and refused; loopback and Unix sockets are let through. At start-up an "armed" line proves
the audit ran in the process; at exit an "environment" line records the offline settings the
process ran with.
"""

from __future__ import annotations

import atexit
import errno
import ipaddress
import json
import os
import socket
import sys
import traceback
from typing import Any

LOG = os.environ.get("NET_AUDIT_LOG")
OFFLINE_VARIABLES = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "ANONYMIZED_TELEMETRY",
)


def _write(event: dict[str, Any]) -> None:
    assert LOG is not None
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": os.getpid(), **event}, default=repr) + "\n")


def _is_local_host(host: Any) -> bool:
    if host in (None, "", b"", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a name other than localhost: looking it up is already outbound


def _refuse(call: str, address: Any) -> None:
    _write(
        {
            "event": "blocked",
            "call": call,
            "address": address,
            "stack": traceback.format_stack(limit=8)[:-2],
        }
    )
    raise PermissionError(errno.EACCES, f"net audit: outbound {call} to {address!r} refused")


def _check(sock: socket.socket, call: str, address: Any) -> None:
    internet = sock.family in (socket.AF_INET, socket.AF_INET6)
    if internet and isinstance(address, tuple) and not _is_local_host(address[0]):
        _refuse(call, address)


def _install() -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_sendmsg = socket.socket.sendmsg
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        _check(self, "connect", address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, "connect_ex", address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        _check(self, "sendto", args[-1] if args else None)
        return real_sendto(self, data, *args)  # type: ignore[arg-type]

    def sendmsg(self: socket.socket, *args: Any) -> int:
        _check(self, "sendmsg", args[3] if len(args) > 3 else None)
        return real_sendmsg(self, *args)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _is_local_host(address[0]):
            _refuse("create_connection", address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local_host(host):
            _refuse("getaddrinfo", host)
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[assignment]
    socket.socket.sendmsg = sendmsg  # type: ignore[method-assign]
    socket.create_connection = create_connection  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo


def _environment() -> None:
    offline: dict[str, Any] = {name: os.environ.get(name) for name in OFFLINE_VARIABLES}
    hub = sys.modules.get("huggingface_hub.constants")
    offline["huggingface_hub.constants.HF_HUB_OFFLINE"] = getattr(hub, "HF_HUB_OFFLINE", None)
    _write({"event": "environment", "environment": offline})


if LOG:
    _install()
    _write({"event": "armed", "argv": sys.argv})
    atexit.register(_environment)
