"""The `wfm` application: the command line on top of scenarios, planner, forecasting and models."""
