"""The what-if scenario file: a base plan, how to plan each variant, and the variants (listed, and a grid).

```yaml
base: {center: demo-out/center.yaml, forecast: demo-out/forecast.csv}   # or history: + start: (+ days:)
roster: {time_limit_s: 30}
loop: {max_iterations: 3}
simulation: {replications: 10, seed: 0}
variants:
  - {name: volume +20%, volume: {all: 1.2}}
  - {name: tech AHT +10%, aht: {tech_phone: 1.1}}
  - {name: 10 fewer agents, headcount: {remove: 10}}
  - {name: 5 more like a0003, headcount: {add: [{like: a0003, count: 5}]}}
  - {name: cross-train retention, train: [{skill: retention, count: 5, from_skill: billing}]}
  - {name: billing 90/20, targets: {billing_phone: {service_level: 0.9, within_s: 20}}}
grid: {volume.all: [0.9, 1.0, 1.1, 1.2], headcount.remove: [0, 5, 10]}
```

Read with `load_spec`: every problem names the file, the line and the field. Paths in `base` are relative to
the scenario file. `expand` lists the variants to plan: the base (no change) first, then the listed variants,
then the grid's combinations (each named by its values), each at most once: a variant whose changes are those
of an earlier one is that one.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from models.base import FrozenModel, Identifier
from models.errors import ConfigError, Problem
from models.io import read_yaml_mapping, validate_with_lines

__all__ = [
    "BASE_NAME",
    "CHANGE_FIELDS",
    "AddLike",
    "Base",
    "Changes",
    "Headcount",
    "LoopOptions",
    "RosterOptions",
    "ScenarioSpec",
    "SimulationOptions",
    "TargetChange",
    "Training",
    "Variant",
    "expand",
    "grid_variants",
    "load_spec",
]

#: The name of the variant with no change.
BASE_NAME = "base"
#: The change fields a grid may sweep (a dotted path starts with one of them).
CHANGE_FIELDS = (
    "volume",
    "aht",
    "headcount",
    "train",
    "targets",
    "shrinkage",
    "opening_hours",
    "contracts",
    "plan_on",
)


class Base(FrozenModel):
    """The centre and its demand: a forecast, or a history to forecast from `start` for `days` days."""

    center: Path
    forecast: Path | None = None
    history: Path | None = None
    start: date | None = None
    days: int = Field(default=7, ge=1, le=62)

    @model_validator(mode="after")
    def _one_demand(self) -> Base:
        if (self.forecast is None) == (self.history is None):
            raise ValueError("give exactly one of forecast or history; a forecast file, or a history with start")
        if self.history is not None and self.start is None:
            raise ValueError("a history needs start (the first day to plan, YYYY-MM-DD); add start")
        return self


class RosterOptions(FrozenModel):
    """Each variant's roster: `time_limit_s` of CP-SAT, deterministic by default (then deterministic seconds, so
    that the same spec gives the same rosters on any machine load)."""

    time_limit_s: float = Field(default=30.0, gt=0)
    deterministic: bool = True
    seed: int = 0
    workers: int = Field(default=1, ge=1, le=64)


class LoopOptions(FrozenModel):
    """The simulation loop that makes each plan honest (`planner.loop`): at most `max_iterations` roster solves
    (1: the first roster only)."""

    max_iterations: int = Field(default=3, ge=1, le=12)


class SimulationOptions(FrozenModel):
    replications: int = Field(default=10, ge=1, le=1000)
    seed: int = 0


class AddLike(FrozenModel):
    """`count` new agents with the skills, contract, hours and cost of agent `like`."""

    like: Identifier
    count: int = Field(ge=1, le=10_000)


class Headcount(FrozenModel):
    """`leave`: these agents leave; then `remove` more agents chosen at random (reproducibly), among those with
    `remove_skill` where given; `add` agents copied from a profile."""

    leave: list[Identifier] = Field(default_factory=list)
    remove: int = Field(default=0, ge=0)
    remove_skill: Identifier | None = None
    add: list[AddLike] = Field(default_factory=list)


class Training(FrozenModel):
    """`count` agents who hold `from_skill` (any agent where not given) and not `skill` learn `skill` at
    `proficiency`, chosen at random (reproducibly)."""

    skill: Identifier
    count: int = Field(ge=1)
    from_skill: Identifier | None = None
    proficiency: float = Field(default=1.0, gt=0, le=1)


class TargetChange(FrozenModel):
    service_level: float | None = Field(default=None, gt=0, le=1)
    within_s: int | None = Field(default=None, gt=0)
    mean_patience_s: float | None = Field(default=None, gt=0)


class Changes(FrozenModel):
    """What a variant changes in the base. Factors multiply (`all` and a work type's own both apply)."""

    volume: dict[str, float] = Field(default_factory=dict)
    aht: dict[str, float] = Field(default_factory=dict)
    headcount: Headcount = Field(default_factory=Headcount)
    train: list[Training] = Field(default_factory=list)
    targets: dict[Identifier, TargetChange] = Field(default_factory=dict)
    shrinkage: float | None = Field(default=None, ge=0, lt=1)
    #: The centre's opening hours, replaced (`models` `WeeklyWindow` items).
    opening_hours: list[dict[str, Any]] | None = None
    #: Contract fields replaced, per contract id (e.g. ``{full_time: {max_paid_minutes_week: 2640}}``).
    contracts: dict[Identifier, dict[str, Any]] = Field(default_factory=dict)
    plan_on: Literal["mean", "p50", "p90"] | None = None

    @field_validator("volume", "aht")
    @classmethod
    def _factors(cls, value: dict[str, float]) -> dict[str, float]:
        for key, factor in value.items():
            if not factor > 0:
                raise ValueError(f"the factor of '{key}' is {factor}; give a positive factor such as 1.2")
        return value

    def is_empty(self) -> bool:
        return self.key() == Changes().key()

    def key(self) -> str:
        """The changes as canonical JSON: two variants with the same key are the same plan."""
        data = self.model_dump(mode="json", exclude_defaults=True, exclude={"name"})
        data["volume"] = {k: v for k, v in self.volume.items() if v != 1.0}
        data["aht"] = {k: v for k, v in self.aht.items() if v != 1.0}
        return json.dumps({k: v for k, v in data.items() if v not in ({}, [], None)}, sort_keys=True)


class Variant(Changes):
    name: str = Field(min_length=1, max_length=200)


class ScenarioSpec(FrozenModel):
    base: Base
    roster: RosterOptions = Field(default_factory=RosterOptions)
    loop: LoopOptions = Field(default_factory=LoopOptions)
    simulation: SimulationOptions = Field(default_factory=SimulationOptions)
    variants: list[Variant] = Field(default_factory=list)
    #: Dotted change paths (``volume.all``, ``headcount.remove``) -> the values to sweep: their cartesian product.
    grid: dict[str, list[Any]] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _grid(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in value.items():
            if key.split(".")[0] not in CHANGE_FIELDS:
                raise ValueError(f"'{key}' is not a change; start it with one of {', '.join(CHANGE_FIELDS)}")
            if not values:
                raise ValueError(f"'{key}' has no values; list at least one")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> ScenarioSpec:
        seen: dict[str, str] = {BASE_NAME: "the base"}
        for i, variant in enumerate(self.variants):
            if variant.name in seen:  # a ConfigError, not a ValueError: its place is the name's, with its line
                raise ConfigError(
                    "scenario file",
                    Problem(
                        f"variants[{i}].name",
                        f"repeats the name '{variant.name}' of {seen[variant.name]}",
                        "give each variant its own name",
                    ),
                )
            seen[variant.name] = f"variants[{i}]"
        return self


def load_spec(path: str | Path) -> ScenarioSpec:
    """Read a scenario file, its `base` paths made relative to the file's folder."""
    source = str(path)
    data, lines = read_yaml_mapping(
        path,
        "a scenario file must be a YAML mapping (base: ..., variants: ...)",
        "start from docs/scenarios.md's example",
    )
    spec = validate_with_lines(ScenarioSpec, data, lines, source)
    folder = Path(path).resolve().parent
    base = spec.base.model_copy(
        update={
            name: folder / value
            for name in ("center", "forecast", "history")
            if (value := getattr(spec.base, name)) is not None and not Path(value).is_absolute()
        }
    )
    _grid_variants(spec.grid, source, lines)  # each combination a valid variant, checked where the lines are known
    return spec.model_copy(update={"base": base})


def expand(spec: ScenarioSpec) -> list[tuple[Variant, list[str]]]:
    """The variants to plan, each with the other names that are the same plan (``[]`` mostly): the base first,
    the listed variants, then the grid's combinations."""
    planned: dict[str, tuple[Variant, list[str]]] = {}
    for variant in [Variant(name=BASE_NAME), *spec.variants, *grid_variants(spec)]:
        key = variant.key()
        if key in planned:
            planned[key][1].append(variant.name)
        else:
            planned[key] = (variant, [])
    return list(planned.values())


def grid_variants(spec: ScenarioSpec) -> list[Variant]:
    """The grid's combinations as variants, named by their values."""
    return _grid_variants(spec.grid, "grid", {})


def _grid_variants(grid: dict[str, list[Any]], source: str, lines: dict[str, int]) -> list[Variant]:
    if not grid:
        return []
    keys = list(grid)
    out = []
    for values in itertools.product(*(grid[k] for k in keys)):
        data: dict[str, Any] = {"name": ", ".join(f"{k}={_text(v)}" for k, v in zip(keys, values, strict=True))}
        for key, value in zip(keys, values, strict=True):
            _set(data, key.split("."), value)
        try:
            out.append(Variant.model_validate(data))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            line = lines.get(f"grid.{field}") or lines.get("grid")
            raise ConfigError(
                source,
                Problem(
                    f"line {line}, grid.{field}" if line else f"grid.{field}",
                    f"the combination '{data['name']}' is not a valid variant: {error['msg']}",
                    "fix the grid's values",
                ),
            ) from None
    return out


def _set(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
