"""Why a plan falls short, and what would fix it: a capacity diagnosis found from the model, and remedies that are
applied, re-solved and simulated before they are proposed.

After the simulation-in-the-loop planner (`planner.loop`) has done what rostering alone can do, a work type whose
simulated weekly service level is still more than `tolerance` below its target is **short**. For each one:

- the **shortfall** in agent-hours is the roster's own (its coverage of the work type's skill against the loop's
  calibrated requirement), beside the skill's holders, their contract hours in the horizon (leave charged) and the
  requirement's peak;
- the **binding reason** comes from re-solving the same requirement with one rule family relaxed at a time, for
  all short skills at once: the holders' contract hours (+25% and one more working day), and who holds the skill
  (every agent gets it), each against the same search on the unchanged centre. A relaxation that removes a
  quarter or more of the skill's shortfall names the reason (each that does, the most first); where neither
  does, the model's data decide: the shortfall sits where no shift of a holder can be (opening hours), the
  roster already pays nearly all the hours the contracts allow (headcount), or the forecast's peak asks for more
  holders on duty at once than there are;
- **remedies** a planner can act on are each applied as a what-if on the centre, re-solved (more hours from the
  greedy start, new skills or agents from the plan's roster) and simulated with the plan's own random numbers:
  cross-train named agents whose own work is served above target (they are paid anyway), extra hours for
  part-time holders within their contracts, and hires of specialists in each short skill on the longest
  contract. Each is reported
  with its extra weekly pay and the simulated service level it buys; they are ranked per work type: those that
  bring it to target first, cheapest first, then the rest by the service level they reach.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from models import Center, Mode
from planner.roster import RosterResult, RosterSettings, solve_roster
from planner.roster.problem import RosterProblem, build_problem
from planner.simulation import SimulationResult, SimulationSettings, build_scenario, forecast_demand, simulate

__all__ = [
    "CROSS_TRAINED_PROFICIENCY",
    "Diagnosis",
    "DiagnosisSettings",
    "Remedy",
    "Shortfall",
    "diagnose",
]

#: Proficiency assumed for a newly trained skill or a new hire (slower than the experienced holders).
CROSS_TRAINED_PROFICIENCY = 0.8
#: Share of a cross-trained agent's paid hours assumed to go to the new skill, to size the remedy.
CROSS_TRAINED_SHARE = 1 / 3
#: Share of a hire's paid hours assumed to go to the short skills, to size the remedy.
HIRE_SHARE = 0.8
#: Share of the shortfall a relaxation must remove to be named the binding reason.
BINDING_SHARE = 0.25


@dataclass(frozen=True)
class DiagnosisSettings:
    """`tolerance`: a work type is short when simulated more than this below target; `time_limit_s`: each
    re-solve's limit; `replications`, `seed`: the simulation (the plan's: common random numbers); `remedies`: try
    them; `escalation`: larger sizes of each remedy, tried in turn while a short work type is unmet, until
    `budget_s`."""

    tolerance: float = 0.02
    time_limit_s: float = 10.0
    replications: int = 10
    seed: int = 0
    remedies: bool = True
    #: Sizes (times the first) at which each remedy is tried again while a work type is unmet.
    escalation: tuple[int, ...] = (2, 4)
    #: Seconds after which no larger remedy is tried (the first try of each always is); None: no limit.
    budget_s: float | None = 600.0


@dataclass(frozen=True)
class Shortfall:
    work_type: str
    skill: str
    priority: int
    target: float
    simulated: float
    agent_hours_short: float
    required_hours: float
    holders: list[str]
    holder_hours: float
    peak_required: int
    peak_at: str
    binding: str
    reason: str
    #: relaxation -> the skill's shortfall (agent-hours) in the same search on the unchanged centre, and after it
    relaxed: dict[str, tuple[float, float]]

    def removed(self, relaxation: str) -> float:
        """Share of the shortfall (of the same search) that `relaxation` removes."""
        same, after = self.relaxed.get(relaxation, (0.0, 0.0))
        return (same - after) / same if same > 0 else 0.0

    @property
    def contract_hours_help(self) -> bool:
        """The contract-hours relaxation removes a quarter or more of the shortfall."""
        return self.removed("contract hours") >= BINDING_SHARE

    def as_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "priority": self.priority,
            "target_service_level": self.target,
            "simulated_service_level": round(self.simulated, 4),
            "shortfall_agent_hours": round(self.agent_hours_short, 1),
            "required_agent_hours": round(self.required_hours, 1),
            "holders": len(self.holders),
            "holder_contract_hours": round(self.holder_hours, 1),
            "peak_required_agents": self.peak_required,
            "peak_at": self.peak_at,
            "binding": self.binding,
            "reason": self.reason,
            "shortfall_after_relaxing": {
                k: {"same_search": round(same, 1), "relaxed": round(after, 1)}
                for k, (same, after) in self.relaxed.items()
            },
        }


@dataclass(frozen=True)
class Remedy:
    kind: str  # cross-train, extra hours, hire
    work_types: list[str]
    description: str
    agents: list[str]
    extra_cost: float  # weekly pay over the plan's
    extra_paid_hours: float
    service_level: dict[str, float | None]  # simulated, per work type
    meets: dict[str, bool]  # per short work type: within tolerance of target

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "for": self.work_types,
            "description": self.description,
            "agents": self.agents,
            "extra_weekly_cost": round(self.extra_cost, 2),
            "extra_paid_hours": round(self.extra_paid_hours, 1),
            "simulated_service_level": {k: None if v is None else round(v, 4) for k, v in self.service_level.items()},
            "meets_target": self.meets,
        }


@dataclass
class Diagnosis:
    shortfalls: dict[str, Shortfall]
    remedies: list[Remedy] = field(default_factory=list)
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for work_type, short in self.shortfalls.items():
            out[work_type] = short.as_dict() | {"remedies": [r.as_dict() for r in self.ranked(work_type)]}
        return out

    def ranked(self, work_type: str) -> list[Remedy]:
        """The remedies for `work_type`, best first: those that bring it within tolerance of its target, cheapest
        first, then the others by the service level they reach."""
        remedies = [r for r in self.remedies if work_type in r.work_types]
        return sorted(
            remedies,
            key=lambda r: (
                not r.meets.get(work_type, False),
                r.extra_cost if r.meets.get(work_type, False) else 0.0,
                -(r.service_level.get(work_type) or 0.0),
            ),
        )


def short_work_types(simulation: SimulationResult, center: Center, tolerance: float) -> dict[str, float]:
    """Work types simulated more than `tolerance` below target (weekly): work type -> simulated level."""
    out = {}
    table = simulation.work_types
    for work_type, level, target in zip(
        table["work_type"].astype(str),
        table["service_level"].to_numpy(dtype=float),
        table["target_service_level"].to_numpy(dtype=float),
        strict=True,
    ):
        if not math.isnan(level) and level < target - tolerance:
            out[work_type] = float(level)
    ordered = sorted(out, key=lambda w: (center.work_type(w).priority, out[w]))
    return {w: out[w] for w in ordered}


def skill_short_hours(roster: RosterResult, skill: str, interval_minutes: int) -> float:
    coverage = roster.coverage
    return float(coverage.loc[coverage["skill"] == skill, "shortfall"].sum() * interval_minutes / 60)


def _rebuilt(center: Center, **changes: Any) -> Center:
    """The centre with `changes` (top-level fields), validated again (a copy would keep stale look-up caches)."""
    return Center.model_validate(center.model_dump() | changes)


def _with_skill(center: Center, agent_ids: set[str], skills: set[str], proficiency: float) -> Center:
    agents = []
    for agent in center.model_dump()["agents"]:
        if agent["id"] in agent_ids:
            held = {s["skill"] for s in agent["skills"]}
            agent["skills"] += [{"skill": s, "proficiency": proficiency} for s in sorted(skills - held)]
        agents.append(agent)
    return _rebuilt(center, agents=agents)


def _more_hours(center: Center, agent_ids: set[str], to_max: bool) -> Center:
    """The agents of `agent_ids` on copies of their contracts with more hours: `to_max`, the target at the
    contract's maximum (within the contract); otherwise the maximum +25% and one more working day (a relaxation)."""
    data = center.model_dump()
    contracts = {c["id"]: c for c in data["contracts"]}
    added: dict[str, dict[str, Any]] = {}
    for agent in data["agents"]:
        if agent["id"] not in agent_ids:
            continue
        base = contracts[agent["contract"]]
        new_id = f"{base['id']}_more"
        if new_id not in added:
            more = dict(base, id=new_id, name=f"{base.get('name') or base['id']} (more hours)")
            if to_max:
                more["target_paid_minutes_week"] = base["max_paid_minutes_week"]
            else:
                more["max_paid_minutes_week"] = min(7 * 24 * 60, int(base["max_paid_minutes_week"] * 1.25))
                more["max_working_days"] = min(7, base["max_working_days"] + 1)
                more["max_consecutive_days"] = max(base["max_consecutive_days"], more["max_working_days"])
            added[new_id] = more
        agent["contract"] = new_id
    return _rebuilt(center, contracts=data["contracts"] + list(added.values()), agents=data["agents"])


