"""Debian's Chromium for the browser tests, installed on demand.

Playwright's own browser download is not used: the test machine installs the
distribution's ``chromium`` package instead, so the browser comes from the same
package source as the rest of the system and needs no network access at test time
once it is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ensure_chromium() -> tuple[Path | None, str]:
    """Return Chromium's path, installing Debian's package as root when it is missing.

    Returns ``(None, reason)`` when it is missing and cannot be installed, so the caller
    can skip with that reason.
    """
    if CHROMIUM.exists():
        return CHROMIUM, "present"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return (
            None,
            f"{CHROMIUM} is missing and installing it needs root (apt-get install chromium)",
        )
    if shutil.which("apt-get") is None:
        return None, f"{CHROMIUM} is missing and apt-get is not available to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}"
    if not CHROMIUM.exists():
        return None, f"apt-get installed chromium but {CHROMIUM} is still missing"
    return CHROMIUM, "installed"


if __name__ == "__main__":
    path, how = ensure_chromium()
    print(path, how)
