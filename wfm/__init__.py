"""The `wfm` application: the command line on top of scenarios, planner, forecasting and models."""

import time

#: When the command started (`time.monotonic()`), before the heavy imports: `--time-limit` counts from here.
STARTED = time.monotonic()
