"""A variant's changes applied to the base centre and forecast.

Agents a change removes or trains are drawn at random from those eligible, with a generator seeded by the spec's
seed and the variant's changes (not its name, nor the order of the variants), so that the same variant always
changes the same agents; they are listed in the result. A change that names what the centre does not have (a
work type, an agent, a skill, a contract), or leaves it unable to serve a work type, is a `ConfigError` naming
the variant and the field: that variant fails with this message and the others go on.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from models import Center
from models.errors import ConfigError, Problem
from models.workforce import Contract
from planner.staffing.requirements import StaffingSettings
from scenarios.spec import Variant

__all__ = ["Applied", "apply_changes", "reference_problems"]

_VOLUME_COLUMNS = ("volume", "volume_p10", "volume_p50", "volume_p90")


@dataclass(frozen=True)
class Applied:
    """The variant's centre, forecast and staffing settings, and the agents its changes picked."""

    center: Center
    forecast: pd.DataFrame
    staffing: StaffingSettings
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    trained: dict[str, list[str]] = field(default_factory=dict)  # skill -> agents

    def summary(self) -> dict[str, Any]:
        return {"removed": self.removed, "added": self.added, "trained": self.trained}


def apply_changes(center: Center, forecast: pd.DataFrame, variant: Variant, seed: int = 0) -> Applied:
    """`variant`'s changes applied to `center` and `forecast` (a `models.FORECAST` table)."""
    source = f"variant '{variant.name}'"
    problems = reference_problems(center, variant)
    if problems:
        raise ConfigError(source, problems)

    rng = np.random.default_rng([seed, zlib.crc32(variant.key().encode())])
    data = center.model_dump(mode="json")
    removed = _remove(data, variant, rng, source)
    added = _add(data, variant)
    trained = _train(data, variant, rng, source)
    for work_type in data["work_types"]:
        change = variant.targets.get(work_type["id"])
        if change is not None:
            work_type["target"].update(change.model_dump(exclude_none=True))
        factor = variant.aht.get("all", 1.0) * variant.aht.get(work_type["id"], 1.0)
        work_type["aht_s"] = work_type["aht_s"] * factor
    if variant.shrinkage is not None:
        data["shrinkage"] = variant.shrinkage
    if variant.opening_hours is not None:
        data["opening_hours"] = variant.opening_hours
    for contract in data["contracts"]:
        contract.update(variant.contracts.get(contract["id"], {}))
    try:
        changed = Center.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            source,
            [Problem(".".join(map(str, e["loc"])), str(e["msg"]), "change the variant") for e in exc.errors()],
        ) from None
    except ConfigError as exc:
        raise ConfigError(
            source, [Problem(f"the changed centre: {p.where}", p.what, p.fix) for p in exc.problems]
        ) from None
    return Applied(
        changed,
        _forecast(forecast, variant),
        StaffingSettings(plan_on=variant.plan_on or "mean"),
        removed,
        added,
        trained,
    )


def reference_problems(center: Center, variant: Variant) -> list[Problem]:
    """What `variant` names that `center` does not have (work types, contracts, skills, agents), each with the
    change's field (``aht.tech_phon``)."""
    problems: list[Problem] = []
    kinds = {w.id for w in center.work_types}
    for name in ("volume", "aht"):
        for key in getattr(variant, name):
            if key != "all" and key not in kinds:
                problems.append(_unknown(f"{name}.{key}", "work type", key, sorted(kinds)))
    for key in variant.targets:
        if key not in kinds:
            problems.append(_unknown(f"targets.{key}", "work type", key, sorted(kinds)))
    contracts = {c.id for c in center.contracts}
    fields = sorted(set(Contract.model_fields) - {"id"})
    for key, change in variant.contracts.items():
        if key not in contracts:
            problems.append(_unknown(f"contracts.{key}", "contract", key, sorted(contracts)))
        for name in change:
            if name not in fields:
                problems.append(
                    Problem(
                        f"contracts.{key}.{name}",
                        f"a contract has no field '{name}'",
                        f"use one of {', '.join(fields)}",
                    )
                )
    skills = {s.id for s in center.skills}
    for i, training in enumerate(variant.train):
        for name in ("skill", "from_skill"):
            value = getattr(training, name)
            if value is not None and value not in skills:
                problems.append(_unknown(f"train[{i}].{name}", "skill", value, sorted(skills)))
    if variant.headcount.remove_skill is not None and variant.headcount.remove_skill not in skills:
        problems.append(_unknown("headcount.remove_skill", "skill", variant.headcount.remove_skill, sorted(skills)))
    agents = center.agents_by_id
    for i, agent_id in enumerate(variant.headcount.leave):
        if agent_id not in agents:
            problems.append(Problem(f"headcount.leave[{i}]", f"no agent '{agent_id}'", "name an agent of the centre"))
    for i, add in enumerate(variant.headcount.add):
        if add.like not in agents:
            problems.append(
                Problem(f"headcount.add[{i}].like", f"no agent '{add.like}'", "name an agent of the centre")
            )
    return problems


