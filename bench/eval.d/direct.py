"""Sends recorded chat-completion request bodies to a server back to back, on one
keep-alive connection with TCP_NODELAY, and prints the seconds it took from the
first request sent to the last answer read, and the count:

    python3 direct.py http://127.0.0.1:PORT/v1 BODIES_LOG
    -> "12.345 40"

BODIES_LOG is an nginx access log written with `escape=json '$request_body'`: one
request body a line, escaped as the inside of a JSON string.
"""

import http.client
import json
import socket
import sys
import time
from urllib.parse import urlsplit


def main() -> None:
    base, bodies_log = sys.argv[1], sys.argv[2]
    url = urlsplit(base.rstrip("/") + "/chat/completions")
    bodies = []
    with open(bodies_log, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                bodies.append(json.loads('"' + line + '"').encode("utf-8"))
    if not bodies:
        sys.exit("no request body recorded in " + bodies_log)

    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=600)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer dummy"}
    start = time.perf_counter()
    for body in bodies:
        conn.request("POST", url.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            sys.exit(f"status {response.status}: {data[:300]!r}")
    elapsed = time.perf_counter() - start
    conn.close()
    print(f"{elapsed:.3f} {len(bodies)}")


if __name__ == "__main__":
    main()
