"""Cut a Python process off from every address but this machine's, and write down each try.

Put this folder first on ``PYTHONPATH`` and name a log file in ``ICSIM_OFFLINE_LOG``: every
process started with them then refuses to resolve a remote name or connect to a remote
address (as on a machine with no network) and appends what it tried, one line each, so a
test can show that a server never reached out.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

LOG = os.environ.get("ICSIM_OFFLINE_LOG")
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def is_local(host: object) -> bool:
    """Whether ``host`` (a name or an address) is this machine."""
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def refuse(what: str) -> OSError:
    """Write down an outbound try and the error a machine without a network would give."""
    if LOG:
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {what}\n")
    return OSError(errno.ENETUNREACH, f"network unreachable (offline test): {what}")


if LOG:
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_local(name):
            raise refuse(f"resolve {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    def remote(sock: socket.socket, address: object) -> bool:
        families = (socket.AF_INET, socket.AF_INET6)
        return sock.family in families and not is_local(address[0])  # type: ignore[index]

    def guarded_connect(self, address):
        if remote(self, address):
            raise refuse(f"connect {address}")
        return real_connect(self, address)

    def guarded_connect_ex(self, address):
        if remote(self, address):
            refuse(f"connect {address}")
            return errno.ENETUNREACH
        return real_connect_ex(self, address)

    socket.getaddrinfo = guarded_getaddrinfo
    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
