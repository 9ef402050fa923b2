"""Fixtures for the end-to-end tests.

`chatkey`: a fresh profile per test module (own CHATKEY_PROFILE, config, runtime and state
dirs) with the emulator running and its config written. `signed_in`: the same after
`chatkey login google-chat`. Teardown stops the daemon the shim started, then the emulator.
A failing test's report carries the shim's stderr, the daemon's logs and the emulator's
output.
"""

from __future__ import annotations

import os

import pytest

from harness import Chatkey, bin_dir


def _require_environment() -> None:
    problems = []
    for name in ("chatkey", "chatkey-mcp"):
        if not (bin_dir() / name).is_file():
            problems.append(f"{bin_dir() / name} does not exist: run `cargo build --bins` "
                            "(or set CHATKEY_BIN_DIR)")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        problems.append("no session bus: run inside scripts/with-session.sh (make test-e2e)")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def chatkey(request, tmp_path_factory):
    _require_environment()
    ck = Chatkey(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    try:
        ck.start_emulator()
        yield ck
    finally:
        ck.close()


@pytest.fixture(scope="module")
def signed_in(chatkey):
    chatkey.login_output = chatkey.login()
    return chatkey


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        ck = item.funcargs.get("signed_in") or item.funcargs.get("chatkey")
        if isinstance(ck, Chatkey):
            report.sections.append(("chatkey diagnostics", ck.diagnostics()))
    return report
