"""docs/scenarios.md says what the code does: its example scenario file is valid for the demo centre and expands to
the plans and aliases it describes, and its table of `results.csv` names every column."""

from __future__ import annotations

import re
from pathlib import Path

from scenarios.generator import GeneratorSettings, generate
from scenarios.report import RESULTS_COLUMNS
from scenarios.runner import check_variants
from scenarios.spec import expand, load_spec

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"


def _example(tmp_path: Path) -> Path:
    (block,) = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    path = tmp_path / "scenarios.yaml"
    path.write_text(block, encoding="utf-8")
    return path


def test_the_example_expands_to_the_plans_and_aliases_the_guide_names(tmp_path: Path) -> None:
    spec = load_spec(_example(tmp_path))
    plans = expand(spec)
    aliases = {variant.name: names for variant, names in plans if names}
    assert (len(plans), sum(1 + len(names) for _, names in plans)) == (16, 19)
    assert aliases == {
        "base": ["volume.all=1, headcount.remove=0"],
        "volume +20%": ["volume.all=1.2, headcount.remove=0"],
        "10 fewer agents": ["volume.all=1, headcount.remove=10"],
    }
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "19 names and 16 plans" in text
    for alias in aliases.values():
        assert f"`{alias[0]}`" in text


def test_the_example_names_only_what_the_demo_centre_has(tmp_path: Path) -> None:
    path = _example(tmp_path)
    check_variants(load_spec(path), generate(GeneratorSettings(size="S")).center, path)  # raises if not


def test_the_results_table_of_the_guide_names_every_column() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_0-9]+)`", text.split("- `results.csv`", 1)[1].split("- `report.html`", 1)[0]))
    assert set(RESULTS_COLUMNS) <= documented
