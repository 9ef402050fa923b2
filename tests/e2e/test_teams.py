"""Microsoft Teams through the official Python MCP SDK and the real `chatkey-mcp`, on the
same daemon as Google Chat: `chatkey login teams` (the test plays the browser on the
emulated Entra page), then the Teams tools list chats and channels, read a chat as text,
post escaped HTML and reply in a channel thread, catch up (unread, mentions) and search;
a channel read without admin consent says what to ask the admin for.
"""

from __future__ import annotations

import secrets

import pytest

from results import call_error, call_ok

LAUNCH_CHAT = "19:0a1b2c3d4e5f60718293a4b5c6d7e8f9@thread.v2"


@pytest.fixture(scope="module")
def teams(chatkey):
    chatkey.emulator.write_config(chatkey.config_dir, teams=True)
    out = chatkey.login(provider="teams")
    assert "alex.rivera@contoso.com" in out, out
    return chatkey


def test_teams_tools_through_the_real_shim(teams):
    tag = secrets.token_hex(4)

    async def steps(s, _init):
        names = {t.name for t in (await s.list_tools()).tools}
        for tool in ("teams_list_chats", "teams_send_message", "teams_get_unread", "teams_search_messages"):
            assert tool in names, names
        status = await call_ok(s, "chatkey_status", {})
        assert any(a.get("provider") == "teams" for a in status["accounts"]), status

        chats = await call_ok(s, "teams_list_chats", {})
        titles = {c["title"] for c in chats["chats"]}
        assert {"Ana Lima", "Launch crew", "Ben Okafor, Dana Kim"} <= titles, titles

        launch = await call_ok(s, "teams_list_messages", {"chat": LAUNCH_CHAT, "days_window": 10})
        texts = [m["text"] for m in launch["messages"]]
        assert "@Alex Rivera can you confirm the launch date with legal?" in texts, texts

        sent = await call_ok(
            s, "teams_send_message", {"chat": LAUNCH_CHAT, "text": f"**Confirmed** <b>{tag}</b>"}
        )
        assert sent["text"] == f"Confirmed <b>{tag}</b>", sent

        unread = await call_ok(s, "teams_get_unread", {})
        assert unread["total"] >= 1, unread
        mentions = await call_ok(s, "teams_get_my_mentions", {"days_window": 10})
        assert mentions["mentions"][0]["mention"] == "direct", mentions

        found = await call_ok(s, "teams_search_messages", {"query": tag, "mode": "exact"})
        assert found["count"] == 1, found

        err = await call_error(
            s, "teams_list_messages", {"team": "Engineering", "channel": "General"}
        )
        assert "ChannelMessage.Read.All" in err and "admin" in err, err
        post = await call_ok(
            s,
            "teams_send_message",
            {"team": "Engineering", "channel": "Incidents", "text": f"all clear {tag}"},
        )
        reply = await call_ok(
            s,
            "teams_reply_to_thread",
            {"team": "Engineering", "channel": "Incidents", "message": post["id"], "text": "thanks"},
        )
        assert reply["reply_to"] == post["id"], reply

    teams.run_mcp(steps)
