"""Package-level contracts: import, version, CLI entry point."""

import subprocess
import sys

import socdata


def test_version_is_a_string():
    assert isinstance(socdata.__version__, str)


def test_cli_help_exits_cleanly():
    proc = subprocess.run(
        [sys.executable, "-m", "socdata", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "socdata" in proc.stdout
