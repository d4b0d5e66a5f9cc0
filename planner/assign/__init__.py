"""Ticket-to-agent assignment: who handles which open ticket, and when, so that SLA deadlines are met, highest
priorities first (a CP-SAT model), beside the dispatch rules in use today (FIFO round-robin, priority-first
least-loaded), all reported the same way."""

from planner.assign.heuristics import HEURISTICS, Plan, earliest_finish, fifo_round_robin, priority_least_loaded
from planner.assign.model import TERMS, AssignModel, AssignWeights, capacity_free_bound, evaluate
from planner.assign.problem import AssignAgent, AssignProblem, Option, Ticket, build_assign_problem
from planner.assign.solver import METHODS, AssignResult, AssignSettings, assign, assignment_table

__all__ = [
    "HEURISTICS",
    "METHODS",
    "TERMS",
    "AssignAgent",
    "AssignModel",
    "AssignProblem",
    "AssignResult",
    "AssignSettings",
    "AssignWeights",
    "Option",
    "Plan",
    "Ticket",
    "assign",
    "assignment_table",
    "build_assign_problem",
    "capacity_free_bound",
    "earliest_finish",
    "evaluate",
    "fifo_round_robin",
    "priority_least_loaded",
]
