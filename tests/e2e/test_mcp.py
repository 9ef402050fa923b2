"""chatkey through the official MCP Python SDK: the client launches the real `chatkey-mcp`
over stdio (the shim starts the daemon), signed in to the emulator as its primary user.

Each test opens its own MCP session (a new shim process, the same daemon), as assistants
do; the module's profile, emulator and daemon are shared.
"""

from __future__ import annotations

import json
import secrets

import pytest

from emulator import ENGINEERING_SPACE_DISPLAY_NAME, PRIMARY_USER_EMAIL
from results import (
    call,
    call_error,
    call_ok,
    contains_text,
    display_name,
    find_list,
    message_name,
    sender_display_name,
    structured,
    text_of,
    wire,
)

# Tool name → readOnlyHint it must carry.
CORE_TOOLS = {
    "chatkey_status": True,
    "google_chat_list_spaces": True,
    "google_chat_list_messages": True,
    "google_chat_get_message": True,
    "google_chat_send_message": False,
}


@pytest.fixture(scope="module")
def tools(signed_in) -> dict[str, dict]:
    async def body(session, _init):
        return {t["name"]: t for t in wire(await session.list_tools())["tools"]}

    return signed_in.run_mcp(body)


@pytest.fixture(scope="module")
def engineering(signed_in) -> dict:
    """The seeded "Engineering" space, as google_chat_list_spaces returns it."""

    async def body(session, _init):
        return await call_ok(session, "google_chat_list_spaces", {})

    spaces = find_list(signed_in.run_mcp(body), "spaces")
    for space in spaces:
        if display_name(space) == ENGINEERING_SPACE_DISPLAY_NAME:
            return space
    pytest.fail(f"no space named {ENGINEERING_SPACE_DISPLAY_NAME!r} in {json.dumps(spaces)[:1000]}")


def test_login_printed_the_signed_in_account(signed_in):
    assert PRIMARY_USER_EMAIL in signed_in.login_output


def test_initialize_names_the_server_chatkey(signed_in):
    async def body(_session, init):
        return wire(init)

    init = signed_in.run_mcp(body)
    assert init["serverInfo"]["name"] == "chatkey"
    assert "tools" in init["capabilities"]


def test_daemon_outlives_the_shim(signed_in):
    async def body(session, _init):
        await session.list_tools()

    signed_in.run_mcp(body)
    first = signed_in.daemon_pids()
    assert first, (
        "no daemon runs once the MCP session ended: the shim must start it detached (its "
        "own session; MCP clients may kill the shim's whole process group)"
    )
    signed_in.run_mcp(body)
    assert signed_in.daemon_pids() == first, "a second session started another daemon"


def test_core_tools_are_listed_with_description_schema_and_annotations(tools):
    missing = sorted(set(CORE_TOOLS) - set(tools))
    assert not missing, f"missing tools: {missing}; listed: {sorted(tools)}"
    for name, read_only in CORE_TOOLS.items():
        tool = tools[name]
        assert tool.get("description", "").strip(), f"{name} has no description"
        schema = tool.get("inputSchema")
        assert isinstance(schema, dict) and schema.get("type") == "object", f"{name}: {schema}"
        hint = tool.get("annotations", {}).get("readOnlyHint")
        assert hint is read_only, f"{name}: readOnlyHint is {hint!r}, expected {read_only}"


def test_every_listed_tool_has_annotations_and_documented_parameters(tools):
    for name, tool in tools.items():
        annotations = tool.get("annotations", {})
        assert isinstance(annotations.get("readOnlyHint"), bool), f"{name}: {annotations}"
        if annotations["readOnlyHint"] is False:
            assert isinstance(annotations.get("destructiveHint"), bool), f"{name}: {annotations}"
        for param, spec in tool["inputSchema"].get("properties", {}).items():
            assert spec.get("description", "").strip(), f"{name}.{param} has no description"


def test_list_spaces_includes_engineering_and_text_matches_structured(signed_in, engineering):
    assert engineering["name"].startswith("spaces/")

    async def body(session, _init):
        return await call(session, "google_chat_list_spaces", {})

    result = signed_in.run_mcp(body)
    # The contract: structured JSON plus the same as text.
    assert json.loads(text_of(result)) == structured(result)


