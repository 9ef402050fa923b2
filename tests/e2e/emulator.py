"""The chatkey emulator as the tests see it: start-up output and admin knobs.

Everything that depends on the emulator's admin interface lives here, so a change of an
endpoint or a field name is a change in this file only.

Start-up (the contract in DESIGN.md): `chatkey emulator --port 0 --auto-consent` prints
    chatkey emulator listening on http://127.0.0.1:PORT/
then a TOML snippet that starts with `[providers.google-chat]` and ends at a blank line;
the tests write that snippet to `$CHATKEY_CONFIG_DIR/config.toml`.

Knobs: JSON over HTTP under `http://127.0.0.1:PORT/_emulator/` (served by the emulator's
admin module; the operations are those of src/emulator/knobs.rs). No test here uses them
yet; keep every knob call in this file so a path change is a one-line fix.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from procs import Proc

# The emulator's seeded data that the tests rely on (src/emulator/data.rs).
PRIMARY_USER_EMAIL = "alex.rivera@example.com"
ENGINEERING_SPACE_DISPLAY_NAME = "Engineering"

LISTENING = re.compile(r"chatkey emulator listening on (http://127\.0\.0\.1:\d+)/?")
SNIPPET_START = "[providers.google-chat]"
SLACK_SNIPPET_START = "[providers.slack]"
TEAMS_SNIPPET_START = "[providers.teams]"

# Loopback requests must never go through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    """GET without proxies, following redirects (so a 302 to chatkey's loopback listener
    delivers the code there). Returns (status, body) of the last response."""
    try:
        with _opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", errors="replace")


def _section(proc: Proc, header: str, start: int, timeout: float) -> tuple[int, int]:
    """Where the config section that starts with `header` (at or after line `start`) begins,
    and the blank line that ends it."""
    first, _ = proc.wait_for_line(
        lambda l: l.strip() == header, start=start, timeout=timeout, what=f"the config snippet ({header})"
    )
    end, _ = proc.wait_for_line(
        lambda l: l.strip() == "",
        start=first + 1,
        timeout=timeout,
        what=f"the blank line that ends the {header} snippet",
    )
    return first, end


class Emulator:
    def __init__(self, proc: Proc, base_url: str, config_snippet: str) -> None:
        self.proc = proc
        self.base_url = base_url.rstrip("/")
        self.config_snippet = config_snippet
        # The `[providers.slack]` and `[providers.teams]` sections, written only for tests
        # that sign in to Slack or Teams.
        self.slack_snippet = ""
        self.teams_snippet = ""

    @classmethod
    def start(
        cls,
        chatkey_bin: Path,
        env: Mapping[str, str],
        log_dir: Path,
        timeout: float = 30.0,
    ) -> Emulator:
        proc = Proc(
            "emulator",
            [chatkey_bin, "emulator", "--port", "0", "--auto-consent"],
            env,
            log_dir,
        )
        try:
            i, line = proc.wait_for_line(
                lambda l: LISTENING.search(l) is not None,
                timeout=timeout,
                what="`chatkey emulator listening on http://127.0.0.1:PORT/`",
            )
            base_url = LISTENING.search(line).group(1)
            start, end = _section(proc, SNIPPET_START, i + 1, timeout)
            slack, slack_end = _section(proc, SLACK_SNIPPET_START, end + 1, timeout)
            teams, teams_end = _section(proc, TEAMS_SNIPPET_START, slack_end + 1, timeout)
        except BaseException:
            proc.stop()
            raise
        lines = proc.lines("stdout")
        emulator = cls(proc, base_url, "\n".join(lines[start:end]) + "\n")
        emulator.slack_snippet = "\n".join(lines[slack:slack_end]) + "\n"
        emulator.teams_snippet = "\n".join(lines[teams:teams_end]) + "\n"
        return emulator

    def write_config(self, config_dir: Path, slack: bool = False, teams: bool = False) -> Path:
        """Writes the Google Chat section, and Slack's and Teams' too when asked."""
        path = config_dir / "config.toml"
        text = self.config_snippet + ("\n" + self.slack_snippet if slack else "")
        text += "\n" + self.teams_snippet if teams else ""
        path.write_text(text, encoding="utf-8")
        return path

    def config_value(self, key: str) -> str | None:
        """A string value from the config snippet (e.g. `auth_url`), or None."""
        m = re.search(rf'^\s*{re.escape(key)}\s*=\s*"([^"]*)"', self.config_snippet, re.M)
        return m.group(1) if m else None

    def stop(self) -> int | None:
        return self.proc.stop()

    # -- admin knobs --------------------------------------------------------------------

    def knob(self, path: str, payload: Any = None, method: str | None = None) -> Any:
        """Calls `/_emulator/<path>` with a JSON body (POST) or none (GET); returns the
        decoded JSON answer (None when empty). Raises AssertionError on a non-2xx answer."""
        url = f"{self.base_url}/_emulator/{path.lstrip('/')}"
        data = None if payload is None else json.dumps(payload).encode()
        method = method or ("GET" if data is None else "POST")
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with _opener.open(req, timeout=30) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            raise AssertionError(
                f"emulator knob {method} {url} answered {e.code}: "
                f"{e.read().decode('utf-8', errors='replace')}"
            ) from None
        return json.loads(body) if body.strip() else None

    # The payloads follow src/emulator/knobs.rs (`FailureSpec`, `KnobSettings`); the paths
    # are the expected ones (the admin router was not written when this was).

    def settings(self) -> Any:
        return self.knob("knobs")

    def set_access_token_lifetime(self, seconds: float) -> Any:
        return self.knob("token-lifetime", {"seconds": seconds})

    def expire_access_tokens(self) -> Any:
        return self.knob("expire-access-tokens", {})

    def revoke_refresh_tokens(self, user: str | None = None) -> Any:
        return self.knob("revoke-refresh-tokens", {} if user is None else {"user": user})

    def fail_next(
        self,
        status: int,
        count: int = 1,
        path_prefix: str | None = None,
        retry_after: int | None = None,
    ) -> Any:
        """The next `count` requests (optionally only those under `path_prefix`, e.g.
        `/v1/spaces` or `/token`) answer `status` with Google's error body."""
        spec: dict[str, Any] = {"status": status, "count": count}
        if path_prefix is not None:
            spec["path_prefix"] = path_prefix
        if retry_after is not None:
            spec["retry_after"] = retry_after
        return self.knob("fail-next", spec)

    def set_latency(self, milliseconds: int) -> Any:
        return self.knob("latency", {"ms": milliseconds})

    def reset(self) -> Any:
        return self.knob("reset", {})

    def request_log(self) -> Any:
        return self.knob("requests")


