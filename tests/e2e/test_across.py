"""Catching up across Google Chat, Slack and Microsoft Teams in one MCP session on one
daemon, through the official Python MCP SDK and the real `chatkey-mcp`: unread in all
three → mentions in all three → answer each mention (in its thread; Teams chats have no
threads, so in the chat) → find every answer again with each provider's search.

The three emulators run in one `chatkey emulator`; the person signs in to each with
`chatkey login`, the test playing the browser.
"""

from __future__ import annotations

import secrets

import pytest

from results import call_ok, find_list


@pytest.fixture(scope="module")
def both(chatkey):
    # The module's emulator was started with the Google config only: add the others.
    chatkey.emulator.write_config(chatkey.config_dir, slack=True, teams=True)
    chatkey.login(provider="google-chat")
    chatkey.login(provider="slack")
    chatkey.login(provider="teams")
    return chatkey


def test_one_session_catches_up_across_google_chat_slack_and_teams(both):
    tag = secrets.token_hex(4)
    google_text = f"On it from Google Chat ({tag})."
    slack_text = f"On it from Slack ({tag})."
    teams_text = f"On it from Teams ({tag})."

    async def steps(s):
        names = {t.name for t in (await s.list_tools()).tools}
        assert "google_chat_get_unread" in names and "slack_get_unread" in names, names
        status = await call_ok(s, "chatkey_status", {})
        providers = {a.get("provider") for a in find_list(status, "accounts")}
        assert {"google-chat", "slack"} <= providers, status

        g_unread = await call_ok(s, "google_chat_get_unread", {})
        assert any((u.get("unread_count") or 0) > 0 for u in find_list(g_unread, "unread")), g_unread
        s_unread = await call_ok(s, "slack_get_unread", {})
        assert s_unread["total_unread"] > 0, s_unread

        g_mentions = find_list(
            await call_ok(s, "google_chat_get_my_mentions", {"days_window": 30}), "mentions"
        )
        assert g_mentions, "the seeded person is mentioned in Google Chat"
        g_thread = g_mentions[0].get("message", g_mentions[0])["thread"]
        s_mentions = find_list(
            await call_ok(s, "slack_get_my_mentions", {"days_window": 30}), "mentions"
        )
        direct = [m for m in s_mentions if m["mention"] == "direct"]
        assert direct, f"the seeded person is @-mentioned in Slack: {s_mentions}"
        s_channel = direct[0]["channel"]
        s_thread = direct[0].get("thread_ts") or direct[0]["ts"]

        reply = await call_ok(
            s, "google_chat_reply_to_thread", {"thread": g_thread, "text": google_text}
        )
        assert reply.get("thread") == g_thread, reply
        await call_ok(
            s,
            "slack_reply_to_thread",
            {"channel": s_channel, "thread_ts": s_thread, "text": slack_text},
        )
        thread = await call_ok(s, "slack_get_thread", {"channel": s_channel, "thread_ts": s_thread})
        assert find_list(thread, "messages")[-1]["text"] == slack_text, thread

        g_found = await call_ok(
            s, "google_chat_search_messages", {"query": google_text, "days_window": 1}
        )
        assert any(google_text in r["text"] for r in find_list(g_found, "results")), g_found
        s_found = await call_ok(
            s, "slack_search_messages", {"query": f"On it from Slack {tag}", "days_window": 1}
        )
        assert any(slack_text in r["text"] for r in find_list(s_found, "results")), s_found

        t_unread = await call_ok(s, "teams_get_unread", {})
        assert t_unread["total"] > 0, t_unread
        t_mentions = await call_ok(s, "teams_get_my_mentions", {"days_window": 30})
        direct = [m for m in t_mentions["mentions"] if m["mention"] == "direct"]
        assert direct, f"the seeded person is @-mentioned in Teams: {t_mentions}"
        chat = direct[0]["conversation"]["chat"]
        await call_ok(s, "teams_send_message", {"chat": chat, "text": teams_text})
        await call_ok(s, "teams_mark_read", {"chat": chat})
        t_found = await call_ok(
            s, "teams_search_messages", {"query": teams_text, "mode": "exact", "days_window": 1}
        )
        assert any(teams_text in r["text"] for r in t_found["results"]), t_found
        status = await call_ok(s, "chatkey_status", {})
        providers = {a.get("provider") for a in find_list(status, "accounts")}
        assert {"google-chat", "slack", "teams"} <= providers, status

    both.run_mcp(lambda s, _init: steps(s), timeout=120)