def test_list_messages_has_sender_display_names(signed_in, engineering):
    async def body(session, _init):
        return await call_ok(
            session, "google_chat_list_messages", {"space": engineering["name"], "days_window": 7}
        )

    messages = find_list(signed_in.run_mcp(body), "messages")
    assert messages, "the Engineering space has no messages from the last 7 days"
    for message in messages:
        name = sender_display_name(message)
        assert name and not name.startswith("users/"), f"no sender display name in {message}"


def test_space_accepts_bare_id(signed_in, engineering):
    bare = engineering["name"].removeprefix("spaces/")

    async def body(session, _init):
        return await call_ok(session, "google_chat_list_messages", {"space": bare, "days_window": 7})

    assert find_list(signed_in.run_mcp(body), "messages")


def test_send_then_list_then_get(signed_in, engineering, tools):
    space = engineering["name"]
    text = f"e2e hello {secrets.token_hex(4)}"
    get_schema = tools["google_chat_get_message"]["inputSchema"]
    required = get_schema.get("required") or list(get_schema.get("properties", {}))
    assert len(required) >= 1, f"google_chat_get_message takes no parameter? {get_schema}"
    get_param = "name" if "name" in required else required[0]

    async def body(session, _init):
        sent = await call_ok(session, "google_chat_send_message", {"space": space, "text": text})
        name = message_name(sent)
        assert name and name.startswith(space + "/messages/"), f"no message name in {sent}"

        listed = await call_ok(
            session, "google_chat_list_messages", {"space": space, "days_window": 1}
        )
        messages = find_list(listed, "messages")
        assert any(message_name(m) == name for m in messages), f"{name} not listed: {listed}"
        assert any(contains_text(m, text) for m in messages)

        got = await call_ok(session, "google_chat_get_message", {get_param: name})
        assert message_name(got) == name
        assert contains_text(got, text), f"get_message lost the text: {got}"

    signed_in.run_mcp(body)


def test_unknown_space_is_a_tool_error_with_a_message(signed_in):
    async def body(session, _init):
        return await call(
            session, "google_chat_list_messages", {"space": "spaces/NoSuchSpace0000", "days_window": 7}
        )

    result = signed_in.run_mcp(body)
    assert result.get("isError") is True, result
    assert text_of(result).strip(), f"the error says nothing: {result}"


def test_unknown_tool_is_an_error(signed_in):
    async def body(session, _init):
        return await call_error(session, "google_chat_no_such_tool", {})

    assert signed_in.run_mcp(body).strip()


def test_wrong_argument_type_names_the_parameter(signed_in, engineering):
    async def body(session, _init):
        return await call_error(
            session, "google_chat_list_messages", {"space": engineering["name"], "days_window": "seven"}
        )

    message = signed_in.run_mcp(body)
    assert "days_window" in message, message


def test_status_tool_shows_the_signed_in_account(signed_in):
    async def body(session, _init):
        return await call(session, "chatkey_status", {})

    result = signed_in.run_mcp(body)
    assert not result.get("isError"), text_of(result)
    assert PRIMARY_USER_EMAIL in json.dumps(structured(result, "chatkey_status")) + text_of(result)


def test_read_only_shim_hides_tools_that_write(signed_in):
    async def body(session, _init):
        return {t["name"]: t for t in wire(await session.list_tools())["tools"]}

    tools = signed_in.run_mcp(body, args=["--read-only"])
    assert "google_chat_list_spaces" in tools
    writers = sorted(
        n
        for n, t in tools.items()
        if n.startswith("google_chat_") and t.get("annotations", {}).get("readOnlyHint") is False
    )
    assert not writers, f"--read-only still lists tools that write: {writers}"


def test_cli_status_json_shows_the_account(signed_in):
    done = signed_in.cli("status", "--json")
    status = json.loads(done.stdout)
    assert contains_text(status, PRIMARY_USER_EMAIL), done.stdout
