"""A zero-work client: the fake server's ceiling on requests in flight.

    python3 reference.py PORT PATH CONNECTIONS REQUESTS

Keeps CONNECTIONS keep-alive connections to 127.0.0.1:PORT busy with the same
small chat completion to PATH, sending the next request on a connection the
moment its answer is complete, until REQUESTS have been answered. It does no
work between an answer and the next request, so the requests in flight the
server logs for it are as many as the server itself allows at that limit;
bench/eval sets Preflight's figure beside it. Exits non-zero unless every
answer is a 200.
"""

import selectors
import socket
import sys

BODY = b'{"model":"fake","messages":[{"role":"user","content":"Answer A, B, C or D."}]}'


def request(path: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    )
    return head.encode() + BODY


def complete(buffer: bytes) -> tuple[int, int] | None:
    """(status, length of the whole answer) once `buffer` holds one."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buffer[:end].decode("latin-1").lower().split("\r\n")
    status = int(head[0].split()[1])
    fields = dict(line.split(":", 1) for line in head[1:] if ":" in line)
    start = end + 4
    if "chunked" in fields.get("transfer-encoding", ""):
        last = buffer.find(b"\r\n0\r\n\r\n", start - 2)
        return None if last < 0 else (status, last + 7)
    length = int(fields.get("content-length", "0"))
    return None if len(buffer) < start + length else (status, start + length)


def main() -> None:
    port, path, connections, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    payload = request(path)
    selector = selectors.DefaultSelector()
    buffers: dict[socket.socket, bytes] = {}
    sent = answered = 0
    for _ in range(min(connections, total)):
        conn = socket.create_connection(("127.0.0.1", port))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.setblocking(False)
        selector.register(conn, selectors.EVENT_READ)
        buffers[conn] = b""
        conn.sendall(payload)
        sent += 1
    while answered < total:
        for key, _ in selector.select():
            conn = key.fileobj
            data = conn.recv(65536)
            if not data:
                sys.exit(f"the server closed a connection after {answered} answers")
            buffers[conn] += data
            done = complete(buffers[conn])
            if done is None:
                continue
            status, length = done
            if status != 200:
                sys.exit(f"the server answered {status}")
            buffers[conn] = buffers[conn][length:]
            answered += 1
            if sent < total:
                conn.sendall(payload)
                sent += 1


if __name__ == "__main__":
    main()
