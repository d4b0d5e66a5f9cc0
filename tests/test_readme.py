"""The README's commands and its example centre work as written (STYLE.md: README examples run in CI)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from models import Center
from wfm import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_commands_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = [line[2:] for block in _blocks("console") for line in block.splitlines() if line.startswith("$ wfm ")]
    assert len(commands) >= 3, "the README should show the wfm commands it documents"
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command)[1:]
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, f"`{command}` failed:\n{result.stderr}"


def test_readme_example_centre_is_valid() -> None:
    (example,) = _blocks("yaml")
    center = Center.model_validate(yaml.safe_load(example))
    assert [w.mode.value for w in center.work_types] == ["realtime", "deferred"]
    assert center.agents_by_id["bob"].proficiency("billing") == 0.8
    assert center.lint() == []
