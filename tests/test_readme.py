"""The README's commands and its example centre work as written (STYLE.md: README examples run in CI)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from models import Center
from tests.shared_data import shared_data
from wfm import cli
from wfm.exit_codes import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


#: How the README names the real data (from the repository root) and the example files.
SHARED_DATA = "../shared/data/"
EXAMPLES = "docs/examples/"


def _commands(real_data: bool) -> list[str]:
    """The README's `wfm` commands in order: those on the real data of ../shared/data, or the others."""
    lines = [line[2:] for block in _blocks("console") for line in block.splitlines() if line.startswith("$ wfm ")]
    return [line for line in lines if (SHARED_DATA in line) == real_data]


def _run_in_order(commands: list[str], replace: dict[str, str]) -> None:
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command)[1:]
        for old, new in replace.items():
            args = [arg.replace(old, new) if arg.startswith(old) else arg for arg in args]
        result = runner.invoke(cli.app, args)
        assert result.exit_code == ExitCode.OK, f"`{command}` failed:\n{result.stderr}"


def test_readme_commands_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a folder laid out as the repository's root: the example files (whose own relative paths, such as a
    scenario file's base, then point where they do in the repository) and what the commands write."""
    commands = _commands(real_data=False)
    assert len(commands) >= 3, "the README should show the wfm commands it documents"
    shutil.copytree(README.parent / EXAMPLES, tmp_path / EXAMPLES)
    monkeypatch.chdir(tmp_path)
    _run_in_order(commands, {})


def test_readme_reads_the_banks_call_log_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's section on a real call log: validate, forecast and plan on the bank's log, read directly."""
    commands = _commands(real_data=True)
    assert [c.split()[1] for c in commands] == ["validate", "forecast", "plan"]
    root = shared_data("anonbank", "calls_1999-08.csv").parents[1]
    monkeypatch.chdir(tmp_path)
    _run_in_order(commands, {SHARED_DATA: str(root) + "/", EXAMPLES: str(README.parent / EXAMPLES) + "/"})
    assert (tmp_path / "bank" / "plan" / "roster.csv").is_file()


def test_readme_example_centre_is_valid() -> None:
    (example,) = _blocks("yaml")
    center = Center.model_validate(yaml.safe_load(example))
    assert [w.mode.value for w in center.work_types] == ["realtime", "deferred"]
    assert center.agents_by_id["bob"].proficiency("billing") == 0.8
    assert center.lint() == []


def _shell_commands(block: str) -> list[str]:
    """A `shell` block's commands: `$ ` lines joined with their continuation lines, without trailing comments."""
    commands: list[str] = []
    pending = ""
    for line in block.splitlines():
        text = line[2:] if line.startswith("$ ") else line.strip()
        text = re.sub(r"\s{2,}#.*$", "", text)
        if text.endswith("\\"):
            pending += text[:-1].strip() + " "
            continue
        commands.append((pending + text).strip())
        pending = ""
    return [c for c in commands if c]


def test_readme_service_example_runs_against_a_real_server(tmp_path: Path) -> None:
    """The README's planning-service example, run as written against a real `wfm serve` on a free port of
    127.0.0.1 (stopped by its process id), from a folder holding the S demo centre and three weeks of its history
    as `demo-out/`; the plan's time limit is cut from 30 s to 5 s, nothing else changes."""
    import json
    import os
    import subprocess
    import sys
    import time

    from scenarios.generator import GeneratorSettings, generate, write_scenario
    from tests.service_helpers import free_port, start_server, stop_server

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (.ci/run installs it): the README's service example uses it")
    (block,) = [b for b in _blocks("shell") if "wfm serve" in b]
    port = str(free_port())
    commands = [
        c.replace("8000", port).replace('"time_limit_s": 30', '"time_limit_s": 5') for c in _shell_commands(block)
    ]
    write_scenario(generate(GeneratorSettings(size="S", history_weeks=3)), tmp_path / "demo-out")
    env = {**os.environ, "PYTHONPATH": str(README.parent)}
    wfm = [sys.executable, "-m", "wfm"]
    server: subprocess.Popen[bytes] | None = None
    outputs: list[str] = []
    try:
        for command in commands:
            if command.startswith("wfm users add"):
                made = subprocess.run([*wfm, *shlex.split(command)[1:]], cwd=tmp_path, env=env, capture_output=True)
                assert made.returncode == 0, made.stderr
                env["TOKEN"] = made.stdout.decode().strip().splitlines()[-1]
            elif command.startswith("wfm serve"):
                args = shlex.split(command.removesuffix("&"))[2:]
                at = args.index("--port")
                server = start_server(
                    args[:at] + args[at + 2 :], int(port), tmp_path / "serve.log", cwd=tmp_path, env=env
                )
            else:
                assert command.startswith("curl "), command
                if "/roster.csv" in command:  # "once it is done"
                    end = time.monotonic() + 300
                    while json.loads(outputs[-1])["status"] not in ("done", "failed", "cancelled"):
                        assert time.monotonic() < end, outputs[-1]
                        time.sleep(1)
                        outputs.append(
                            _curl(command.replace("/plans/1/roster.csv", f"/jobs/{env['JOB']}"), env, tmp_path)
                        )
                    assert json.loads(outputs[-1])["status"] == "done", outputs[-1]
                outputs.append(_curl(command, env, tmp_path))
                if "/api/plans" in command and "--data" in command:
                    env["JOB"] = json.loads(outputs[-1])["job_id"]
    finally:
        if server is not None:
            stop_server(server)
    center, history = json.loads(outputs[0]), json.loads(outputs[1])
    assert (center["id"], center["agents"]) == (1, 20) and (history["id"], history["kind"]) == (1, "history")
    assert outputs[-1].startswith("agent_id,date,start,end"), outputs[-1][:200]


def _curl(command: str, env: dict[str, str], folder: Path) -> str:
    import subprocess

    run = ["bash", "-c", command + " --fail-with-body"]
    done = subprocess.run(run, cwd=folder, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, f"`{command}`: {done.stdout.decode()} {done.stderr.decode()}"
    return done.stdout.decode()
