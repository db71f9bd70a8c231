"""The ``tb-explain report`` command: files written, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_report import write_extra_logdir

from tb_explain import cli


@pytest.fixture(scope="session")
def status_logdir(tmp_path_factory):
    """Runs with a failed check, no checks and a warning (hostile names)."""
    logdir = str(tmp_path_factory.mktemp("cli_runs"))
    write_extra_logdir(logdir)
    return logdir


def _run(capsys, *argv):
    status = cli.main(["report", *argv])
    return status, capsys.readouterr()


def test_writes_json_and_passes(schema_logdir, tmp_path, capsys):
    logdir, _ = schema_logdir
    out = tmp_path / "r.json"
    status, io = _run(
        capsys,
        "--logdir",
        logdir,
        "--run",
        "tabular",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert status == cli.EXIT_OK
    assert json.loads(out.read_text())["run"] == "tabular"
    assert "quality: pass" in io.err


def test_default_file_name_and_markdown_zip(
    schema_logdir, tmp_path, capsys, monkeypatch
):
    logdir, _ = schema_logdir
    monkeypatch.chdir(tmp_path)
    status, _ = _run(
        capsys, "--logdir", logdir, "--run", "tabular", "--format", "markdown", "-q"
    )
    assert status == cli.EXIT_OK
    assert (tmp_path / "tabular-10-report.zip").read_bytes().startswith(b"PK")


@pytest.mark.parametrize(
    "run, fail_on, expected",
    [
        ("sigmoid", "fail", cli.EXIT_QUALITY),
        ("sigmoid", "never", cli.EXIT_OK),
        ("regression", "fail", cli.EXIT_OK),
        ("regression", "warn", cli.EXIT_QUALITY),
        ("<script>alert('run')", "warn", cli.EXIT_QUALITY),
        ("<script>alert('run')", "fail", cli.EXIT_OK),
    ],
)
def test_exit_status_follows_fail_on(
    status_logdir, tmp_path, capsys, run, fail_on, expected
):
    logdir = status_logdir
    status, _ = _run(
        capsys,
        "--logdir",
        logdir,
        "--run",
        run,
        "--format",
        "json",
        "--fail-on",
        fail_on,
        "-o",
        str(tmp_path / "r.json"),
    )
    assert status == expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--run", "nope"], "run='nope'"),
        (["--run", "tabular", "--step", "7"], "step=7"),
    ],
)
def test_bad_input_exits_2_with_message(schema_logdir, capsys, argv, message):
    logdir, _ = schema_logdir
    status, io = _run(capsys, "--logdir", logdir, *argv, "-o", os.devnull)
    assert status == cli.EXIT_USAGE
    assert message in io.err


def test_missing_logdir_exits_2(tmp_path, capsys):
    status, io = _run(capsys, "--logdir", str(tmp_path / "absent"))
    assert status == cli.EXIT_USAGE
    assert "is not a folder" in io.err


def test_unknown_format_is_an_argparse_error(schema_logdir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["report", "--logdir", schema_logdir[0], "--format", "pdf"])
    assert exit_info.value.code == 2


def test_module_runs_as_a_command_with_progress(schema_logdir, tmp_path):
    logdir, _ = schema_logdir
    out = tmp_path / "r.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tb_explain.cli",
            "report",
            "--logdir",
            logdir,
            "--run",
            "images",
            "--lang",
            "zh",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == cli.EXIT_OK, result.stderr
    assert "section 6" in result.stderr and "wrote" in result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
