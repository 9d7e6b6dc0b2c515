"""``sitewatch review`` names the reviewer the audit log will carry: never the OS login."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

from tests.review.casefixture import make_case


def test_the_default_reviewer_is_not_the_login(tmp_path: Path) -> None:
    """Issue 24: the review app wrote the OS login (getpass) into every decision and its audit
    entry, which travel with a published case."""
    store = make_case(tmp_path, vehicles=(1, 1))
    env = {k: v for k, v in os.environ.items() if k != "SITEWATCH_ACTOR"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    server = subprocess.Popen([sys.executable, "-m", "sitewatch.cli.main", "review", str(store.root),
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
    finally:
        server.kill()
        server.communicate(timeout=30)
    assert first.endswith("as 'analyst'; open:\n"), first
    assert f"'{getpass.getuser()}'" not in first