def _unknown(where: str, kind: str, value: str, known: list[str]) -> Problem:
    return Problem(where, f"the centre has no {kind} '{value}'", f"use one of {', '.join(known)}")


def _forecast(forecast: pd.DataFrame, variant: Variant) -> pd.DataFrame:
    out = forecast.copy()
    kinds = out["work_type"].astype(str)
    volume = kinds.map(lambda w: variant.volume.get("all", 1.0) * variant.volume.get(w, 1.0)).to_numpy(dtype=float)
    for column in _VOLUME_COLUMNS:
        if column in out:
            out[column] = out[column].to_numpy(dtype=float) * volume
    if "aht_s" in out:
        aht = kinds.map(lambda w: variant.aht.get("all", 1.0) * variant.aht.get(w, 1.0)).to_numpy(dtype=float)
        out["aht_s"] = out["aht_s"].to_numpy(dtype=float) * aht
    return out


def _skills_of(agent: dict[str, Any]) -> set[str]:
    return {s["skill"] for s in agent["skills"]}


def _remove(data: dict[str, Any], variant: Variant, rng: np.random.Generator, source: str) -> list[str]:
    leaving = set(variant.headcount.leave)
    data["agents"] = [a for a in data["agents"] if a["id"] not in leaving]
    count, skill = variant.headcount.remove, variant.headcount.remove_skill
    if count == 0:
        return sorted(leaving)
    eligible = [a["id"] for a in data["agents"] if skill is None or skill in _skills_of(a)]
    if count > len(eligible):
        among = f" with skill '{skill}'" if skill else ""
        raise ConfigError(
            source,
            Problem("headcount.remove", f"removes {count} agents of {len(eligible)}{among}", "remove fewer agents"),
        )
    chosen = {str(a) for a in rng.choice(eligible, size=count, replace=False)}
    data["agents"] = [a for a in data["agents"] if a["id"] not in chosen]
    return sorted(chosen | leaving)


def _add(data: dict[str, Any], variant: Variant) -> list[str]:
    taken = {a["id"] for a in data["agents"]}
    by_id = {a["id"]: a for a in data["agents"]}
    added = []
    for add in variant.headcount.add:
        profile = by_id.get(add.like)
        if profile is None:  # removed by the same variant: still its profile
            raise ConfigError(
                f"variant '{variant.name}'",
                Problem("headcount.add.like", f"agent '{add.like}' is removed by this variant", "copy another agent"),
            )
        number = 1
        for _ in range(add.count):
            while f"{add.like}-new{number}" in taken:
                number += 1
            new_id = f"{add.like}-new{number}"
            taken.add(new_id)
            data["agents"].append({**profile, "id": new_id, "name": f"new like {add.like}", "time_off": []})
            added.append(new_id)
    return added


def _train(data: dict[str, Any], variant: Variant, rng: np.random.Generator, source: str) -> dict[str, list[str]]:
    trained: dict[str, list[str]] = {}
    for i, training in enumerate(variant.train):
        eligible = [
            a
            for a in data["agents"]
            if training.skill not in _skills_of(a)
            and (training.from_skill is None or training.from_skill in _skills_of(a))
        ]
        if training.count > len(eligible):
            among = f"with '{training.from_skill}' " if training.from_skill else ""
            raise ConfigError(
                source,
                Problem(
                    f"train[{i}].count",
                    f"trains {training.count} agents but {len(eligible)} {among}lack '{training.skill}'",
                    "train fewer agents",
                ),
            )
        picks = sorted(int(j) for j in rng.choice(len(eligible), size=training.count, replace=False))
        for j in picks:
            eligible[j]["skills"] = [
                *eligible[j]["skills"],
                {"skill": training.skill, "proficiency": training.proficiency},
            ]
        trained.setdefault(training.skill, []).extend(sorted(eligible[j]["id"] for j in picks))
    return trained
