"""A stand-in for Slack's Socket Mode endpoint: a websocket server on loopback that Haven's
Socket Mode client connects to (``apps.connections.open`` on the Web API double hands out
its URL). It pushes envelopes as Slack does and records the acknowledgements. For tests and
the demo only: plain ``ws://``, one connection at a time."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455


class SocketModeDouble:
    """``start()``, then ``url``; ``send(envelope)``; ``acks`` holds what came back."""

    def __init__(self):
        self.acks: list[dict] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._peer: socket.socket | None = None
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._ids = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.getsockname()[1]}/link"

    def start(self) -> SocketModeDouble:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        for closing in (self._peer, self._server):
            if closing is not None:
                with contextlib.suppress(OSError):
                    closing.close()

    def wait_connected(self, timeout: float = 30) -> bool:
        return self._connected.wait(timeout)

    def send(self, kind: str, payload: dict, *, accepts_response: bool = False) -> str:
        """Push an envelope (``events_api``, ``slash_commands``, ``interactive``); returns its
        envelope id."""
        with self._lock:
            self._ids += 1
            envelope_id = f"env-{self._ids:06d}"
        self._frame(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                "accepts_response_payload": accepts_response,
                                "retry_attempt": 0, "retry_reason": ""}).encode(), 0x1)
        return envelope_id

    def send_raw(self, envelope: str) -> None:
        """Push a text frame as is (for envelopes ``json.dumps`` could not write)."""
        self._frame(envelope.encode(), 0x1)

    def ack_for(self, envelope_id: str, timeout: float = 10) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [a for a in self.acks if a.get("envelope_id") == envelope_id]
            if found:
                return found[0]
            time.sleep(0.02)
        return None

    # -- the protocol -----------------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                peer, _ = self._server.accept()
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = peer.recv(4096)
                if not chunk:
                    break
                request += chunk
            key = next((line.split(":", 1)[1].strip() for line in
                        request.decode("latin-1").split("\r\n")
                        if line.lower().startswith("sec-websocket-key:")), "")
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            peer.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                            ).encode())
            self._peer = peer
            self._frame(json.dumps({"type": "hello", "num_connections": 1,
                                    "connection_info": {"app_id": "A0HAVEN01"}}).encode(), 0x1)
            self._connected.set()
            threading.Thread(target=self._read, args=(peer,), daemon=True).start()

    def _frame(self, data: bytes, opcode: int) -> None:
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 65536:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        with self._lock:
            if self._peer is not None:
                self._peer.sendall(header + data)

    def _read(self, peer: socket.socket) -> None:
        reader = peer.makefile("rb")
        try:
            while True:
                first, second = reader.read(2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", reader.read(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", reader.read(8))[0]
                mask = reader.read(4) if second & 0x80 else b"\0\0\0\0"
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(length)))
                if opcode == 0x9:
                    self._frame(data, 0xA)  # pong
                elif opcode == 0x8:
                    return
                elif opcode == 0x1:
                    with self._lock:
                        self.acks.append(json.loads(data))
        except (OSError, ValueError):
            return
