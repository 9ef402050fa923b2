"""A chatkey profile for one test module: its directories and environment, sign-in, the MCP
session over stdio (the official Python SDK launching the real `chatkey-mcp`), and an
orderly stop of the daemon the shim starts.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import procs
from emulator import Emulator, http_get

T = TypeVar("T")

# Variables of the surrounding session (scripts/with-session.sh) that chatkey needs: the
# bus (keyring), the dirs, and the session marker so a leaked daemon is still cleaned up.
SESSION_VARS = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "DBUS_SESSION_BUS_ADDRESS",
    "GNOME_KEYRING_CONTROL",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
    "NO_AT_BRIDGE",
    "GSETTINGS_BACKEND",
    "RUST_BACKTRACE",
    "CHATKEY_LOG",
    "CHATKEY_EMULATOR_REQUEST_LOG",
    "CHATKEY_WITH_SESSION_ID",
)

URL = re.compile(r"https?://[^\s<>\"')\]]+")


def bin_dir() -> Path:
    return Path(os.environ.get("CHATKEY_BIN_DIR", "target/debug")).resolve()


class Chatkey:
    """One isolated chatkey profile: its own CHATKEY_PROFILE (so its own keyring entries and
    socket), config, runtime and state directories."""

    def __init__(self, log_dir: Path) -> None:
        self.bin_dir = bin_dir()
        self.log_dir = log_dir
        self.profile = f"e2e-{secrets.token_hex(4)}"
        # Short path: the daemon's socket lives in the runtime dir (sun_path is 108 bytes).
        base = os.environ.get("XDG_RUNTIME_DIR") or None
        self.root = Path(tempfile.mkdtemp(prefix="ck-", dir=base))
        self.config_dir = self.root / "config"
        self.runtime_dir = self.root / "run"
        self.state_dir = self.root / "state"
        for d in (self.config_dir, self.runtime_dir, self.state_dir):
            d.mkdir(mode=0o700)
        self.env = {k: os.environ[k] for k in SESSION_VARS if k in os.environ}
        self.env.update(
            CHATKEY_PROFILE=self.profile,
            CHATKEY_CONFIG_DIR=str(self.config_dir),
            CHATKEY_RUNTIME_DIR=str(self.runtime_dir),
            CHATKEY_STATE_DIR=str(self.state_dir),
            CHATKEY_NO_BROWSER="1",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        self.emulator: Emulator | None = None
        self.mcp_stderr = self.log_dir / "chatkey-mcp.stderr.log"

    def bin(self, name: str) -> Path:
        return self.bin_dir / name

    # -- CLI ------------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 60.0, check: bool = True):
        return procs.run([self.bin("chatkey"), *args], self.env, timeout=timeout, check=check)

    def start_emulator(self, slack: bool = False) -> Emulator:
        """Starts the emulators and writes the Google Chat config (and Slack's when `slack`)."""
        self.emulator = Emulator.start(self.bin("chatkey"), self.env, self.log_dir)
        self.emulator.write_config(self.config_dir, slack=slack)
        return self.emulator

    def start_login(
        self, prefix: Sequence[str] = (), name: str = "login", provider: str = "google-chat"
    ) -> procs.Proc:
        """Starts `[PREFIX...] chatkey login PROVIDER --no-browser`."""
        argv = [*prefix, self.bin("chatkey"), "login", provider, "--no-browser"]
        return procs.Proc(name, argv, self.env, self.log_dir)

    def sign_in_url(self, line: str) -> str | None:
        """The emulator's authorization URL in a line of `chatkey login`'s stderr, if any."""
        assert self.emulator is not None, "start the emulator first"
        auth_url = self.emulator.config_value("auth_url") or ""
        for url in URL.findall(line):
            url = url.rstrip(".,;")
            if (auth_url and url.startswith(auth_url + "?")) or "/o/oauth2/v2/auth?" in url:
                return url
            if url.startswith(self.emulator.base_url) and (
                "/oauth/v2/authorize?" in url or "/oauth2/v2.0/authorize?" in url
            ):
                return url
        return None

    def act_as_browser(self, proc: procs.Proc, timeout: float = 60.0) -> tuple[int, str]:
        """Waits for the sign-in URL on `proc`'s stderr and opens it; auto-consent redirects
        to chatkey's loopback listener, which gets the code. Returns (HTTP status, body) of
        the last page."""
        _, line = proc.wait_for_line(
            lambda l: self.sign_in_url(l) is not None,
            stream="stderr",
            timeout=timeout,
            what="the sign-in URL on stderr",
        )
        return http_get(self.sign_in_url(line))

    def login(self, timeout: float = 60.0, provider: str = "google-chat") -> str:
        """`chatkey login PROVIDER --no-browser`, with this test as the browser; it must
        succeed. Returns its stdout + stderr."""
        proc = self.start_login(name=f"login-{provider}", provider=provider)
        try:
            status, body = self.act_as_browser(proc, timeout)
            if status != 200:
                raise procs.ProcError(
                    f"opening the sign-in URL ended with HTTP {status}: {body[:500]}\n{proc.describe()}"
                )
            rc = proc.wait(timeout)
            if rc != 0:
                raise procs.ProcError(f"chatkey login exited with status {rc}\n{proc.describe()}")
        finally:
            proc.stop()
        return proc.text("stdout") + "\n" + proc.text("stderr")

    # -- MCP over stdio -------------------------------------------------------------------

    def mcp_env(self) -> dict[str, str]:
        # What an assistant passes: no DISPLAY, so the shim starts the daemon headless.
        return dict(self.env)

    @asynccontextmanager
    async def mcp_session(
        self, args: Sequence[str] = (), read_timeout: float = 30.0
    ) -> AsyncIterator[tuple[ClientSession, Any]]:
        """A connected, initialized MCP session with `chatkey-mcp ARGS`; yields
        (session, InitializeResult)."""
        params = StdioServerParameters(
            command=str(self.bin("chatkey-mcp")), args=list(args), env=self.mcp_env()
        )
        with open(self.mcp_stderr, "a", encoding="utf-8") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write, read_timeout_seconds=read_timeout) as session:
                    init = await session.initialize()
                    yield session, init

    def run_mcp(
        self,
        body: Callable[[ClientSession, Any], Awaitable[T]],
        args: Sequence[str] = (),
        timeout: float = 90.0,
    ) -> T:
        """Runs `body(session, init_result)` in a fresh MCP session, all within `timeout`."""

        async def main() -> T:
            with anyio.fail_after(timeout):
                async with self.mcp_session(args) as (session, init):
                    return await body(session, init)

        try:
            return anyio.run(main)
        except BaseExceptionGroup as group:
            # anyio's task groups wrap the one real error; show that one.
            raise _sole_exception(group) from None

    # -- teardown -------------------------------------------------------------------------

    def lock_file_pid(self) -> int | None:
        """The daemon's pid from the single-instance lock file (runtime dir), if any."""
        lock = self.runtime_dir / "chatkey.lock"
        try:
            text = lock.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        m = re.search(r'"pid"\s*:\s*(\d+)', text) or re.search(r"\b(\d+)\b", text)
        return int(m.group(1)) if m else None

    def our_processes(self) -> list[int]:
        """Every live process started with this module's (random) CHATKEY_PROFILE."""
        return procs.pids_with_env("CHATKEY_PROFILE", self.profile)

    def daemon_pids(self) -> list[int]:
        """Processes of this profile other than the emulator: between MCP sessions, that is
        the daemon (and whatever it started)."""
        emulator = self.emulator.proc.pid if self.emulator is not None else None
        return sorted(p for p in self.our_processes() if p != emulator)

    def stop_daemon(self, timeout: float = 10.0) -> list[int]:
        """SIGTERM to the daemon (pid from the lock file) and to anything else still running
        with this profile; SIGKILL after `timeout`. Returns the pids that needed SIGKILL."""
        pids = set(self.our_processes())
        lock_pid = self.lock_file_pid()
        # The lock file's pid counts only if it is our chatkey binary (not a reused pid).
        if lock_pid is not None and self._is_our_binary(lock_pid):
            pids.add(lock_pid)
        pids.discard(os.getpid())
        return procs.terminate_pids(sorted(pids), timeout)

    def _is_our_binary(self, pid: int) -> bool:
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return False
        ours = str(self.bin("chatkey").resolve())
        return procs.is_alive(pid) and exe.removesuffix(" (deleted)") == ours

    def diagnostics(self, tail: int = 80) -> str:
        """Logs worth reading when a test failed: the shim's stderr, the daemon's logs, the
        emulator's output."""
        parts = []
        files = [self.mcp_stderr, self.log_dir / "login.stdout.log", self.log_dir / "login.stderr.log"]
        logs = self.state_dir / "logs"
        if logs.is_dir():
            files += sorted(p for p in logs.rglob("*") if p.is_file())
        for path in files:
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            parts.append(f"--- {path} (last {min(tail, len(lines))} of {len(lines)} lines) ---")
            parts.extend(lines[-tail:])
        if self.emulator is not None:
            parts.append(self.emulator.proc.describe(tail))
        return "\n".join(parts)

    def close(self) -> None:
        try:
            self.stop_daemon()
        finally:
            if self.emulator is not None:
                self.emulator.stop()
            shutil.rmtree(self.root, ignore_errors=True)


def _sole_exception(group: BaseExceptionGroup) -> BaseException:
    """The only leaf exception of a (nested) exception group, else the group itself."""
    leaves = []

    def collect(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for inner in e.exceptions:
                collect(inner)
        else:
            leaves.append(e)

    collect(group)
    return leaves[0] if len(leaves) == 1 else group
