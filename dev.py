#!/usr/bin/env python3
"""Set up newsmon in ./.venv and run its main jobs. Needs only Python 3.11+ and the package registry.

python3 dev.py demo     set up, then crawl the bundled offline demo sites into demo.db and report
python3 dev.py test     set up (with test tools), then run the test suite
python3 dev.py setup    only set up
python3 dev.py newsmon ARGS…   run newsmon from .venv (the same as .venv/bin/newsmon ARGS…)
python3 dev.py shell    a shell with .venv/bin first on PATH, so `newsmon …` works as the README writes it
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".newsmon-installed"


def setup(extras: str = "test") -> None:
    """Create the virtualenv and install newsmon (editable) when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
        sys.exit(f"newsmon needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        print(f"creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    print("installing newsmon and its dependencies", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    spec = f".[{extras}]" if extras else "."
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", spec], cwd=ROOT, check=True)
    STAMP.write_text(want)


def main(argv: list[str]) -> int:
    """Dispatch the sub-command."""
    cmd = argv[0] if argv else "help"
    rest = argv[1:]
    if cmd == "setup":
        setup()
        return 0
    if cmd == "demo":
        setup()
        return subprocess.call([str(BIN / "newsmon"), "demo", *rest], cwd=ROOT)
    if cmd == "newsmon":
        setup()
        return subprocess.call([str(BIN / "newsmon"), *rest], cwd=ROOT)
    if cmd == "shell":
        setup()
        shell = os.environ.get("SHELL") or "/bin/sh"
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(VENV),
        }
        print(f"newsmon is on PATH in this shell ({BIN}); exit to leave", flush=True)
        return subprocess.call([shell, *rest], cwd=ROOT, env=env)
    if cmd == "test":
        setup()
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)
    print(__doc__)
    return 0 if cmd in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
