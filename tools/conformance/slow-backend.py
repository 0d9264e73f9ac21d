#!/usr/bin/env python3
"""The origin behind the proxy in slowhttptest.sh: an asyncio HTTP/1.1 server that reads
each request's body (Content-Length or chunked) before it answers, so a slow body reaches
it through the proxy, and answers /big with 256 KiB (far more than a slow reader takes, yet little loopback
copying per connection), so a slow reader has something to not
read. asyncio holds thousands of connections in one thread; a thread-per-connection server
would be what falls over, not the proxy in front of it.

Usage: slow-backend.py PORT
"""
import asyncio
import sys

BIG = b"x" * (256 * 1024)
SMALL = b"ok\n"


async def read_body(reader, headers):
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailer lines
                return
            await reader.readexactly(size + 2)
    length = int(headers.get(b"content-length", b"0"))
    if length:
        await reader.readexactly(length)


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            await read_body(reader, headers)
            body = BIG if path.startswith(b"/big") else SMALL
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body))
            writer.write(body)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError, IndexError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
