"""Without a Secret Service, chatkey refuses to sign in (it never falls back to a plaintext
token file) and says why. The command runs in a nested session made by
`scripts/with-session.sh --no-keyring`, where nothing on the bus can provide a keyring.
"""

from __future__ import annotations

import re
from pathlib import Path

import procs

WITH_SESSION = Path(__file__).resolve().parents[2] / "scripts" / "with-session.sh"


def test_login_without_a_keyring_fails_and_says_why(chatkey):
    proc = chatkey.start_login(prefix=[WITH_SESSION, "--no-keyring"], name="login-no-keyring")
    try:
        try:
            # chatkey may refuse before printing the URL (it checks the keyring first), or
            # after the consent; either way it must exit non-zero and say why.
            chatkey.act_as_browser(proc, timeout=60)
        except procs.ProcError:
            pass
        rc = proc.wait(60)
    finally:
        proc.stop()
    output = proc.text("stdout") + "\n" + proc.text("stderr")
    assert rc != 0, f"login succeeded without a keyring\n{proc.describe()}"
    assert re.search(r"keyring|secret service", output, re.I), proc.describe()
    assert not list(chatkey.config_dir.rglob("*token*")), "a token file was written"
