"""Fetching files people share in watched channels: files.info, then ``url_private`` with
the bot token, within limits. The only code besides notify.py that talks to Slack.

The bot token goes only to Slack's file hosts over https (or to the configured Web API base,
such as a local double), a redirect elsewhere never carries it, and a download has a total
deadline and a size cap: a file server cannot hold a job longer, nor fill memory.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

from slack_sdk.errors import SlackApiError

from bot.images import ImageRejected

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
DOWNLOAD_SECONDS = 15  # in total, from connecting to the last byte (redirects included)
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif", "webp"}
SLACK_FILE_DOMAINS = ("slack.com", "slack-gov.com")  # files.slack.com, ...; GovSlack
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class SharedFile:
    """A downloaded file and what Slack says about it (never its content in logs)."""

    file_id: str
    name: str
    title: str
    alt_text: str
    mimetype: str
    data: bytes


def is_image_entry(entry: dict) -> bool:
    """Whether a file entry of a message event looks like an image worth fetching."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return False
    kind = str(entry.get("filetype") or "").lower()
    mimetype = str(entry.get("mimetype") or "")
    return kind in IMAGE_TYPES or mimetype.startswith("image/") or not (kind or mimetype)


def fetch_image(client, token: str, file_id: str, *, max_bytes: int = MAX_BYTES,
                timeout: float = DOWNLOAD_SECONDS) -> SharedFile:
    """files.info, then the download with ``Authorization: Bearer``; ImageRejected with the
    reason when the file is not an image, too big, not on Slack, or cannot be downloaded
    within ``timeout`` seconds in all."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        raise ImageRejected(f"files.info failed: {error.response.get('error')}") from None
    kind = str(info.get("filetype") or "").lower()
    if kind not in IMAGE_TYPES and not str(info.get("mimetype") or "").startswith("image/"):
        raise ImageRejected(f"not an image ({kind or 'unknown type'})")
    if int(info.get("size") or 0) > max_bytes:
        raise ImageRejected(f"too large ({int(info['size'])} bytes)")
    url = info.get("url_private_download") or info.get("url_private")
    if not isinstance(url, str) or not url:
        raise ImageRejected("no download address")
    # The Web API base the client was configured with (SLACK_API_URL) serves files too: a
    # local double over http, or Slack itself.
    bases = (client.base_url,) if isinstance(getattr(client, "base_url", None), str) else ()
    data = download(url, token, bases=bases, max_bytes=max_bytes, seconds=timeout)
    return SharedFile(file_id=file_id, name=str(info.get("name") or ""),
                      title=str(info.get("title") or ""), alt_text=str(info.get("alt_txt") or ""),
                      mimetype=str(info.get("mimetype") or ""), data=data)


def refusal(url: str, bases: Iterable[str] = ()) -> str | None:
    """Why Haven will not fetch ``url`` with the bot token, or None when it may: only https
    to Slack's file hosts, or the exact scheme, host and port of a configured base."""
    try:
        target = urlsplit(url)
        port = target.port
    except ValueError:
        return "malformed address"
    if target.username or target.password:
        return "address with credentials"
    if any(_origin(target) == _origin(urlsplit(base)) for base in bases):
        return None
    if target.scheme != "https":
        return "not https"
    host = (target.hostname or "").lower()
    if port not in (None, 443) or not any(host == d or host.endswith("." + d)
                                          for d in SLACK_FILE_DOMAINS):
        return "not a Slack file host"
    return None


def _origin(url: SplitResult) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, (url.hostname or "").lower(), url.port or default


def download(url: str, token: str, *, bases: Iterable[str] = (), max_bytes: int = MAX_BYTES,
             seconds: float = DOWNLOAD_SECONDS) -> bytes:
    """The body of ``url``, fetched with the bot token (ImageRejected with the reason).

    Redirects are followed (a few) only to addresses :func:`refusal` allows, and the token
    goes no further than the host it was meant for. All of it, headers and body, must
    arrive within ``seconds`` and ``max_bytes``.
    """
    bases = tuple(bases)
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    for _hop in range(MAX_REDIRECTS + 1):
        reason = refusal(url, bases)
        if reason:
            raise ImageRejected(f"download refused: {reason}")
        status, location, data = _get(urlsplit(url), headers, max_bytes, deadline)
        if status not in REDIRECTS:
            break
        if not location:
            raise ImageRejected(f"download failed: HTTP {status} without a location")
        following = urljoin(url, location)
        if _origin(urlsplit(following)) != _origin(urlsplit(url)):
            headers = {}  # the token is for the host Slack named, not wherever it points
        url = following
    else:
        raise ImageRejected("download failed: too many redirects")
    if status != 200:
        raise ImageRejected(f"download failed: HTTP {status}")
    if data[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise ImageRejected("download returned a web page (missing files:read scope?)")
    return data


def _get(url: SplitResult, headers: dict, max_bytes: int,
         deadline: float) -> tuple[int, str | None, bytes]:
    """One GET: status, Location and body (the body only of a 200)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise ImageRejected("download took too long")
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, url.port, timeout=left)
    # A socket time-out bounds each read, not the whole: a server sending a byte a second
    # would never trip it. At the deadline this watchdog shuts the socket, which ends any
    # read in progress, of the headers or of the body.
    sockets: list[socket.socket] = []
    watchdog = threading.Timer(left, _cut, (connection, sockets))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        # kept: a response without a length takes the socket over from the connection
        sockets.append(connection.sock)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location"), b""
        return 200, None, _body(response, max_bytes, deadline)
    except ImageRejected:
        raise
    except (OSError, ValueError, http.client.HTTPException) as error:
        if time.monotonic() >= deadline:
            raise ImageRejected("download took too long") from None
        raise ImageRejected(f"download failed: {type(error).__name__}") from None
    finally:
        watchdog.cancel()
        connection.close()
        for sock in sockets:
            sock.close()


def _body(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise ImageRejected(f"too large ({int(length)} bytes)")
    data = bytearray()
    while chunk := response.read(CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise ImageRejected(f"too large (over {max_bytes} bytes)")
    if time.monotonic() >= deadline:  # the watchdog cut it short: an end that is no end
        raise ImageRejected("download took too long")
    return bytes(data)


def _cut(connection: http.client.HTTPConnection, sockets: list[socket.socket]) -> None:
    # connection.sock while connecting (TLS handshake included), the kept socket after
    for sock in {connection.sock, *sockets} - {None}:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)
