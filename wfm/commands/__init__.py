"""The `wfm` commands, a module per group: each command parses its options (`wfm.options`), calls one job under
`wfm.core.run`, and prints its result (`wfm.render`). `wfm.cli` registers them on the application."""
