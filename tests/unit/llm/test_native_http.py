"""The native HTTP/1.1 client's response reader, fed bytes directly (no server)."""

import asyncio
import gzip

import pytest

from longweave.llm.native_http import ProtocolError, _read_reply


async def read(raw: bytes):
    reader = asyncio.StreamReader()
    reader.feed_data(raw)
    reader.feed_eof()
    return await _read_reply(reader)


async def test_content_length_keeps_the_connection():
    reply, keep = await read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nhiEXTRA")
    assert (reply.status, reply.body, reply.headers["x-a"], keep) == (200, b"hi", "1", True)


async def test_chunked_body_with_extensions_and_trailers():
    raw = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
    reply, keep = await read(raw)
    assert reply.body == b"hello world" and keep


async def test_close_delimited_body_is_not_reused():
    reply, keep = await read(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
    assert reply.body == b"until the end" and not keep


async def test_connection_close_and_http10_semantics():
    _, keep = await read(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert not keep
    _, keep = await read(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert not keep
    _, keep = await read(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
    assert keep


async def test_gzip_body_is_decoded():
    body = gzip.compress(b'{"ok": true}')
    raw = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    reply, _ = await read(raw)
    assert reply.body == b'{"ok": true}'


async def test_interim_responses_are_skipped_and_headers_repeat():
    raw = (b"HTTP/1.1 100 Continue\r\n\r\n"
           b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nVia: a\r\nVia: b\r\n"
           b"Content-Length: 0\r\n\r\n")
    reply, _ = await read(raw)
    assert reply.status == 429 and reply.headers == {
        "retry-after": "3", "via": "a, b", "content-length": "0"}


@pytest.mark.parametrize("raw", [
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"HTTP/1.1 abc OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx",
])
async def test_protocol_errors(raw):
    with pytest.raises(ProtocolError):
        await read(raw)


async def test_truncated_reply_is_an_incomplete_read():
    with pytest.raises(asyncio.IncompleteReadError):
        await read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
