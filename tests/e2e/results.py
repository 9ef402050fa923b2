"""Reading MCP results the way a client sees them on the wire.

Results are turned into their JSON wire form (camelCase: `structuredContent`, `isError`,
`inputSchema`, `readOnlyHint`), so the assertions read like the MCP spec and do not depend
on the SDK's Python attribute names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from mcp import ClientSession

try:  # mcp >= 2
    from mcp import MCPError
except ImportError:  # pragma: no cover - mcp 1.x
    from mcp.shared.exceptions import McpError as MCPError

MESSAGE_NAME = re.compile(r"^spaces/[^/]+/messages/[^/]+$")


def wire(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


async def call(session: ClientSession, name: str, arguments: dict[str, Any] | None = None) -> dict:
    """tools/call; returns the CallToolResult in wire form (errors included, not raised)."""
    return wire(await session.call_tool(name, arguments or {}))


async def call_ok(session: ClientSession, name: str, arguments: dict[str, Any] | None = None) -> Any:
    """tools/call that must succeed; returns its structuredContent."""
    result = await call(session, name, arguments)
    assert not result.get("isError"), f"{name}({arguments}) failed: {text_of(result)}"
    return structured(result, name)


async def call_error(session: ClientSession, name: str, arguments: dict[str, Any]) -> str:
    """tools/call that must fail, either as a JSON-RPC error or as a result with isError.
    Returns the error's text (message and data)."""
    try:
        result = await session.call_tool(name, arguments)
    except MCPError as e:
        data = "" if e.error.data is None else " " + json.dumps(e.error.data)
        return f"{e.error.message}{data}"
    result = wire(result)
    assert result.get("isError") is True, f"{name}({arguments}) should have failed: {result}"
    return text_of(result)


def text_of(result: dict) -> str:
    return "\n".join(b.get("text", "") for b in result.get("content", []) if b.get("type") == "text")


def structured(result: dict, name: str = "the tool") -> Any:
    assert "structuredContent" in result, f"{name} returned no structuredContent: {result}"
    return result["structuredContent"]


def walk(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair in a JSON value, depth first, containers included."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, f"{path}[{i}]")


def find_list(obj: Any, key: str) -> list[dict]:
    """The list of objects under `key` (e.g. `spaces`, `messages`), wherever it sits; or
    `obj` itself when it is that list."""
    if isinstance(obj, list):
        return obj
    for path, value in walk(obj):
        if path.split(".")[-1] == key and isinstance(value, list):
            return value
    raise AssertionError(f"no list named {key!r} in {json.dumps(obj)[:1000]}")


def display_name(obj: dict) -> str | None:
    return obj.get("displayName") or obj.get("display_name")


def sender_display_name(message: dict) -> str | None:
    sender = message.get("sender")
    if isinstance(sender, dict):
        return display_name(sender)
    for key in ("senderDisplayName", "sender_display_name", "senderName", "sender_name"):
        if isinstance(message.get(key), str):
            return message[key]
    if isinstance(sender, str) and not sender.startswith("users/"):
        return sender
    return None


def message_name(obj: Any) -> str | None:
    """The first `name` that looks like `spaces/S/messages/M`."""
    for path, value in walk(obj):
        if path.split(".")[-1] == "name" and isinstance(value, str) and MESSAGE_NAME.match(value):
            return value
    return None


def contains_text(obj: Any, needle: str) -> bool:
    return any(isinstance(v, str) and needle in v for _, v in walk(obj))