def _hired(
    center: Center, skills: list[str], contract: str, count: int, hourly_cost: float
) -> tuple[Center, list[str]]:
    data = center.model_dump()
    taken = {a["id"] for a in data["agents"]}
    ids: list[str] = []
    for n in range(1, 10_000):
        if len(ids) == count:
            break
        agent_id = f"hire{n:02d}"
        if agent_id in taken:
            continue
        ids.append(agent_id)
        data["agents"].append(
            {
                "id": agent_id,
                "name": f"New hire {n}",
                "skills": [{"skill": s, "proficiency": CROSS_TRAINED_PROFICIENCY} for s in skills],
                "contract": contract,
                "hourly_cost": hourly_cost,
            }
        )
    return _rebuilt(center, agents=data["agents"]), ids


#: How a what-if's roster search starts: from the plan's roster (its shifts kept where they fit, new agents
#: free: right for a change of skills or new hires) or from the greedy roster (right for more hours of the agents
#: already there, which the plan's fixed shifts would leave no room for in a short limit).
Start = Literal["plan", "greedy"]


@dataclass
class WhatIfs:
    """Re-solves of the plan's requirement on changed centres, each measured against the same search (the same
    start and limit) on the unchanged centre, and simulated with the plan's random numbers."""

    center: Center
    requirement: pd.DataFrame
    plan: RosterResult
    settings: RosterSettings
    simulate: Callable[[Center, RosterResult], SimulationResult]
    previous: pd.DataFrame | None = None
    pins: pd.DataFrame | None = None
    baselines: dict[str, RosterResult] = field(default_factory=dict)

    def solve(self, changed: Center, start: Start) -> RosterResult:
        hint = self.plan.roster if start == "plan" else None
        return solve_roster(self.requirement, changed, self.settings, previous=self.previous, pins=self.pins, hint=hint)

    def baseline(self, start: Start) -> RosterResult:
        if start not in self.baselines:
            self.baselines[start] = self.solve(self.center, start)
        return self.baselines[start]


