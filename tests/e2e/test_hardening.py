"""The shim and the daemon under the conditions of issue 9, through the official MCP Python
SDK and real processes: stdin closed right after the last request, the daemon killed with
SIGKILL during calls, and requests whose params or timing break the rules.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from results import MCPError, call_ok, find_list

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "e2e-hardening", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
RESTARTED = "chatkey restarted; try again"


def printf_into_shim(ck, *messages: dict) -> list[dict]:
    """`printf '%s\\n' MESSAGES... | chatkey-mcp`: the answers on stdout, as JSON."""
    stdin = "".join(json.dumps(m) + "\n" for m in messages).encode()
    done = subprocess.run(
        [str(ck.bin("chatkey-mcp"))],
        input=stdin,
        env=ck.mcp_env(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_every_request_is_answered_when_stdin_closes_right_after_it(chatkey):
    lost = []
    for run in range(40):
        answers = printf_into_shim(chatkey, INITIALIZE)
        if not any(a.get("id") == 1 and "result" in a for a in answers):
            lost.append(f"run {run}: initialize alone -> {answers}")
        answers = printf_into_shim(chatkey, INITIALIZE, INITIALIZED, TOOLS_LIST)
        if not any(a.get("id") == 2 and "tools" in a.get("result", {}) for a in answers):
            lost.append(f"run {run}: tools/list -> {answers}")
    assert not lost, f"{len(lost)} of 80 runs lost an answer: {lost[:5]}"


def wait_for_new_daemon(ck, old: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = ck.lock_file_pid()
        if pid and pid != old and ck._is_our_binary(pid):
            return pid
        time.sleep(0.05)
    pytest.fail(f"no new daemon replaced pid {old} within {timeout} s")


def test_kill_9_during_calls_then_the_next_call_succeeds_in_the_same_session(signed_in):
    emulator = signed_in.emulator
    assert emulator is not None

    async def body(session: ClientSession, _init):
        await call_ok(session, "google_chat_list_spaces", {})
        old = signed_in.lock_file_pid()
        assert old and signed_in._is_our_binary(old), f"no daemon in the lock file: {old}"
        outcomes: list = []

        async def one_call():
            try:
                outcomes.append(await session.call_tool("google_chat_list_spaces", {}))
            except MCPError as e:
                outcomes.append(e)

        # Slow answers, so the calls are still in flight when the daemon dies.
        emulator.set_latency(4000)
        try:
            async with anyio.create_task_group() as tg:
                for _ in range(5):
                    tg.start_soon(one_call)
                await anyio.sleep(1.0)
                os.kill(old, signal.SIGKILL)
        finally:
            emulator.set_latency(0)

        assert len(outcomes) == 5, outcomes
        for outcome in outcomes:
            assert isinstance(outcome, MCPError), f"a call survived SIGKILL? {outcome}"
            assert outcome.error.message == RESTARTED, outcome.error

        # The same session, the same shim: its next call reaches a new daemon.
        listed = await call_ok(session, "google_chat_list_spaces", {})
        assert find_list(listed, "spaces"), listed
        tools = await session.list_tools()
        assert any(t.name == "chatkey_status" for t in tools.tools)
        return old

    old = signed_in.run_mcp(body, timeout=120)
    new = wait_for_new_daemon(signed_in, old)
    assert new != old
    with open(signed_in.mcp_stderr, encoding="utf-8", errors="replace") as log:
        stderr = log.read()
    assert "request(s) in flight answered with an error" in stderr, stderr[-2000:]


def test_bad_tool_call_params_are_invalid_params_with_the_reason(chatkey):
    async def body(session: ClientSession, _init):
        send = session._dispatcher.send_raw_request
        problems = {}
        for label, params in {
            "arguments not an object": {"name": "chatkey_status", "arguments": "notanobject"},
            "no name": {"arguments": {}},
        }.items():
            with pytest.raises(MCPError) as caught:
                await send("tools/call", params, {"timeout": 20})
            problems[label] = caught.value.error
        # The session carries on after both.
        await session.list_tools()
        return problems

    problems = chatkey.run_mcp(body)
    not_object = problems["arguments not an object"]
    assert not_object.code == -32602, not_object
    assert "`arguments`" in not_object.message, not_object
    no_name = problems["no name"]
    assert no_name.code == -32602, no_name
    assert "missing field `name`" in no_name.message, no_name


def test_a_request_before_initialize_is_told_to_initialize_first(chatkey):
    async def main():
        with anyio.fail_after(60):
            return await session_without_initialize()

    async def session_without_initialize():
        params = StdioServerParameters(
            command=str(chatkey.bin("chatkey-mcp")), env=chatkey.mcp_env()
        )
        with open(chatkey.mcp_stderr, "a", encoding="utf-8") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write, read_timeout_seconds=20) as session:
                    with pytest.raises(MCPError) as caught:
                        await session._dispatcher.send_raw_request("tools/list", None, {"timeout": 20})
                    error = caught.value.error
                    # And then the session starts normally.
                    await session.initialize()
                    listed = await session.list_tools()
                    return error, listed

    error, listed = anyio.run(main)
    assert "initialize first" in error.message, error
    assert error.code == -32600, error
    assert listed.tools