# -- acting as a teammate -------------------------------------------------------------------
# The workflows need a second person in the conversation. The emulator mints tokens for any
# seeded user; the test then speaks Google's wire format directly, as that teammate's own
# Chat client would.

PRIYA_ID = "102938475610293847562"  # Priya Natarajan (src/emulator/data.rs)
CHAT_MESSAGES_SCOPE = "https://www.googleapis.com/auth/chat.messages"


class Teammate:
    def __init__(self, emulator: "Emulator", user_id: str) -> None:
        self.emulator = emulator
        tokens = emulator.knob("mint-tokens", {"user": user_id, "scopes": [CHAT_MESSAGES_SCOPE]})
        self._token = tokens["access_token"]

    def _request(self, method: str, path: str, body: bytes, content_type: str) -> Any:
        req = urllib.request.Request(f"{self.emulator.base_url}{path}", data=body, method=method)
        req.add_header("Authorization", f"Bearer {self._token}")
        req.add_header("Content-Type", content_type)
        try:
            with _opener.open(req, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise AssertionError(
                f"teammate {method} {path} answered {e.code}: {e.read().decode(errors='replace')}"
            ) from None

    def upload(self, space: str, filename: str, content: bytes, content_type: str) -> dict:
        """`media.upload` (multipart/related): returns the `attachmentDataRef`."""
        boundary = "chatkey-e2e-boundary"
        meta = json.dumps({"filename": filename}).encode()
        body = (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode()
            + meta
            + f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answer = self._request(
            "POST",
            f"/upload/v1/{space}/attachments:upload?uploadType=multipart",
            body,
            f"multipart/related; boundary={boundary}",
        )
        return answer["attachmentDataRef"]

    def reply(self, thread: str, text: str, attachment_ref: dict | None = None) -> dict:
        space = "/".join(thread.split("/")[:2])
        message: dict[str, Any] = {"text": text, "thread": {"name": thread}}
        if attachment_ref is not None:
            message["attachment"] = [{"attachmentDataRef": attachment_ref}]
        return self._request(
            "POST",
            f"/v1/{space}/messages?messageReplyOption=REPLY_MESSAGE_OR_FAIL",
            json.dumps(message).encode(),
            "application/json",
        )