def diagnose(
    center: Center,
    forecast: pd.DataFrame,
    requirement: pd.DataFrame,
    roster: RosterResult,
    simulation: SimulationResult,
    *,
    roster_settings: RosterSettings | None = None,
    settings: DiagnosisSettings | None = None,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
) -> Diagnosis:
    """The capacity diagnosis of a plan (its `requirement`, `roster` and `simulation` against `forecast`; the
    plan's `previous` roster and `pins` hold in every what-if) and, with `settings.remedies`, its remedies (module
    docstring)."""
    settings = settings or DiagnosisSettings()
    began = time.perf_counter()
    short = short_work_types(simulation, center, settings.tolerance)
    if not short:
        return Diagnosis({}, elapsed_s=time.perf_counter() - began)
    roster_settings = replace(roster_settings or RosterSettings(), time_limit_s=settings.time_limit_s)
    horizon = center.horizon_covering(forecast["interval_start"])
    demand = forecast_demand(forecast, center, horizon)
    sim_settings = SimulationSettings(replications=settings.replications, seed=settings.seed)
    minutes = center.interval_minutes

    def simulated(changed: Center, result: RosterResult) -> SimulationResult:
        return simulate(build_scenario(changed, result.roster, demand, horizon), sim_settings)

    what_ifs = WhatIfs(center, requirement, roster, roster_settings, simulated, previous, pins)
    skills = {w: center.work_type(w).skill for w in short}
    short_skills = set(skills.values())
    holders = {s: sorted(a.id for a in center.agents if s in a.skill_ids) for s in short_skills}
    all_holders = set().union(*holders.values())
    relaxations: dict[str, tuple[Start, Center]] = {
        "contract hours": ("greedy", _more_hours(center, all_holders, to_max=False)),
        "skill holders": (
            "plan",
            _with_skill(center, {a.id for a in center.agents}, short_skills, CROSS_TRAINED_PROFICIENCY),
        ),
    }
    relaxed = {name: (start, what_ifs.solve(changed, start)) for name, (start, changed) in relaxations.items()}
    problem = build_problem(requirement, center)
    capacity = Capacity.of(problem, roster)
    coverage = roster.coverage
    shortfalls = {}
    for work_type, level in short.items():
        skill = skills[work_type]
        before = skill_short_hours(roster, skill, minutes)
        after = {
            name: (
                skill_short_hours(what_ifs.baseline(start), skill, minutes),
                skill_short_hours(result, skill, minutes),
            )
            for name, (start, result) in relaxed.items()
        }
        of_skill = coverage[coverage["skill"] == skill]
        required_hours = float(of_skill["required"].sum() * minutes / 60)
        required = of_skill["required"].to_numpy(dtype=float)
        peak = int(np.argmax(required)) if required.size else -1
        peak_required = int(required[peak]) if peak >= 0 else 0
        peak_at = (
            str(pd.Timestamp(of_skill["interval_start"].iloc[peak]).tz_convert(center.timezone)) if peak >= 0 else ""
        )
        hours = sum(sum(w.max_paid for w in problem.week_limits(a)) for a in holders[skill]) / 60
        binding, reason = _binding(
            work_type,
            skill,
            before,
            after,
            len(holders[skill]),
            hours,
            required_hours,
            peak_required,
            peak_at,
            capacity,
            capacity.uncoverable_share(problem, roster, skill, holders[skill]),
        )
        shortfalls[work_type] = Shortfall(
            work_type=work_type,
            skill=skill,
            priority=center.work_type(work_type).priority,
            target=center.work_type(work_type).target.service_level,
            simulated=level,
            agent_hours_short=before,
            required_hours=required_hours,
            holders=holders[skill],
            holder_hours=hours,
            peak_required=peak_required,
            peak_at=peak_at,
            binding=binding,
            reason=reason,
            relaxed=after,
        )
    diagnosis = Diagnosis(shortfalls)
    if settings.remedies:
        deadline = None if settings.budget_s is None else began + settings.budget_s
        diagnosis.remedies = _remedies(
            center, roster, simulation, shortfalls, settings, what_ifs, list(short), diagnosis.notes, deadline
        )
    diagnosis.elapsed_s = time.perf_counter() - began
    return diagnosis


