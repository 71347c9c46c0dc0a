"""Socket Mode: with SLACK_APP_TOKEN, `haven serve` connects out to Slack's websocket instead
of serving HTTP; commands and events arrive as envelopes and are acknowledged on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from bot.demo import ADMIN, AUTHOR, GENERAL, TARGET, sample_workspace
from bot.slack_double import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, SlackDouble, wait_for
from bot.socket_double import SocketModeDouble
from tests.test_serve import ROOT, free_port, healthy

APP_TOKEN = "xapp-1-A0HAVEN01-1234-socketmodetoken"


@pytest.mark.slow
def test_socket_mode_takes_commands_and_events_and_notifies(tmp_path):
    double = SlackDouble(sample_workspace()).start()
    double.socket = SocketModeDouble().start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=double.api_url, PYTHONPATH=str(ROOT),
               DATABASE_URL=f"sqlite:///{tmp_path / 'haven.db'}", PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert double.socket.wait_connected(60), "haven serve did not connect"
        # the container's health check works in Socket Mode too
        assert wait_for(lambda: healthy(f"http://127.0.0.1:{port}"), timeout=10)
        for text in (f"watch <#{GENERAL}|general>", "status"):
            sent = double.socket.send("slash_commands", {
                "token": "legacy", "team_id": TEAM_ID, "user_id": ADMIN, "command": "/haven",
                "text": text, "channel_id": GENERAL, "trigger_id": "trig.1",
                "response_url": double.response_url(), "api_app_id": "A0HAVEN01"},
                accepts_response=True)
            ack = double.socket.ack_for(sent)
            assert ack is not None
            answer = (ack.get("payload") or {}).get("text", "")
            if not answer:  # slow answers go to the response URL
                assert wait_for(lambda: double.responses)
                answer = double.responses[-1]["text"]
            assert "Haven" in answer or "Watched" in answer
        event = {"type": "message", "user": AUTHOR, "channel": GENERAL,
                 "text": f"<@{TARGET}> nobody wants you on this team, just quit already",
                 "ts": "1800000000.000100", "channel_type": "channel"}
        sent = double.socket.send("events_api", {
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0HAVEN01",
            "type": "event_callback", "event": event, "event_id": "EvSocket01",
            "event_time": 1800000000,
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0HAVEN01", "is_bot": True}]})
        assert double.socket.ack_for(sent) is not None
        assert wait_for(lambda: double.dms_to(TARGET), timeout=20)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
        double.socket.stop()
        double.stop()
    assert process.returncode == 0, output[-2000:]
    assert APP_TOKEN not in output and "quit already" not in output
