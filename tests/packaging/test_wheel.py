"""A real install gets every file the daemon reads at run time: migrations, default config, pages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_carries_every_runtime_asset(tmp_path: Path) -> None:
    result = subprocess.run(  # an isolated build, as `pip install .` on a till does
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("tillbridge-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assets = {
        str(p.relative_to(REPO))
        for p in (REPO / "bridge").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert assets, "no assets found: the test is looking in the wrong place"
    assert assets <= names, f"missing from the wheel: {sorted(assets - names)}"
    assert "tillbridge-0.1.0.dist-info/entry_points.txt" in names
    entry_points = (
        zipfile.ZipFile(wheel).read("tillbridge-0.1.0.dist-info/entry_points.txt").decode()
    )
    assert "tillbridge = bridge.cli.main:main" in entry_points