@dataclass(frozen=True)
class Capacity:
    """The whole centre's hours: what the plan's roster pays, and what the contracts allow in the horizon (leave
    charged), with the requirement's agent-hours (before breaks and shrinkage)."""

    agents: int
    paid_hours: float
    contract_hours: float
    required_hours: float

    @classmethod
    def of(cls, problem: RosterProblem, roster: RosterResult) -> Capacity:
        allowed = sum(sum(w.max_paid for w in problem.week_limits(a)) for a in problem.agents) / 60
        hours = problem.horizon.interval_minutes / 60
        required = float(problem.required.sum() * hours + problem.workload.sum() * hours)
        return cls(len(problem.agents), float(roster.kpis["paid_hours"]), allowed, required)

    @property
    def used(self) -> float:
        return self.paid_hours / self.contract_hours if self.contract_hours > 0 else 1.0

    @staticmethod
    def uncoverable_share(problem: RosterProblem, roster: RosterResult, skill: str, holders: list[str]) -> float:
        """Share of the skill's shortfall (agent-intervals) in intervals that no shift option of a holder covers
        (opening hours, availability, templates)."""
        reach = np.zeros(len(problem.horizon.intervals), dtype=bool)
        shapes = problem.shapes
        for agent_id in holders:
            for k in problem.options[agent_id].shapes:
                reach[int(shapes.first[k]) : int(shapes.first[k] + shapes.count[k])] = True
        coverage = roster.coverage[roster.coverage["skill"] == skill]
        index = np.searchsorted(problem.horizon.intervals.asi8, pd.DatetimeIndex(coverage["interval_start"]).asi8)
        short = coverage["shortfall"].to_numpy(dtype=float)
        total = short.sum()
        return float(short[~reach[np.minimum(index, len(reach) - 1)]].sum() / total) if total > 0 else 0.0


