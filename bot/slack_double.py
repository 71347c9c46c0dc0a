"""A Slack stand-in for tests and ``haven demo``: the Web API over real HTTP, and a player
that sends Haven signed requests exactly as Slack signs them.

The double keeps a small workspace (people, channels), answers the Web API methods Haven
uses, checks the bot token and Block Kit limits, records every call, and can be told to
fail a method (HTTP 429 with ``Retry-After``, 500, or a Slack error) a number of times.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from slack_sdk.signature import SignatureVerifier

from bot.listeners import BOT_SCOPES

TEAM_ID = "T0HAVEN01"
BOT_USER_ID = "U0HAVENBOT"
BOT_TOKEN = "xoxb-test-haven-double-token"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "double-client-secret"
SIGNING_SECRET = "test-signing-secret-for-the-double"

LIMITS = {"message_blocks": 50, "modal_blocks": 100, "section_text": 3000, "header": 150,
          "button": 75, "option": 75, "options": 100, "title": 24, "metadata": 3000,
          "message_text": 40000}


class BlockKitError(ValueError):
    """A payload Slack would reject (``invalid_blocks``)."""


def check_blocks(items, limit: int) -> None:
    """Raise BlockKitError where Slack would refuse these blocks."""
    if not isinstance(items, list) or len(items) > limit:
        raise BlockKitError(f"at most {limit} blocks")
    for block in items:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "section" and len(text) > LIMITS["section_text"]:
            raise BlockKitError("section text over 3000 characters")
        if kind == "header" and len(text) > LIMITS["header"]:
            raise BlockKitError("header over 150 characters")
        for element in [*block.get("elements", []), block.get("element") or {}]:
            if element.get("type") == "button" and \
                    len(element["text"]["text"]) > LIMITS["button"]:
                raise BlockKitError("button text over 75 characters")
            options = element.get("options") or []
            if len(options) > LIMITS["options"] or any(
                    len(o["text"]["text"]) > LIMITS["option"] for o in options):
                raise BlockKitError("too many or too long options")


@dataclass
class Fault:
    """How a method should fail, and how many more times."""

    times: int
    status: int = 429
    error: str | None = None
    retry_after: int = 1
    delay: float = 0.0  # with status 200 and no error: answer normally, but this late


@dataclass
class Workspace:
    """The people and channels the double knows."""

    users: dict[str, dict] = field(default_factory=dict)
    channels: dict[str, dict] = field(default_factory=dict)

    def add_user(self, user_id: str, name: str, *, admin: bool = False, bot: bool = False,
                 locale: str = "en-US"):
        self.users[user_id] = {"id": user_id, "team_id": TEAM_ID, "name": name.lower(),
                               "real_name": name, "is_admin": admin, "is_owner": False,
                               "locale": locale,
                               "is_bot": bot, "profile": {"display_name": name,
                                                          "real_name": name}}

    def add_channel(self, channel_id: str, name: str, *, private: bool = False,
                    member: bool = False, members: tuple[str, ...] = ()):
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private,
                                     "is_channel": not private, "is_member": member,
                                     "members": list(members)}


class SlackDouble:
    """The Web API at ``self.api_url``; start() it, stop() it."""

    def __init__(self, workspace: Workspace | None = None, token: str = BOT_TOKEN):
        self.workspace = workspace or Workspace()
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.messages: list[dict] = []
        self.views: list[dict] = []
        self.homes: list[dict] = []
        self.responses: list[dict] = []
        self.faults: dict[str, Fault] = {}
        self.files: dict[str, dict] = {}  # file id -> files.info entry and "content" bytes
        self.tokens: dict[str, str] = {token: TEAM_ID}  # bot token -> its workspace
        self.ephemerals: list[dict] = []  # chat.postEphemeral: only one user sees them
        self.deleted: list[dict] = []  # chat.delete
        self.uploads: dict[str, dict] = {}  # files.uploadV2: id -> filename, content, channel
        self.channel_history: list[dict] = []  # messages people posted (for history lookups)
        self.downloads: list[dict] = []
        self.down = False  # an outage: every Web API call answers 503
        self._stopped = threading.Event()  # ends the downloads still trickling
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> SlackDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                double._handle(self)

            do_GET = do_POST

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self) -> str:
        return f"{self.base_url}/respond/{next(self._ts)}"

    # -- control ----------------------------------------------------------------------
    def fail(self, method: str, *, times: int = 1, status: int = 429, error: str | None = None,
             retry_after: int = 1) -> None:
        """Make ``method`` fail the next ``times`` calls."""
        self.faults[method] = Fault(times, status, error, retry_after)

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Make ``method`` answer ``seconds`` late, the next ``times`` calls."""
        self.faults[method] = Fault(times, 200, None, 0, seconds)

    def calls_to(self, method: str) -> list[dict]:
        with self._lock:
            return [args for name, args in self.calls if name == method]

    def dms_to(self, user_id: str) -> list[dict]:
        """Messages Haven sent in its DM with ``user_id``."""
        with self._lock:
            return [m for m in self.messages if m["channel"] == "D" + user_id]

    def channel_messages(self, channel_id: str) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m["channel"] == channel_id]

    # -- HTTP -------------------------------------------------------------------------
    def add_file(self, file_id: str, content: bytes, *, name: str = "image.png",
                 mimetype: str = "image/png", filetype: str = "png", trickle: float = 0.0,
                 **extra) -> dict:
        """A file someone shared; its download needs the bot token, like url_private.
        With ``trickle``, it is sent one byte every ``trickle`` seconds (a slow server)."""
        entry = {"id": file_id, "name": name, "title": name, "mimetype": mimetype,
                 "filetype": filetype, "size": len(content),
                 "url_private": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/{name}",
                 **extra}
        self.files[file_id] = {"info": entry, "content": content, "trickle": trickle}
        return {k: entry[k] for k in ("id", "name", "mimetype", "filetype")}

    def _download(self, request, path: str) -> None:
        file_id = path.split("/")[2].split("-", 1)[-1]
        stored = self.files.get(file_id)
        authorised = request.headers.get("Authorization") == f"Bearer {self.token}"
        with self._lock:
            self.downloads.append({"file": file_id, "authorised": authorised})
        if stored is None or not authorised or stored["info"].get("deny_download"):
            request.send_response(401 if stored else 404)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        data = stored["content"]
        request.send_response(200)
        request.send_header("Content-Type", stored["info"]["mimetype"])
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if not stored.get("trickle"):
            request.wfile.write(data)
            return
        for at in range(len(data)):  # until sent, the client hangs up, or the double stops
            if self._stopped.wait(stored["trickle"]):
                return
            try:
                request.wfile.write(data[at:at + 1])
                request.wfile.flush()
            except OSError:
                return

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode("utf-8") if length else ""
        path = urllib.parse.urlparse(request.path)
        if path.path.startswith("/files-pri/"):
            return self._download(request, path.path)
        if path.path.startswith("/upload/"):
            with self._lock:
                self.uploads.setdefault(path.path.split("/")[2], {})["content"] = raw
            return self._send(request, 200, {"ok": True})
        if path.path.startswith("/respond/"):
            with self._lock:
                self.responses.append(json.loads(raw or "{}"))
            return self._send(request, 200, {"ok": True})
        method = path.path.removeprefix("/api/")
        args = self._args(request, raw, path.query)
        with self._lock:
            self.calls.append((method, args))
            if self.down:
                return self._send(request, 503, {"ok": False, "error": "service_unavailable"})
            fault = self.faults.get(method)
            if fault and fault.times > 0:
                fault.times -= 1
            else:
                fault = None
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
            fault = None
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            return self._send(request, fault.status,
                              {"ok": False, "error": fault.error or "ratelimited"}, headers)
        if method == "oauth.v2.access":
            return self._send(request, 200, self.api_oauth_v2_access(args, request))
        if method == "apps.connections.open":  # authenticated by the app-level token
            app_token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            body = self.api_apps_connections_open(args) if app_token.startswith("xapp-") \
                else {"ok": False, "error": "invalid_auth"}
            return self._send(request, 200, body)
        auth = request.headers.get("Authorization", "").removeprefix("Bearer ")
        team = self.tokens.get(auth) or self.tokens.get(args.get("token", ""))
        if team is None:
            return self._send(request, 200, {"ok": False, "error": "invalid_auth"})
        args["_team"] = team
        try:
            body = getattr(self, "api_" + method.replace(".", "_"))(args)
        except AttributeError:
            body = {"ok": False, "error": "unknown_method"}
        except BlockKitError as error:
            body = {"ok": False, "error": "invalid_blocks", "detail": str(error)}
        except KeyError as error:
            body = {"ok": False, "error": f"missing_argument_{error.args[0]}"}
        self._send(request, 200, body)

    @staticmethod
    def _args(request, raw: str, query: str) -> dict:
        if "json" in (request.headers.get("Content-Type") or ""):
            args = json.loads(raw or "{}")
        else:
            args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        args.update({k: v[0] for k, v in urllib.parse.parse_qs(query).items()})
        for key in ("blocks", "view", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    @staticmethod
    def _send(request, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    # -- Web API methods --------------------------------------------------------------
    def api_auth_test(self, args):
        team = args.get("_team", TEAM_ID)
        return {"ok": True, "user_id": BOT_USER_ID, "bot_id": "B0HAVEN01", "team_id": team,
                "team": "Acme", "user": "haven", "url": "https://acme.slack.com/"}

    def api_oauth_v2_access(self, args, request) -> dict:
        """Slack's OAuth exchange: the code ``install-<TEAM>`` installs Haven into <TEAM>
        (optionally ``install-<TEAM>-<ENTERPRISE>``) and gives it a bot token of its own."""
        import base64

        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        client = base64.b64decode(basic).decode() if basic else \
            f"{args.get('client_id')}:{args.get('client_secret')}"
        code = args.get("code", "")
        if client != f"{CLIENT_ID}:{CLIENT_SECRET}" or not code.startswith("install-"):
            return {"ok": False, "error": "invalid_code"}
        team, _, enterprise = code.removeprefix("install-").partition("-")
        token = f"xoxb-{team.lower()}-double"
        with self._lock:
            self.tokens[token] = team
        return {"ok": True, "access_token": token, "token_type": "bot",
                "scope": ",".join(BOT_SCOPES), "bot_user_id": BOT_USER_ID,
                "app_id": "A0HAVEN01", "team": {"id": team, "name": f"Team {team}"},
                "enterprise": {"id": enterprise, "name": "Grid"} if enterprise else None,
                "is_enterprise_install": False, "authed_user": {"id": "U0INSTALL"}}

    def api_users_info(self, args):
        user = self.workspace.users.get(args["user"])
        if user and str(args.get("include_locale")).lower() not in {"true", "1"}:
            user = {k: v for k, v in user.items() if k != "locale"}  # as Slack does
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def api_conversations_info(self, args):
        channel = self.workspace.channels.get(args["channel"])
        return {"ok": True, "channel": channel} if channel else \
            {"ok": False, "error": "channel_not_found"}

    def api_conversations_members(self, args):
        channel = self.workspace.channels.get(args["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": list(channel.get("members", [])),
                "response_metadata": {"next_cursor": ""}}

    def api_conversations_join(self, args):
        channel = self.workspace.channels.get(args["channel"])
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel["is_private"]:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        channel["is_member"] = True
        return {"ok": True, "channel": channel}

    def api_conversations_open(self, args):
        users = args["users"] if isinstance(args["users"], str) else ",".join(args["users"])
        if users not in self.workspace.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + users}}

    def api_files_info(self, args):
        stored = self.files.get(args["file"])
        return {"ok": True, "file": stored["info"]} if stored else \
            {"ok": False, "error": "file_not_found"}

    def api_conversations_history(self, args):
        if args["channel"].startswith("D"):  # a DM with Haven: its messages, newest first
            oldest = float(args.get("oldest") or 0)
            with self._lock:
                found = [m for m in self.messages if m["channel"] == args["channel"]
                         and float(m["ts"]) >= oldest]
            keep = ("ts", "text") + (("metadata",) if args.get("include_all_metadata") else ())
            return {"ok": True, "has_more": False, "messages": [
                {k: m[k] for k in keep if m.get(k) is not None} for m in reversed(found)]}
        found = [m for m in self.messages + self.channel_history
                 if m["channel"] == args["channel"] and m["ts"] == args.get("latest")]
        return {"ok": True, "messages": found[:1], "has_more": False}

    def api_conversations_replies(self, args):
        parent = [m for m in self.messages
                  if m["channel"] == args["channel"] and m["ts"] == args["ts"]]
        return {"ok": True, "messages": parent}

    def api_chat_postMessage(self, args):
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if len(args.get("text") or "") > LIMITS["message_text"]:
            return {"ok": False, "error": "msg_too_long"}
        check_blocks(args.get("blocks") or [], LIMITS["message_blocks"])
        ts = f"{int(time.time())}.{next(self._ts):06d}"  # like Slack: now, unique
        with self._lock:
            self.messages.append({"channel": args["channel"], "text": args.get("text", ""),
                                  "blocks": args.get("blocks") or [], "ts": ts,
                                  "metadata": args.get("metadata"), "at": time.time()})
        return {"ok": True, "channel": args["channel"], "ts": ts}

    def api_chat_update(self, args):
        check_blocks(args.get("blocks") or [], LIMITS["message_blocks"])
        with self._lock:
            for message in self.messages:
                if message["channel"] == args["channel"] and message["ts"] == args["ts"]:
                    message.update(text=args.get("text", ""), blocks=args.get("blocks") or [])
                    return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def api_chat_postEphemeral(self, args):
        if args["user"] not in self.workspace.users:
            return {"ok": False, "error": "user_not_in_channel"}
        with self._lock:
            self.ephemerals.append({"channel": args["channel"], "user": args["user"],
                                    "text": args.get("text", ""),
                                    "thread_ts": args.get("thread_ts")})
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def api_chat_delete(self, args):
        with self._lock:
            for message in self.messages:
                if message["channel"] == args["channel"] and message["ts"] == args["ts"]:
                    self.messages.remove(message)
                    self.deleted.append(message)
                    return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def api_views_update(self, args):
        check_blocks(args["view"]["blocks"], LIMITS["modal_blocks"])
        with self._lock:
            for opened in self.views:
                if opened["id"] == args.get("view_id"):
                    opened["view"] = {**args["view"], "id": opened["id"]}
                    return {"ok": True, "view": {**args["view"], "id": opened["id"]}}
        return {"ok": False, "error": "not_found"}

    def api_files_getUploadURLExternal(self, args):
        file_id = f"F0UP{next(self._ts):06d}"
        with self._lock:
            self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"])}
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def api_files_completeUploadExternal(self, args):
        files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
        with self._lock:
            for entry in files:
                upload = self.uploads.get(entry["id"])
                if upload is None or "content" not in upload:
                    return {"ok": False, "error": "file_not_found"}
                upload.update(channel=args.get("channel_id"), title=entry.get("title"),
                              comment=args.get("initial_comment"))
        return {"ok": True, "files": [{"id": f["id"]} for f in files]}

    def uploads_to(self, channel: str) -> list[dict]:
        """Files Haven shared in a conversation, with their content."""
        with self._lock:
            return [u for u in self.uploads.values() if u.get("channel") == channel]

    def api_apps_connections_open(self, args):
        """Socket Mode: where to connect (needs :attr:`socket` set to a running
        :class:`bot.socket_double.SocketModeDouble`)."""
        socket_double = getattr(self, "socket", None)
        if socket_double is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": socket_double.url}

    def api_chat_getPermalink(self, args):
        ts = args["message_ts"].replace(".", "")
        return {"ok": True, "permalink": f"https://acme.slack.com/archives/{args['channel']}/p{ts}"}

    def api_views_open(self, args):
        view = args["view"]
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if len(view["title"]["text"]) > LIMITS["title"] or \
                len(view.get("private_metadata") or "") > LIMITS["metadata"]:
            return {"ok": False, "error": "invalid_arguments"}
        check_blocks(view["blocks"], LIMITS["modal_blocks"])
        with self._lock:
            view_id = f"V{next(self._ts):08d}"
            self.views.append({"trigger_id": args["trigger_id"], "id": view_id,
                               "view": {**view, "id": view_id}})
        return {"ok": True, "view": {**view, "id": view_id}}

    def api_views_publish(self, args):
        check_blocks(args["view"]["blocks"], LIMITS["modal_blocks"])
        with self._lock:
            self.homes.append({"user_id": args["user_id"], "view": args["view"]})
        return {"ok": True}


class SlackPlayer:
    """Sends Haven what Slack would send, signed with the signing secret."""

    def __init__(self, events_url: str, double: SlackDouble,
                 signing_secret: str = SIGNING_SECRET, team_id: str = TEAM_ID,
                 enterprise_id: str | None = None):
        self.url = events_url
        self.double = double
        self.verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.enterprise_id = enterprise_id  # a workspace in an Enterprise Grid org
        self._ids = itertools.count(1)

    def post(self, body: str, content_type: str, *, timestamp: int | None = None,
             signature: str | None = None, headers: dict | None = None) -> tuple[int, str]:
        """POST a body as Slack does; returns (status, response body)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sign = signature or self.verifier.generate_signature(timestamp=stamp, body=body)
        request = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def event(self, event: dict, *, event_id: str | None = None, **kw) -> tuple[int, str]:
        """An Events API callback."""
        body = {"token": "legacy", "team_id": self.team_id, "api_app_id": "A0HAVEN01",
                "type": "event_callback", "event": event,
                "event_id": event_id or f"Ev{next(self._ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "user_id": BOT_USER_ID,
                                    "enterprise_id": self.enterprise_id, "is_bot": True}]}
        if self.enterprise_id:
            body["enterprise_id"] = self.enterprise_id
        return self.post(json.dumps(body), "application/json", **kw)

    def message(self, user: str, channel: str, text: str, **extra) -> tuple[int, str]:
        """A new message in a channel."""
        ts = extra.pop("ts", f"{int(time.time())}.{next(self._ids):06d}")
        event = {"type": "message", "user": user, "channel": channel, "text": text, "ts": ts,
                 "channel_type": "channel", **extra}
        return self.event(event)

    def command(self, user: str, text: str, *, channel: str = "C0GENERAL") -> tuple[int, str]:
        """``/haven <text>``."""
        form = {"token": "legacy", "team_id": self.team_id, "channel_id": channel,
                "user_id": user, "command": "/haven", "text": text,
                "response_url": self.double.response_url(),
                "trigger_id": f"trig.{next(self._ids)}", "api_app_id": "A0HAVEN01"}
        if self.enterprise_id:
            form["enterprise_id"] = self.enterprise_id
        return self.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")

    def _interactive(self, payload: dict) -> tuple[int, str]:
        payload = {"team": {"id": self.team_id}, "api_app_id": "A0HAVEN01",
                   "trigger_id": f"trig.{next(self._ids)}", **payload}
        if self.enterprise_id:
            payload.setdefault("enterprise", {"id": self.enterprise_id})
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")

    def click(self, user: str, message: dict, action_id: str,
              value: str | None = None) -> tuple[int, str]:
        """Press the button ``action_id`` (with ``value``, if given) of a message Haven sent."""
        return self._press(user, message["blocks"], action_id, value, {
            "channel": {"id": message["channel"]},
            "container": {"type": "message", "message_ts": message["ts"]},
            "message": {"ts": message["ts"], "blocks": message["blocks"]}})

    def click_view(self, user: str, view: dict, action_id: str,
                   value: str | None = None) -> tuple[int, str]:
        """Press a button in a view: the Home tab (as published) or an open modal."""
        view_id = view.get("id", "V0HOME")
        return self._press(user, view["blocks"], action_id, value, {
            "container": {"type": "view", "view_id": view_id},
            "view": {"type": view.get("type", "home"), "id": view_id,
                     "blocks": view["blocks"]}})

    def _press(self, user: str, blocks: list, action_id: str, value: str | None,
               where: dict) -> tuple[int, str]:
        """The ``block_actions`` payload of one button among ``blocks``, from ``where``."""
        for block in blocks:
            for element in _elements(block):
                if element.get("action_id") != action_id:
                    continue
                chosen = [o for o in element.get("options", []) if o.get("value") == value]
                if chosen:  # a menu (overflow, select): ``value`` picks one of its options
                    action = {**element, "block_id": block.get("block_id", ""),
                              "selected_option": chosen[0], "action_ts": str(time.time())}
                    return self._interactive({"type": "block_actions", "user": {"id": user},
                                              **where, "actions": [action]})
                if value in (None, element.get("value")):
                    action = {**element, "block_id": block.get("block_id", ""),
                              "action_ts": str(time.time())}
                    return self._interactive({"type": "block_actions", "user": {"id": user},
                                              **where, "actions": [action]})
        for block in blocks:  # not a button: an option of an overflow menu ("⋯ → Close")
            for element in _elements(block):
                for option in element.get("options", []) if element.get("type") == "overflow" \
                        else []:
                    target, _, carried = str(option.get("value")).rpartition(":")
                    if target == action_id and value in (None, carried):
                        action = {**element, "block_id": block.get("block_id", ""),
                                  "selected_option": option, "action_ts": str(time.time())}
                        return self._interactive({"type": "block_actions",
                                                  "user": {"id": user}, **where,
                                                  "actions": [action]})
        raise LookupError(f"no button {action_id}")

    def shortcut(self, user: str, channel: str, message: dict,
                 callback_id: str) -> tuple[int, str]:
        """Use a message shortcut on ``message``."""
        return self._interactive({"type": "message_action", "callback_id": callback_id,
                                  "user": {"id": user}, "channel": {"id": channel},
                                  "message": message, "response_url": self.double.response_url(),
                                  "message_ts": message.get("ts")})

    def submit(self, user: str, view: dict, values: dict) -> tuple[int, str]:
        """Submit a modal Haven opened, with ``values`` as Slack's ``state.values``."""
        return self._interactive({"type": "view_submission", "user": {"id": user},
                                  "view": {**view, "state": {"values": values}}})


def _elements(block: dict) -> list[dict]:
    """The interactive elements of a block: an actions block's, or a section's accessory."""
    if block.get("accessory"):
        return [block["accessory"]]
    return list(block.get("elements", []))


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll until ``predicate()`` is truthy (Haven works after the ack); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
