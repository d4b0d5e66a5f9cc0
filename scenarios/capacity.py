"""The capacity search: the fewest agents that meet every work type's target in simulation.

A headcount `n` is the base centre with agents added (copies of the profiles given, in turn; by default copies of
the centre's own agents in a fixed random order, so the mix of skills and contracts stays the centre's) or taken
away (the first agents of that same order leave): the teams are nested, each a part of every larger one. Each
headcount is planned as a what-if variant (`scenarios.runner`): requirement, roster in the simulation loop, check
simulation; it *meets* when every work type's simulated service level (deferred work: done in time) is at least
its target.

The search assumes that more agents never serve worse and brackets the answer with as many headcounts per round as
the cluster has workers: first upwards (or downwards) from the base in growing steps until the bracket
[failing, meeting] is found, then the bracket cut into ``workers + 1`` parts per round until it is one agent wide.
Evaluations are variants: they are written and kept like any other, so a stopped search resumes where it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import Center
from models.errors import InputError, Problem
from models.io import check_output_folder, text_writer, write_files
from scenarios.runner import Sweep, VariantEvent, check_workers, load_base
from scenarios.spec import AddLike, Base, Headcount, ScenarioSpec, Variant

__all__ = ["CapacityResult", "capacity_variant", "find_capacity"]


@dataclass(frozen=True)
class CapacityResult:
    headcount: int | None  # None: not found up to `max_agents`
    base_headcount: int
    meets: dict[int, bool]
    results: dict[int, dict[str, Any]]
    wall_s: float
    files: list[Path]

    def summary(self) -> dict[str, Any]:
        found = self.results.get(self.headcount) if self.headcount is not None else None
        return {
            "headcount": self.headcount,
            "base_headcount": self.base_headcount,
            "found": self.headcount is not None,
            "service_level": {r["work_type"]: r["service_level"] for r in found["work_types"]} if found else None,
            "target": {r["work_type"]: r["target_service_level"] for r in found["work_types"]} if found else None,
            "picked": found.get("picked") if found else None,
            "evaluations": [
                {"headcount": n, "meets": self.meets[n], "error": self.results[n].get("error")}
                for n in sorted(self.meets)
            ],
            "wall_s": round(self.wall_s, 1),
        }


def capacity_variant(center: Center, headcount: int, profiles: list[str] | None, seed: int = 0) -> Variant:
    """The variant of `center` with `headcount` agents."""
    current = len(center.agents)
    order = [center.agents[i].id for i in np.random.default_rng(seed).permutation(current)]
    if headcount <= current:  # the agents leave in one fixed order: a smaller team is part of every larger one
        return Variant(name=f"{headcount} agents", headcount=Headcount(leave=sorted(order[: current - headcount])))
    order = profiles or order
    counts: dict[str, int] = {}
    for k in range(headcount - current):
        like = order[k % len(order)]
        counts[like] = counts.get(like, 0) + 1
    return Variant(
        name=f"{headcount} agents",
        headcount=Headcount(add=[AddLike(like=like, count=n) for like, n in counts.items()]),
    )


def _meets(result: dict[str, Any]) -> bool:
    return "error" not in result and all(bool(r["meets_target"]) for r in result["work_types"])


def find_capacity(
    center_path: str | Path,
    forecast_path: str | Path,
    out_dir: str | Path,
    *,
    profiles: list[str] | None = None,
    max_agents: int | None = None,
    spec: ScenarioSpec | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    on_event: Callable[[VariantEvent], None] | None = None,
) -> CapacityResult:
    """Search the fewest agents that meet every target (module docstring) and write ``capacity.json`` and
    ``evaluations.csv`` into `out_dir`, each headcount's plan under ``variants/``. `spec` gives the planning
    options (its base is replaced by the centre and forecast given)."""
    began = time.perf_counter()
    check_workers(workers)
    base = Base(center=Path(center_path), forecast=Path(forecast_path))
    spec = (spec or ScenarioSpec(base=base)).model_copy(update={"base": base, "variants": [], "grid": {}})
    out = check_output_folder(out_dir)
    center, forecast = load_base(spec, out)
    current = len(center.agents)
    unknown = [p for p in profiles or [] if p not in center.agents_by_id]
    if unknown:
        raise InputError(
            "--like", Problem("", f"no agent {', '.join(unknown)} in the centre", "name agents of the centre")
        )
    ceiling = max_agents if max_agents is not None else 3 * current
    if ceiling < 1:
        raise InputError("--max-agents", Problem("", f"{ceiling}", "give at least 1"))
    meets: dict[int, bool] = {}
    results: dict[int, dict[str, Any]] = {}
    width = max(workers, 1)

    with Sweep(spec, center, forecast, out / "variants", scheduler, workers) as sweep:

        def evaluate(counts: list[int]) -> None:
            fresh = sorted({n for n in counts if n not in meets and 1 <= n <= ceiling})
            if not fresh:
                return
            variants: list[tuple[Variant, list[str]]] = [
                (capacity_variant(center, n, profiles, spec.simulation.seed), []) for n in fresh
            ]
            before = len(meets)

            def counted(event: VariantEvent) -> None:  # numbered across the search's rounds
                if on_event is not None:
                    on_event(replace(event, done=before + event.done, total=before + event.total))

            done = sweep.run(variants, counted)
            for n, (variant, _) in zip(fresh, variants, strict=True):
                results[n] = done[variant.name]
                meets[n] = _meets(done[variant.name])

        evaluate([min(current, ceiling)])
        low, high = (0, min(current, ceiling)) if meets[min(current, ceiling)] else (min(current, ceiling), None)
        step = max(1, current // 10)
        while high is None and low < ceiling:  # upwards in growing steps
            counts = [min(low + step * (k + 1), ceiling) for k in range(width)]
            evaluate(counts)
            passing = [n for n in sorted(set(counts)) if meets[n]]
            if passing:
                high = passing[0]
                low = max([low] + [n for n in counts if n < high and not meets[n]])
            else:
                low = max(counts)
                step *= 2
        while high is not None and high - low > 1:  # the bracket cut into width + 1 parts
            counts = sorted(
                {int(round(low + (high - low) * (k + 1) / (width + 1))) for k in range(width)} - {low, high}
            )
            if not counts:
                counts = [low + 1]
            evaluate(counts)
            failing = [n for n in counts if not meets[n]]
            passing = [n for n in counts if meets[n]]
            low = max([low, *failing])
            high = min([high, *passing])
    headcount = high if high is not None and meets.get(high, False) else None
    evaluations = pd.DataFrame(
        [
            {
                "headcount": n,
                "meets_all_targets": meets[n],
                "service_level": results[n].get("service_level"),
                "paid_hours": results[n].get("paid_hours"),
                "cost": results[n].get("cost"),
                "error": results[n].get("error"),
                **{f"sl_{r['work_type']}": r["service_level"] for r in results[n].get("work_types", [])},
            }
            for n in sorted(meets)
        ]
    )
    result = CapacityResult(headcount, current, meets, results, time.perf_counter() - began, [])
    files = write_files(
        {
            out / "capacity.json": text_writer(json.dumps(result.summary(), indent=2, default=str) + "\n"),
            out / "evaluations.csv": text_writer(evaluations.to_csv(index=False)),
        }
    )
    return CapacityResult(headcount, current, meets, results, result.wall_s, files)
