"""Outbound HTTP on behalf of a user, guarded where it is made.

Whoever types the address must not reach what only the server can reach: the loopback interface,
the private network, the cloud metadata service. So each hop resolves the name once, refuses it when
any address it resolves to is not public, and connects to exactly the address it checked (the name
stays in the Host header and, for HTTPS, in SNI and the certificate check), so a DNS answer that
changes between check and connect (rebinding) changes nothing. Redirects are followed by hand and
checked the same way. One deadline bounds the whole check: every socket gets the time that is
left, and a timer shuts it when the deadline passes, so a server that answers one byte at a time
cannot stretch it either.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_REDIRECTS = 5
USER_AGENT = "Weerbaar-linkcontrole/1.0"


class LinkRefused(Exception):
    """The address may not be fetched: `reason` is "scheme" (not http or https), "url" (no valid
    port), "name" (does not resolve) or "address" (not public; `address` says which)."""

    def __init__(self, reason: str, address: str | None = None) -> None:
        super().__init__(reason, address)
        self.reason, self.address = reason, address


class LinkTimeout(Exception):
    """The deadline passed before an answer came."""


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: int | None = None  # the final answer's HTTP status
    refused: LinkRefused | None = None  # why it was not fetched
    error: str | None = None  # the connection or protocol error; "redirects" for too many
    timed_out: bool = False


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (tests replace this function, never the socket)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def parse_networks(text: str) -> tuple[Network, ...]:
    """`"127.0.0.1/32, 10.1.0.0/16"` as networks (for a setting)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_link_local
                                      or address.is_loopback or address.is_private or address.is_unspecified)


def allowed_address(host: str, port: int, allowed_networks: Sequence[Network]) -> str:
    """The one address to connect to for `host`: refused unless every address it resolves to is
    public or in `allowed_networks` (one private answer among public ones refuses the name)."""
    try:
        addresses = [ipaddress.ip_address(address.split("%")[0]) for address in resolve(host, port)]
    except (OSError, UnicodeError, ValueError) as error:
        raise LinkRefused("name") from error
    if not addresses:
        raise LinkRefused("name")
    for address in addresses:
        if not (is_public(address) or any(address in network for network in allowed_networks)):
            raise LinkRefused("address", str(address))
    return str(addresses[0])


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise LinkTimeout
        return left


def _status_once(method: str, url: str, allowed_networks: Sequence[Network],
                 deadline: Deadline) -> tuple[int, str | None]:
    """One request to `url`, on the checked address: (status, Location header)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LinkRefused("scheme")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:  # "http://x:99999/"
        raise LinkRefused("url") from error
    host = _ascii_host(parts.hostname)
    address = allowed_address(host, port, allowed_networks)
    sock = socket.create_connection((address, port), timeout=deadline.left())
    shut = _Shutter(sock, deadline.left())
    try:
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port, timeout=deadline.left())
        connection.sock = sock  # already connected to `address`; Host still names `host`
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        response = connection.getresponse()
        shut.raise_if_fired()  # headers cut short by the timer are no answer
        return response.status, response.getheader("Location")
    except TimeoutError as error:
        raise LinkTimeout from error
    except (OSError, http.client.HTTPException):
        shut.raise_if_fired()  # a socket shut by the timer is a timeout, not an error of the server
        raise
    finally:
        shut.cancel()
        sock.close()


def _ascii_host(hostname: str) -> str:
    """The name as DNS and the Host header know it (IDNA 2008, as mail addresses)."""
    if hostname.isascii():
        return hostname
    try:
        return idna.encode(hostname, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as error:
        raise LinkRefused("name") from error


class _Shutter:
    """Shuts `sock` after `seconds`, whatever the thread reading from it is waiting for."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.sock = sock
        self.fired = threading.Event()
        self.timer = threading.Timer(seconds, self._shut)
        self.timer.daemon = True
        self.timer.start()

    def _shut(self) -> None:
        self.fired.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def raise_if_fired(self) -> None:
        if self.fired.is_set():
            raise LinkTimeout

    def cancel(self) -> None:
        self.timer.cancel()


def link_status(url: str, allowed_networks: Sequence[Network] = (), deadline: Deadline | None = None) -> LinkResult:
    """The final HTTP status of `url` (HEAD, GET where HEAD is refused), following at most
    MAX_REDIRECTS redirects, each hop checked before it is connected to."""
    deadline = deadline or Deadline(5.0)
    try:
        for method in ("HEAD", "GET"):
            current = url
            for _hop in range(MAX_REDIRECTS + 1):
                status, location = _status_once(method, current, allowed_networks, deadline)
                if status not in (301, 302, 303, 307, 308) or not location:
                    break
                current = urljoin(current, location)
            else:
                return LinkResult(url, error="redirects")
            if method == "GET" or status not in (403, 405, 501):  # some servers refuse HEAD but serve GET
                return LinkResult(url, status=status)
    except LinkRefused as refused:
        return LinkResult(url, refused=refused)
    except LinkTimeout:
        return LinkResult(url, timed_out=True)
    except (OSError, http.client.HTTPException) as error:
        return LinkResult(url, error=type(error).__name__)
    raise AssertionError("unreachable")


_running = threading.BoundedSemaphore(2)  # checks at once in this process; others wait for none


def check_links(urls: Iterable[str], *, seconds: float, workers: int,
                allowed_networks: Sequence[Network] = ()) -> list[LinkResult] | None:
    """Every url checked at the same time, all within `seconds`; None when this process is already
    running as many checks as it allows (the caller says so instead of waiting)."""
    if not _running.acquire(blocking=False):
        return None
    try:
        deadline = Deadline(seconds)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda url: link_status(url, allowed_networks, deadline), urls))
    finally:
        _running.release()
