"""Fetching files people share in watched channels: files.info, then ``url_private`` with
the bot token, within limits. The only code besides notify.py that talks to Slack."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.images import ImageRejected

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
DOWNLOAD_SECONDS = 15
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif", "webp"}


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
    reason when the file is not an image, too big, or cannot be downloaded."""
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
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ImageRejected("no download address")
    return SharedFile(file_id=file_id, name=str(info.get("name") or ""),
                      title=str(info.get("title") or ""), alt_text=str(info.get("alt_txt") or ""),
                      mimetype=str(info.get("mimetype") or ""),
                      data=_download(url, token, max_bytes, timeout))


def _download(url: str, token: str, max_bytes: int, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        raise ImageRejected(f"download failed: HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ImageRejected(f"download failed: {type(error).__name__}") from None
    if len(data) > max_bytes:
        raise ImageRejected(f"too large (over {max_bytes} bytes)")
    if data[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise ImageRejected("download returned a web page (missing files:read scope?)")
    return data
