"""A wheel carries the frontend, the catalogues and the entry points.

The wheel is built from this checkout and installed into a folder of its own;
a fresh interpreter that sees only that folder (and the venv's dependencies)
must find the frontend inside the installed package, not beside a checkout.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            ROOT,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = glob.glob(str(out / "tb_explain-*.whl"))
    return path


def test_wheel_holds_frontend_catalogues_and_entry_points(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        entries = archive.read(entry_points).decode()
    frontend = os.listdir(os.path.join(ROOT, "frontend"))
    for name in frontend:
        if name.endswith((".js", ".css")):
            assert f"tb_explain/frontend/{name}" in names, name
    assert "tb_explain/report/i18n/en.json" in names
    assert "tb_explain/report/i18n/zh.json" in names
    assert "explain = tb_explain.plugin.loader:ExplainLoader" in entries
    assert "tb-explain = tb_explain.cli:main" in entries


def test_installed_wheel_serves_its_own_frontend(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            wheel,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "import json, tb_explain\n"
        "from tb_explain.plugin import assets\n"
        "root = assets.frontend_dir()\n"
        "print(json.dumps({'package': tb_explain.__file__, 'frontend': root,\n"
        "  'files': sorted(assets.list_files(root))}))\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=str(tmp_path),
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(target))
    assert found["frontend"] == str(target / "tb_explain" / "frontend")
    assert "index.js" in found["files"] and "style.css" in found["files"]
