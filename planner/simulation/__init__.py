"""Discrete-event simulation of the centre (SimPy): what a roster and a routing policy really achieve, per interval
and work type, with confidence intervals over replications."""

from planner.simulation.engine import Contacts, Outcome, draw_contacts, run_replication
from planner.simulation.policies import PlannedAssignment, PriorityFirst, ReplanningAssignment, Routing, RoutingPolicy
from planner.simulation.results import SimulationResult, summarise
from planner.simulation.run import DEFAULT_REPLICATIONS, SimulationSettings, simulate
from planner.simulation.scenario import (
    AgentSpec,
    Demand,
    Draws,
    Scenario,
    WorkTypeSpec,
    build_scenario,
    forecast_demand,
    replay_demand,
)

__all__ = [
    "DEFAULT_REPLICATIONS",
    "AgentSpec",
    "Contacts",
    "Demand",
    "Draws",
    "Outcome",
    "PlannedAssignment",
    "PriorityFirst",
    "ReplanningAssignment",
    "Routing",
    "RoutingPolicy",
    "Scenario",
    "SimulationResult",
    "SimulationSettings",
    "WorkTypeSpec",
    "build_scenario",
    "draw_contacts",
    "forecast_demand",
    "replay_demand",
    "run_replication",
    "simulate",
    "summarise",
]
