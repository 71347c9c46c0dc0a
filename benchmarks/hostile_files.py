"""What hostile shared files cost Haven: time and peak memory of judging two image bombs, how
long a trickling file server holds a job, and how late a text notice is while four files
trickle in.

Run: ``python benchmarks/hostile_files.py [images|trickle|notice ...]`` (all by default).
Each image runs in a fresh process, so its peak memory (peak RSS over what the process held
with the model loaded) is its own.
"""

from __future__ import annotations

import io
import json
import re
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMAGES = {
    "1x39000000 PNG": ("L", (1, 39_000_000)),
    "8000x5000 PNG (40 MP)": ("RGB", (8000, 5000)),
}


def _png(mode: str, size: tuple[int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def judge_one(name: str) -> dict:
    """Judge one image bomb in this process (model loaded first); its cost."""
    from bot.images import ImageRejected, dictionary_for, judge
    from classifier import load_model

    data = _png(*IMAGES[name])
    model = load_model()
    dictionary = dictionary_for(model)
    before = _peak_mb()
    cpu = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.monotonic()
    try:
        judge(data, model=model, dictionary=dictionary, known=[])
        outcome = "judged"
    except ImageRejected as reason:
        outcome = f"rejected: {reason}"
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"image": name, "kb": round(len(data) / 1024), "outcome": outcome,
            "seconds": round(time.monotonic() - start, 2),
            "cpu_seconds": round(time.process_time() + children.ru_utime - cpu, 2),
            "peak_mb_over_baseline": round(_peak_mb() - before)}


def _peak_mb() -> float:
    """This process's peak resident memory (Linux): unlike ru_maxrss, not inherited from
    the parent across fork and exec."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def images() -> None:
    for name in IMAGES:
        out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True,
                             text=True, check=True).stdout
        print(out.strip().splitlines()[-1])


def _trickle_server(seconds_per_byte: float, length: int = 40):
    """A file server that sends a ``length``-byte body one byte at a time."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            try:
                for _ in range(length):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(seconds_per_byte)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Client:
    """Just enough of a Web API client for fetch_image: files.info names the trickler."""

    def __init__(self, url: str):
        self.base_url = url.rsplit("/", 1)[0] + "/api/"
        self.url = url

    def files_info(self, file):
        return {"file": {"id": file, "filetype": "png", "mimetype": "image/png", "size": 40,
                         "url_private": self.url}}


def trickle() -> None:
    from bot.files import fetch_image
    from bot.images import ImageRejected

    server = _trickle_server(2.0)
    url = f"http://127.0.0.1:{server.server_address[1]}/files-pri/T-F1/x.png"
    start = time.monotonic()
    try:
        fetch_image(_Client(url), "xoxb-test", "F1")
        outcome = "downloaded"
    except ImageRejected as reason:
        outcome = f"rejected: {reason}"
    print(json.dumps({"trickle": "1 byte every 2 s, 40 bytes", "outcome": outcome,
                      "job_held_seconds": round(time.monotonic() - start, 1)}))
    server.shutdown()


def notice() -> None:
    """A hurtful text message right after four slow files: seconds until its notice."""
    import tempfile

    from bot.demo import AUTHOR, GENERAL, TARGET, LocalHaven
    from bot.slack_double import SlackDouble, wait_for
    from tests.scenarios import set_up

    slow = set()
    original = SlackDouble._download

    def trickling(double, request, path):  # this benchmark's files arrive 1 byte every 2 s
        file_id = path.split("/")[2].split("-", 1)[-1]
        if file_id not in slow:
            return original(double, request, path)
        request.send_response(200)
        request.send_header("Content-Length", "40")
        request.end_headers()
        try:
            for _ in range(40):
                request.wfile.write(b"x")
                request.wfile.flush()
                time.sleep(2.0)
        except OSError:
            pass

    SlackDouble._download = trickling
    with tempfile.TemporaryDirectory() as folder, LocalHaven(Path(folder)) as local:
        set_up(local)
        for n in range(4):
            file_id = f"F0SLOW00{n}"
            slow.add(file_id)
            entry = local.double.add_file(file_id, b"x" * 40)
            local.player.message(AUTHOR, GENERAL, "look", subtype="file_share", files=[entry])
        wait_for(lambda: len(local.double.downloads) >= 4, timeout=10)
        start = time.monotonic()
        local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> you are a useless idiot")
        wait_for(lambda: local.double.dms_to(TARGET), timeout=120)
        print(json.dumps({"text_notice_seconds_with_4_slow_files":
                          round(time.monotonic() - start, 1)}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(judge_one(sys.argv[2])))
    else:
        for part in sys.argv[1:] or ["images", "trickle", "notice"]:
            {"images": images, "trickle": trickle, "notice": notice}[part]()
