"""The demo: generate the built-in centre and its history, write them, and read them back through the same
checks as any user's input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import InputError, Problem
from planner.inputs import InputReport, check_inputs
from scenarios.generator import GeneratorSettings, Scenario, generate, write_scenario

__all__ = ["DemoReport", "run_demo"]


@dataclass(frozen=True)
class DemoReport:
    scenario: Scenario
    files: list[Path]
    inputs: InputReport


def run_demo(settings: GeneratorSettings, out_dir: str | Path) -> DemoReport:
    """Generate the demo centre of `settings`, write it to `out_dir`, and check what was written."""
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise InputError(str(out_dir), Problem("--out", "is a file, not a folder", "give a folder to write into"))
    scenario = generate(settings)
    files = write_scenario(scenario, out_dir)
    center_path, history_path = files
    inputs = check_inputs(center_path, history_path)
    return DemoReport(scenario=scenario, files=files, inputs=inputs)
