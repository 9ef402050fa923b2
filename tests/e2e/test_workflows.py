"""The workflows people used the old Python server for, end to end through the official MCP
SDK and the real `chatkey-mcp`: "catch me up" (unread → mentions → summarize → reply in the
thread → mark read) and "share a file, a teammate replies with one, download it".

A teammate is played by the test itself: the emulator mints Priya's tokens and the test
speaks Google's wire format as her Chat client would.
"""

from __future__ import annotations

import pytest

from emulator import PRIYA_ID, Teammate
from results import call_ok, contains_text, find_list, message_name


@pytest.fixture(scope="module")
def files_dir(chatkey):
    """A directory the file tools may use, configured before the daemon starts."""
    d = chatkey.root / "files"
    d.mkdir(mode=0o700)
    with open(chatkey.config_dir / "config.toml", "a", encoding="utf-8") as config:
        config.write(f'\n[files]\nallowed_dirs = ["{d}"]\n')
    return d


@pytest.fixture(scope="module")
def session(chatkey, files_dir):
    chatkey.login_output = chatkey.login()
    return chatkey


def run(ck, steps):
    async def body(s, _init):
        return await steps(s)

    return ck.run_mcp(body, timeout=120)


def space_named(spaces: list[dict], display: str) -> str:
    for s in spaces:
        if s.get("display_name") == display:
            return s["name"]
    pytest.fail(f"no space {display!r} in {[s.get('display_name') for s in spaces]}")


def test_catch_me_up(session):
    async def steps(s):
        unread = await call_ok(s, "google_chat_get_unread", {})
        unread_spaces = [u for u in find_list(unread, "unread") if (u.get("unread_count") or 0) > 0]
        assert unread_spaces, f"the seeded person has unread messages: {unread}"

        mentions = await call_ok(s, "google_chat_get_my_mentions", {"days_window": 30})
        mention_list = find_list(mentions, "mentions")
        assert mention_list, f"the seeded person is mentioned: {mentions}"
        mention = mention_list[0].get("message", mention_list[0])
        thread = mention.get("thread")
        assert thread, f"a mention carries its thread: {mention}"
        space = "/".join(thread.split("/")[:2])

        summary = await call_ok(
            s, "google_chat_summarize_conversation", {"space": space, "days_window": 30}
        )
        assert find_list(summary, "participants"), summary
        assert find_list(summary, "messages"), summary

        reply = await call_ok(
            s,
            "google_chat_reply_to_thread",
            {"thread": thread, "text": "Catching up: I'll take this one."},
        )
        assert reply.get("thread") == thread, reply
        whole = await call_ok(s, "google_chat_get_thread", {"thread": thread})
        last = find_list(whole, "messages")[-1]
        assert "I'll take this one" in last["text"], whole

        await call_ok(s, "google_chat_mark_read", {"space": space})
        after = await call_ok(s, "google_chat_get_unread", {"spaces": [space]})
        assert after["total_unread"] == 0 and after["unread"] == [], after
        assert len(after["up_to_date"]) == 1, after

    run(session, steps)


def test_share_a_file_teammate_replies_download_it(session, files_dir):
    log = files_dir / "error.log"
    log.write_text(
        "Traceback (most recent call last):\n  File \"deploy.py\", line 42\nKeyError: 'region'\n",
        encoding="utf-8",
    )
    fix = b"#!/usr/bin/env python3\nREGION = 'eu-west-1'\nprint('fixed')\n"
    downloaded = files_dir / "fix.py"

    async def share(s):
        spaces = find_list(await call_ok(s, "google_chat_list_spaces", {}), "spaces")
        space = space_named(spaces, "Engineering")
        shared = await call_ok(
            s,
            "google_chat_share_file_content",
            {"space": space, "path": str(log), "language": "text"},
        )
        assert shared.get("truncated") is False, shared
        uploaded = await call_ok(
            s,
            "google_chat_upload_attachment",
            {"space": space, "path": str(log), "text": "The full log"},
        )
        return space, message_name(shared), uploaded

    space, shared_name, uploaded = run(session, share)
    assert shared_name and contains_text(uploaded, "error.log"), uploaded

    # Priya answers in the thread of the shared log, with a script.
    async def thread_of(s):
        return (await call_ok(s, "google_chat_get_message", {"message": shared_name}))["thread"]

    thread = run(session, thread_of)
    priya = Teammate(session.emulator, PRIYA_ID)
    ref = priya.upload(space, "fix.py", fix, "text/x-python")
    reply = priya.reply(thread, "Set the region, script attached", ref)

    async def download(s):
        whole = await call_ok(s, "google_chat_get_thread", {"thread": thread})
        messages = find_list(whole, "messages")
        theirs = [m for m in messages if m["name"] == reply["name"]]
        assert theirs and theirs[0].get("attachments"), whole
        assert theirs[0]["sender"].get("display_name") == "Priya Natarajan", theirs[0]
        return await call_ok(
            s,
            "google_chat_download_attachment",
            {"message": reply["name"], "save_to": str(downloaded)},
        )

    result = run(session, download)
    assert downloaded.read_bytes() == fix, result
    assert (downloaded.stat().st_mode & 0o777) == 0o600
