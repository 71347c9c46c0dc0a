"""File downloads under attack: the bot token offered to other hosts, redirects, servers
that trickle headers or bodies, oversized files, and slow files starving text notices.

Hostile file servers run on loopback; the end-to-end tests run Haven against the Slack
double, which serves files itself (one byte at a time when asked)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.demo import AUTHOR, GENERAL, TARGET
from bot.files import MAX_BYTES, download, refusal
from bot.images import ImageRejected
from bot.slack_double import BOT_TOKEN, wait_for
from tests.scenarios import set_up

TOKEN = "xoxb-test-token"


class FileServer:
    """A file server on loopback that records what it was sent and answers with
    ``answer(handler, stopped)``; stopped is set when the test ends."""

    def __init__(self, answer):
        self.requests: list[dict] = []
        self.stopped = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append({"path": self.path,
                                        "authorization": self.headers.get("Authorization")})
                with contextlib.suppress(OSError):  # the client hung up
                    answer(self, server.stopped)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"

    def close(self) -> None:
        self.stopped.set()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def serve():
    started = []

    def start(answer) -> FileServer:
        started.append(FileServer(answer))
        return started[-1]

    yield start
    for server in started:
        server.close()


def send(handler, status: int, body: bytes = b"", **headers) -> None:
    handler.send_response(status)
    for key, value in {"Content-Length": str(len(body)), **headers}.items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(url: str):
    return lambda handler, _: send(handler, 302, Location=url)


def image(handler, _) -> None:
    send(handler, 200, b"\x89PNG the image")


# -- where the token may go --------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "https://files.slack.com/files-pri/T1-F1/meme.png",
    "https://files-edge.slack.com/files-pri/T1-F1/download/meme.png",
    "https://FILES.Slack.com:443/files-pri/T1-F1/meme.png",
    "https://files.slack-gov.com/files-pri/T1-F1/meme.png",
    "http://127.0.0.1:5555/files-pri/T1-F1/meme.png",  # the configured base: a local double
])
def test_slack_file_hosts_and_the_configured_base_may_have_the_token(url):
    assert refusal(url, ["http://127.0.0.1:5555/api/"]) is None


@pytest.mark.parametrize(("url", "reason"), [
    ("https://evil.example/files-pri/T1-F1/meme.png", "not a Slack file host"),
    ("https://files.slack.com.evil.example/meme.png", "not a Slack file host"),
    ("https://evilslack.com/meme.png", "not a Slack file host"),
    ("https://files.slack.com:8443/meme.png", "not a Slack file host"),
    ("http://files.slack.com/files-pri/T1-F1/meme.png", "not https"),
    ("http://127.0.0.1:5556/files-pri/T1-F1/meme.png", "not https"),  # another port
    ("http://localhost:5555/files-pri/T1-F1/meme.png", "not https"),  # another host name
    ("https://127.0.0.1:5555/files-pri/T1-F1/meme.png", "not a Slack file host"),
    ("https://token@files.slack.com/meme.png", "credentials"),
    ("ftp://files.slack.com/meme.png", "not https"),
    ("https://files.slack.com:99999/meme.png", "malformed"),
])
def test_other_hosts_and_plain_http_are_refused_with_the_reason(url, reason):
    assert reason in refusal(url, ["http://127.0.0.1:5555/api/"])


def test_a_file_on_another_host_is_refused_without_contacting_it(serve):
    elsewhere = serve(image)
    with pytest.raises(ImageRejected, match="download refused: not https"):
        download(elsewhere.base + "/meme.png", TOKEN, bases=["http://127.0.0.1:1/api/"])
    assert elsewhere.requests == []


def test_a_redirect_to_another_host_is_not_followed(serve):
    elsewhere = serve(image)
    slack = serve(redirect_to(elsewhere.base + "/stolen"))
    with pytest.raises(ImageRejected, match="download refused"):
        download(slack.base + "/files-pri/T1-F1/meme.png", TOKEN, bases=[slack.base])
    assert [r["authorization"] for r in slack.requests] == [f"Bearer {TOKEN}"]
    assert elsewhere.requests == []


def test_a_redirect_to_another_allowed_host_goes_without_the_token(serve):
    cdn = serve(image)
    slack = serve(redirect_to(cdn.base + "/signed/meme.png"))
    data = download(slack.base + "/files-pri/T1-F1/meme.png", TOKEN,
                    bases=[slack.base, cdn.base])
    assert data == b"\x89PNG the image"
    assert slack.requests[0]["authorization"] == f"Bearer {TOKEN}"
    assert cdn.requests == [{"path": "/signed/meme.png", "authorization": None}]


def test_a_redirect_on_the_same_host_keeps_the_token(serve):
    def answer(handler, stopped):
        if handler.path == "/files-pri/T1-F1/meme.png":
            return redirect_to("/files-pri/T1-F1/download/meme.png")(handler, stopped)
        image(handler, stopped)

    slack = serve(answer)
    assert download(slack.base + "/files-pri/T1-F1/meme.png", TOKEN, bases=[slack.base])
    assert [r["authorization"] for r in slack.requests] == [f"Bearer {TOKEN}"] * 2


def test_endless_redirects_end(serve):
    loop = serve(lambda handler, stopped: redirect_to(handler.path + "x")(handler, stopped))
    with pytest.raises(ImageRejected, match="too many redirects"):
        download(loop.base + "/a", TOKEN, bases=[loop.base])
    assert len(loop.requests) == 4


# -- time and size -------------------------------------------------------------------------
def trickle(prefix: bytes, count: int, every: float):
    """Raw bytes: ``prefix`` at once, then ``count`` bytes of x, one every ``every`` s."""
    def answer(handler, stopped):
        handler.wfile.write(prefix)
        handler.wfile.flush()
        for _ in range(count):
            if stopped.wait(every):
                return
            handler.wfile.write(b"x")
            handler.wfile.flush()
    return answer


@pytest.mark.parametrize("answer", [
    trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 100, 0.5),  # the body
    trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ", 100, 0.5),  # a header that never ends
    trickle(b"HTTP/1.1 200 OK\r\n\r\n", 100, 0.5),  # a body without a length
], ids=["body", "headers", "unsized-body"])
def test_a_trickling_server_is_cut_at_the_total_deadline(serve, answer):
    slow = serve(answer)
    start = time.monotonic()
    with pytest.raises(ImageRejected, match="download took too long"):
        download(slow.base + "/meme.png", TOKEN, bases=[slow.base], seconds=1.5)
    assert time.monotonic() - start < 5  # before: a byte every 0.5 s held it for 50 s


def test_a_file_announced_too_large_is_refused_before_its_body(serve):
    def huge(handler, stopped):
        handler.send_response(200)
        handler.send_header("Content-Length", str(MAX_BYTES + 1))
        handler.end_headers()
        handler.wfile.flush()
        stopped.wait(30)  # the body would follow

    big = serve(huge)
    start = time.monotonic()
    with pytest.raises(ImageRejected, match=f"too large \\({MAX_BYTES + 1} bytes\\)"):
        download(big.base + "/meme.png", TOKEN, bases=[big.base], seconds=20)
    assert time.monotonic() - start < 5


def test_a_file_that_grows_past_the_cap_is_cut(serve):
    endless = serve(lambda handler, _: handler.wfile.write(
        b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 2048))
    with pytest.raises(ImageRejected, match="too large \\(over 1000 bytes\\)"):
        download(endless.base + "/meme.png", TOKEN, bases=[endless.base], max_bytes=1000)


def test_an_error_status_is_a_reason(serve):
    denied = serve(lambda handler, _: send(handler, 403))
    with pytest.raises(ImageRejected, match="HTTP 403"):
        download(denied.base + "/meme.png", TOKEN, bases=[denied.base])


# -- end to end ----------------------------------------------------------------------------
def test_a_shared_file_pointing_at_another_host_never_gets_the_token(local, serve, caplog):
    caplog.set_level(logging.INFO)
    set_up(local)
    elsewhere = serve(image)
    entry = local.double.add_file("F0ELSEWH1", b"\x89PNG", url_private=elsewhere.base + "/x.png")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> look", subtype="file_share",
                         files=[entry])
    skipped = wait_for(lambda: [r.getMessage() for r in caplog.records
                                if "F0ELSEWH1 skipped" in r.getMessage()], timeout=10)
    assert "download refused: not https" in skipped[0]
    assert elsewhere.requests == [] and local.double.downloads == []
    assert BOT_TOKEN not in caplog.text


def test_a_text_notice_goes_out_while_four_files_trickle_in(local):
    set_up(local)
    for n in range(4):  # a byte every half second: each download would take minutes
        entry = local.double.add_file(f"F0SLOW00{n}", b"\x89PNG" + b"x" * 400, trickle=0.5)
        local.player.message(AUTHOR, GENERAL, "look", subtype="file_share", files=[entry])
    wait_for(lambda: len(local.double.downloads) == 4, timeout=10)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> you are a useless idiot")
    # before: the four downloads held all four job threads, and the notice waited for them
    assert wait_for(lambda: local.double.dms_to(TARGET), timeout=5)


def test_file_jobs_have_threads_of_their_own_and_join_waits_for_both():
    from bot.jobs import LocalJobs

    release, done = threading.Event(), []

    class Haven:  # what jobs.run needs: a gateway, and the two job methods
        def gateway(self, client, team_id):
            return client

        def handle_file(self, *, gateway, team_id, n):
            release.wait(10)
            done.append(f"file {n}")

        def handle_message(self, *, gateway, team_id):
            jobs.enqueue("handle_file", team_id=team_id, client="c", n=99)
            done.append("message")

    jobs = LocalJobs(Haven(), workers=1, file_workers=2)
    for n in range(4):  # more hanging files than there are threads of either kind
        jobs.enqueue("handle_file", team_id="T1", client="c", n=n)
    jobs.enqueue("handle_message", team_id="T1", client="c")
    assert wait_for(lambda: "message" in done, timeout=5)
    assert not jobs.join(timeout=0.2)  # the files still hang
    release.set()
    assert jobs.join(timeout=10) and len(done) == 6
    jobs.shutdown()
