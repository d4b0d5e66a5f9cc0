"""Demo centres, the synthetic generator and (later) what-if scenarios."""

from scenarios.demo import DemoReport, run_demo
from scenarios.generator import GeneratorSettings, Scenario, generate, write_scenario

__all__ = ["DemoReport", "GeneratorSettings", "Scenario", "generate", "run_demo", "write_scenario"]
