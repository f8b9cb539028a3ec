"""A fake Anthropic Messages server: for the protocol translation only. It
answers with a tool call, whole or streamed, and remembers the keys it got."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE = {
    "id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-fake",
    "content": [
        {"type": "text", "text": "Checking the port."},
        {"type": "tool_use", "id": "toolu_1", "name": "scan_port", "input": {"host": "10.0.0.5", "port": 443}},
    ],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 21, "output_tokens": 17},
}


def events():
    yield "message_start", {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None,
                                                                 "usage": {"input_tokens": 21, "output_tokens": 1}}}
    yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    for piece in ("Checking ", "the port."):
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": piece}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "content_block_start", {"type": "content_block_start", "index": 1, "content_block":
                                  {"type": "tool_use", "id": "toolu_1", "name": "scan_port", "input": {}}}
    for piece in ('{"host": "10.0.0.5",', ' "port": 443}'):
        yield "content_block_delta", {"type": "content_block_delta", "index": 1,
                                      "delta": {"type": "input_json_delta", "partial_json": piece}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 1}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                            "usage": {"output_tokens": 17}}
    yield "message_stop", {"type": "message_stop"}


class FakeAnthropic:
    def __init__(self):
        self.keys: list[str] = []
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Without it Nagle and delayed ACKs stall every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.keys.append(self.headers.get("x-api-key", ""))
                fake.requests.append(body)
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for name, data in events():
                        frame = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    return
                out = json.dumps(MESSAGE).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
