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
    InProgress,
    Scenario,
    SimulationState,
    WaitingContact,
    WorkTypeSpec,
    build_scenario,
    forecast_demand,
    replay_demand,
)
from planner.simulation.state import MAX_REALTIME_WAIT_S, state_from_history

__all__ = [
    "DEFAULT_REPLICATIONS",
    "MAX_REALTIME_WAIT_S",
    "AgentSpec",
    "Contacts",
    "Demand",
    "Dispatch",
    "Draws",
    "InProgress",
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
    "SimulationState",
    "Snapshot",
    "WaitingContact",
    "WorkTypeSpec",
    "build_scenario",
    "contact_outcomes",
    "draw_contacts",
    "forecast_demand",
    "replay_demand",
    "run_replication",
    "service_rates",
    "simulate",
    "state_from_history",
    "summarise",
]
