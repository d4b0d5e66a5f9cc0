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