def _binding(
    work_type: str,
    skill: str,
    before: float,
    after: dict[str, tuple[float, float]],
    holders: int,
    hours: float,
    required: float,
    peak: int,
    peak_at: str,
    capacity: Capacity,
    uncoverable: float,
) -> tuple[str, str]:
    """The binding reason: the relaxations that remove a quarter or more of the skill's shortfall (against the same
    search on the unchanged centre), the most first; otherwise what the model's data show."""
    removed = {name: (same - value) / same if same > 0 else 0.0 for name, (same, value) in after.items()}
    binding = sorted((n for n in removed if removed[n] >= BINDING_SHARE), key=lambda n: -removed[n])
    if binding:
        texts = []
        for name in binding:
            same, value = after[name]
            if name == "skill holders":
                texts.append(
                    f"only {holders} agents hold skill '{skill}' and they cannot cover its {required:.0f} agent-hours "
                    f"where needed: with the skill held by every agent the shortfall falls from {same:.0f} to "
                    f"{value:.0f} agent-hours"
                )
            else:
                texts.append(
                    f"the contract hours of the {holders} agents holding '{skill}' ({hours:.0f} h in the horizon, "
                    f"leave charged) bind: with 25% more the shortfall falls from {same:.0f} to {value:.0f} "
                    "agent-hours"
                )
        return " and ".join(binding), "; and ".join(texts)
    if before > 0 and uncoverable >= 0.5:
        return "opening hours", (
            f"{100 * uncoverable:.0f}% of the {before:.0f} agent-hours short of '{skill}' fall where no shift of its "
            "holders can be (opening hours, availability and shift templates)"
        )
    if before > 0 and capacity.used >= 0.95:
        return "headcount", (
            f"the centre's {capacity.agents} agents are paid {capacity.paid_hours:,.0f} of the "
            f"{capacity.contract_hours:,.0f} hours their contracts allow (leave charged), and the requirement asks "
            f"for {capacity.required_hours:,.0f} agent-hours before breaks and shrinkage: neither more hours for the "
            "holders nor the skill for everyone frees enough time"
        )
    if before > 0 and peak > holders:
        return "forecast peak", (
            f"the forecast's peak needs {peak} agents on '{skill}' at {peak_at}, more than the {holders} who hold it"
        )
    if before > 0:
        return "roster search", (
            f"neither more hours nor more holders remove the {before:.0f} agent-hours short of '{skill}', and agents "
            "could be there: a longer time limit may find a better roster"
        )
    return "service at the staffed level", (
        f"the roster staffs every interval of '{skill}' as the calibrated requirement asks, yet the simulation "
        f"serves {work_type} below target: the requirement's calibration ran out of time or iterations"
    )


