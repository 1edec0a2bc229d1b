"""A minimal HTTP/1.1 client on asyncio streams: keep-alive pool, http and https,
Content-Length / chunked / close-delimited bodies, gzip. Only what chat completions need:
POST with a JSON body, no redirects, no proxies (see `transport`)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import ssl
import time
import zlib
from collections.abc import Mapping
from urllib.parse import urlsplit

from longweave.llm.transport import HttpReply, TransportError, TransportTimeout

MAX_HEAD_BYTES = 1 << 20
# Servers close idle keep-alive connections (often after 5 s); older ones are not reused.
KEEPALIVE_EXPIRY_S = 4.0
USER_AGENT = "longweave-llm-gateway"


class ProtocolError(TransportError):
    """The server's reply is not HTTP/1.x as we understand it."""


class _Connection:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        return (now - self.idle_since < KEEPALIVE_EXPIRY_S
                and not self.writer.is_closing() and not self.reader.at_eof())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class NativeTransport:
    def __init__(self, base_url: str, headers: Mapping[str, str], *, max_idle: int = 64,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {url.scheme!r} (http or https)")
        if not url.hostname:
            raise ValueError("the base URL has no host")
        self._host = url.hostname
        self._tls = url.scheme == "https"
        self._port = url.port or (443 if self._tls else 80)
        self._prefix = url.path.rstrip("/")
        self._query = f"?{url.query}" if url.query else ""
        self._ssl = (ssl_context or _default_ssl_context()) if self._tls else None
        default_port = self._port == (443 if self._tls else 80)
        host = f"[{self._host}]" if ":" in self._host else self._host
        host_header = host if default_port else f"{host}:{self._port}"
        # Built once: the Authorization header is in here and nowhere else.
        fixed = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": "application/json",
                 "Accept-Encoding": "gzip", "Content-Type": "application/json", **headers}
        self._fixed_headers = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._idle: list[_Connection] = []
        self._max_idle = max_idle
        self._closed = False

    async def post(self, path: str, body: bytes, timeout_s: float) -> HttpReply:
        head = (f"POST {self._prefix}{path}{self._query} HTTP/1.1\r\n".encode("latin-1")
                + self._fixed_headers + f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1"))
        try:
            async with asyncio.timeout(timeout_s):
                return await self._exchange(head + body)
        except TimeoutError as exc:
            raise TransportTimeout(f"no reply within {timeout_s:g}s") from exc

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    async def _exchange(self, request: bytes) -> HttpReply:
        # No silent resend when a reused connection drops: the server may have taken the
        # request (a paid call), so that is the gateway's retry to count and back off.
        # Idle connections the server closed are skipped at checkout instead.
        conn = await self._checkout()
        try:
            conn.writer.write(request)
            reply, keep_alive = await _read_reply(conn.reader)
        except BaseException as exc:
            conn.close()  # cancelled or broken mid-exchange: never reuse
            if isinstance(exc, (OSError, asyncio.IncompleteReadError,
                                asyncio.LimitOverrunError, ValueError)) \
                    and not isinstance(exc, TransportError):
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            raise
        if keep_alive and not self._closed and len(self._idle) < self._max_idle:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()
        return reply

    async def _checkout(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()  # most recently used: least likely to have expired
            if conn.reusable(now):
                return conn
            conn.close()
        return await self._connect()

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(
            self._host, self._port, ssl=self._ssl,
            server_hostname=self._host if self._tls else None, limit=MAX_HEAD_BYTES,
        )
        return _Connection(reader, writer)


async def _read_reply(reader: asyncio.StreamReader) -> tuple[HttpReply, bool]:
    """One response: (reply, whether the connection may be reused)."""
    while True:
        status, version, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        if not 100 <= status < 200:
            break  # 1xx are interim responses: the final one follows
    body, delimited = await _read_body(reader, status, headers)
    connection = headers.get("connection", "").lower()
    keep_alive = delimited and (
        "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection)
    return HttpReply(status, headers, _decode(body, headers.get("content-encoding", ""))), \
        keep_alive


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"malformed header line: {line[:100]!r}")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return int(parts[1]), parts[0], headers


async def _read_body(reader: asyncio.StreamReader, status: int,
                     headers: Mapping[str, str]) -> tuple[bytes, bool]:
    """The body, and whether its end was delimited (else the server closes after it)."""
    if status in (204, 304):
        return b"", True
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader), True
    length = headers.get("content-length")
    if length is not None:
        try:
            size = int(length)
        except ValueError as exc:
            raise ProtocolError(f"bad Content-Length {length!r}") from exc
        return await reader.readexactly(size), True
    return await reader.read(), False


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size line {line[:40]!r}") from exc
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")


def _decode(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if not body or encoding in ("", "identity"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some send
    except (OSError, zlib.error, EOFError) as exc:
        raise ProtocolError(f"cannot decode a {encoding} body: {exc}") from exc
    raise ProtocolError(f"unsupported Content-Encoding {encoding!r}")


def _default_ssl_context() -> ssl.SSLContext:
    # SSL_CERT_FILE / SSL_CERT_DIR (corporate CAs) win; else certifi's bundle, like httpx.
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
