"""Discrete-event simulation of the centre (SimPy): what a roster and a routing policy really achieve, per interval
and work type, with confidence intervals over replications."""

from planner.simulation.contract import (
    Contacts,
    Dispatch,
    Replan,
    ReplanningPolicy,
    Routing,
    RoutingPolicy,
    Snapshot,
)
from planner.simulation.engine import Outcome, draw_contacts, run_replication
from planner.simulation.policies import PlannedAssignment, PriorityFirst, ReplanningAssignment
from planner.simulation.results import SimulationResult, contact_outcomes, service_rates, summarise
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
    "Dispatch",
    "Draws",
    "Outcome",
    "PlannedAssignment",
    "PriorityFirst",
    "Replan",
    "ReplanningAssignment",
    "ReplanningPolicy",
    "Routing",
    "RoutingPolicy",
    "Scenario",
    "SimulationResult",
    "SimulationSettings",
    "Snapshot",
    "WorkTypeSpec",
    "build_scenario",
    "contact_outcomes",
    "draw_contacts",
    "forecast_demand",
    "replay_demand",
    "run_replication",
    "service_rates",
    "simulate",
    "summarise",
]