def _remedies(
    center: Center,
    roster: RosterResult,
    simulation: SimulationResult,
    shortfalls: dict[str, Shortfall],
    settings: DiagnosisSettings,
    what_ifs: WhatIfs,
    short: list[str],
    notes: list[str],
    deadline: float | None,
) -> list[Remedy]:
    paid = roster.roster.groupby("agent_id")["paid_minutes"].sum() / 60 if not roster.roster.empty else pd.Series()
    levels = dict(zip(simulation.work_types["work_type"], simulation.work_types["service_level"], strict=True))
    served_above = {
        w.id
        for w in center.work_types
        if w.mode is Mode.REALTIME and float(levels.get(w.id, math.nan)) >= w.target.service_level + 0.05
    }
    served_above |= {w.id for w in center.work_types if w.mode is Mode.DEFERRED}
    skill_served_above = {
        s.id for s in center.skills if all(w.id in served_above for w in center.work_types if w.skill == s.id)
    }
    out: list[Remedy] = []

    def evaluate(kind: str, description: str, agents: list[str], changed: Center, start: Start) -> Remedy:
        result = what_ifs.solve(changed, start)
        baseline = what_ifs.baseline(start)
        sim = what_ifs.simulate(changed, result)
        got = {w: mean for w, (mean, _, _) in sim.service_levels().items()}
        meets = {w: (got[w] or 0.0) >= center.work_type(w).target.service_level - settings.tolerance for w in short}
        remedy = Remedy(
            kind=kind,
            work_types=short,
            description=description,
            agents=agents,
            extra_cost=float(result.kpis["paid_cost"]) - float(baseline.kpis["paid_cost"]),
            extra_paid_hours=float(result.kpis["paid_hours"]) - float(baseline.kpis["paid_hours"]),
            service_level=got,
            meets=meets,
        )
        out.append(remedy)
        return remedy

    def cross_train(scale: int) -> Remedy | None:
        """Agents whose every skill is served above target, most hours first, per short skill."""
        trained: dict[str, list[str]] = {}
        taken: set[str] = set()
        for work_type in short:
            need = shortfalls[work_type]
            if need.skill in trained:
                continue
            candidates = [
                a
                for a in center.agents
                if need.skill not in a.skill_ids and a.skill_ids <= skill_served_above and a.id not in taken
            ]
            # Most like the holders first (the skills they share with the holders: billing agents for a skill held
            # by billing + retention agents), then the most hours.
            near = Counter(s for a in center.agents if need.skill in a.skill_ids for s in a.skill_ids - {need.skill})
            candidates.sort(key=lambda a: (-sum(near[s] for s in a.skill_ids), -float(paid.get(a.id, 0.0)), a.id))
            # Enough of them, at a share of their hours, to cover the shortfall.
            chosen: list[str] = []
            covered = 0.0
            for candidate in candidates:
                if covered >= scale * need.agent_hours_short and chosen:
                    break
                chosen.append(candidate.id)
                covered += CROSS_TRAINED_SHARE * float(paid.get(candidate.id, 0.0))
            taken |= set(chosen)
            if chosen:
                trained[need.skill] = chosen
        if not trained:
            notes.append("cross-training: no agent outside the short skills has all its work served above target")
            return None
        changed = center
        for skill, agent_ids in trained.items():
            changed = _with_skill(changed, set(agent_ids), {skill}, CROSS_TRAINED_PROFICIENCY)
        description = "; ".join(
            f"cross-train {len(ids)} agents in '{skill}' ({', '.join(ids)}), at proficiency "
            f"{CROSS_TRAINED_PROFICIENCY:g} to start"
            for skill, ids in trained.items()
        )
        if any(r.kind == "cross-train" and r.agents == sorted(taken) for r in out):
            notes.append("cross-training: no more agents whose own work is served above target")
            return None  # the candidates ran out: the same agents as a smaller try
        return evaluate("cross-train", description, sorted(taken), changed, "plan")

    def hire(scale: int) -> Remedy:
        """Per short skill, specialists in it on the longest (and most common) contract, enough that `HIRE_SHARE` of
        such an agent's hours covers the skill's shortfall (a specialist's hours all go to the skill, where an agent
        of the holders' profile would share them with the holders' other, better served, work)."""
        full_time = max(
            center.contracts, key=lambda c: (c.max_paid_minutes_week, sum(a.contract == c.id for a in center.agents))
        )
        # The hours an agent on that contract works in this roster's horizon (its maximum where none works).
        worked = [float(paid.get(a.id, 0.0)) for a in center.agents if a.contract == full_time.id]
        each = max(worked, default=0.0) or full_time.max_paid_minutes_week / 60
        cost = float(np.median([a.hourly_cost for a in center.agents]))
        changed, hired, parts = center, [], []
        by_skill: dict[str, float] = {}
        for w in short:
            by_skill[shortfalls[w].skill] = max(by_skill.get(shortfalls[w].skill, 0.0), shortfalls[w].agent_hours_short)
        for skill, hours in by_skill.items():
            count = scale * max(1, math.ceil(hours / (HIRE_SHARE * each)))
            changed, ids = _hired(changed, [skill], full_time.id, count, cost)
            hired += ids
            parts.append(f"{count} for '{skill}' ({', '.join(ids)})")
        description = (
            f"hire {len(hired)} agent(s) on contract '{full_time.id}': {'; '.join(parts)}, at proficiency "
            f"{CROSS_TRAINED_PROFICIENCY:g} to start"
        )
        return evaluate("hire", description, hired, changed, "plan")

    def extra_hours() -> Remedy | None:
        """Part-time holders below their contract's maximum, offered it (within the contract); only where the
        contract-hours relaxation showed that more hours of the holders reduce the shortfall."""
        helps = [w for w in short if shortfalls[w].contract_hours_help]
        if not helps:
            notes.append(
                "extra hours for part-timers: not tried, more contract hours of the holders do not reduce the "
                "shortfall (the contract-hours relaxation)"
            )
            return None
        longest = max(c.max_paid_minutes_week for c in center.contracts)
        spare = sorted(
            {
                a
                for w in helps
                for a in shortfalls[w].holders
                if float(paid.get(a, 0.0)) * 60 < center.contract_of(center.agent(a)).max_paid_minutes_week - 60
                and center.contract_of(center.agent(a)).max_paid_minutes_week < longest
            }
        )
        if not spare:
            notes.append("extra hours for part-timers: every part-time holder already works the contract's maximum")
            return None
        description = f"offer {len(spare)} part-time holders their contract's maximum hours ({', '.join(spare)})"
        return evaluate("extra hours", description, spare, _more_hours(center, set(spare), to_max=True), "greedy")

    tried: dict[str, Callable[[int], Remedy | None]] = {"cross-train": cross_train, "hire": hire}
    for make in tried.values():
        make(1)
    extra_hours()

    # A work type no remedy brings to its target itself (not only within the tolerance, where the next week's
    # noise can tip it back): each remedy again, twice and then four times as large. The roster's
    # shortfall sizes the first try; the simulation can ask for more (agents drift to other queues, new holders
    # are slower), and only the simulation says how much.
    def reaches(r: Remedy, w: str) -> bool:
        return (r.service_level.get(w) or 0.0) >= center.work_type(w).target.service_level

    for scale in settings.escalation:
        unmet = [w for w in short if not any(reaches(r, w) for r in out)]
        if not unmet:
            break
        # Each kind, the one whose last try came closest first.
        latest = {r.kind: r for r in out if r.kind in tried}
        for kind in sorted(latest, key=lambda k: -sum(latest[k].service_level.get(w) or 0.0 for w in unmet)):
            if deadline is not None and time.perf_counter() > deadline:
                notes.append(
                    f"larger remedies (x{scale}) not tried: the diagnosis' time budget ({settings.budget_s:g} s) "
                    "is spent"
                )
                return out
            if all(any(reaches(r, w) for r in out) for w in unmet):
                break
            tried[kind](scale)
    return out
