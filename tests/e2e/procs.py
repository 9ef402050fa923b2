"""Subprocesses for the end-to-end tests: every wait is bounded, every output is kept.

A `Proc` drains the child's stdout and stderr on two threads (so a chatty child never blocks
on a full pipe), keeps every line in memory and in a log file, and lets a test wait for a
line with a timeout. `describe()` gives the command, its exit status and its output, for
failure messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class ProcError(AssertionError):
    """A subprocess did not do what the test expected; the message carries its output."""


class Proc:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_dir: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self._lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._cond = threading.Condition()
        self._closed = {"stdout": False, "stderr": False}
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_paths = {s: log_dir / f"{name}.{s}.log" for s in ("stdout", "stderr")}
        self.popen = subprocess.Popen(
            self.argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Its own process group, so stop() reaches whatever it forks, and a Ctrl-C meant
            # for pytest does not race our orderly shutdown.
            start_new_session=True,
        )
        self._threads = [
            threading.Thread(target=self._drain, args=(s, getattr(self.popen, s)), daemon=True)
            for s in ("stdout", "stderr")
        ]
        for t in self._threads:
            t.start()

    # -- output ---------------------------------------------------------------------------

    def _drain(self, stream_name: str, pipe) -> None:
        with open(self.log_paths[stream_name], "w", encoding="utf-8") as log:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                log.write(line + "\n")
                log.flush()
                with self._cond:
                    self._lines[stream_name].append(line)
                    self._cond.notify_all()
        pipe.close()
        with self._cond:
            self._closed[stream_name] = True
            self._cond.notify_all()

    def lines(self, stream: str) -> list[str]:
        with self._cond:
            return list(self._lines[stream])

    def text(self, stream: str) -> str:
        return "\n".join(self.lines(stream))

    def wait_for_line(
        self,
        predicate: Callable[[str], bool],
        *,
        stream: str = "stdout",
        timeout: float = 30.0,
        start: int = 0,
        what: str = "the expected line",
    ) -> tuple[int, str]:
        """Returns (index, line) of the first line from `start` on that satisfies
        `predicate`. Raises ProcError on timeout or when the stream ends first."""
        deadline = time.monotonic() + timeout
        index = start
        with self._cond:
            while True:
                lines = self._lines[stream]
                while index < len(lines):
                    if predicate(lines[index]):
                        return index, lines[index]
                    index += 1
                if self._closed[stream]:
                    raise ProcError(f"{self.name} ended before printing {what}\n{self.describe()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProcError(
                        f"{self.name} did not print {what} within {timeout:.0f} s\n{self.describe()}"
                    )
                self._cond.wait(min(remaining, 0.2))

    # -- life cycle -----------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait(self, timeout: float) -> int:
        """Waits for the process to exit and its output to be read. On timeout: stops it and
        raises ProcError."""
        try:
            rc = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ProcError(f"{self.name} did not exit within {timeout:.0f} s\n{self.describe()}")
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM to its process group, then SIGKILL after `timeout`. Idempotent."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=5)
        return self.popen.returncode

    def describe(self, tail: int = 60) -> str:
        rc = self.popen.poll()
        state = "still running" if rc is None else f"exited with status {rc}"
        parts = [f"$ {' '.join(self.argv)}  ({state})"]
        for stream in ("stdout", "stderr"):
            lines = self.lines(stream)
            shown = lines[-tail:]
            skipped = f" (last {tail} of {len(lines)} lines)" if len(lines) > tail else ""
            parts.append(f"--- {self.name} {stream}{skipped} ---")
            parts.extend(shown or ["(nothing)"])
        return "\n".join(parts)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Runs a command to completion with a time limit; on failure (or timeout) raises
    ProcError carrying its output."""
    argv = [str(a) for a in argv]
    try:
        done = subprocess.run(
            argv,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        out = _text(e.stdout)
        err = _text(e.stderr)
        raise ProcError(
            f"$ {' '.join(argv)}  did not finish within {timeout:.0f} s\n"
            f"--- stdout ---\n{out}\n--- stderr ---\n{err}"
        ) from None
    if check and done.returncode != 0:
        raise ProcError(
            f"$ {' '.join(argv)}  exited with status {done.returncode}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
        )
    return done


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


# -- processes by environment -------------------------------------------------------------


def pids_with_env(name: str, value: str) -> list[int]:
    """Pids of live processes (readable by us) whose initial environment has NAME=VALUE.
    Used to find what a test profile started, without matching anything by name."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0") and is_alive(int(entry)):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def is_alive(pid: int) -> bool:
    """True when the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


def terminate_pids(pids: Sequence[int], timeout: float = 10.0) -> list[int]:
    """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the pids that needed SIGKILL."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if is_alive(p)]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive
