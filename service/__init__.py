"""The planning service: the plan store (this stage), then the REST API, jobs and pages that call the same jobs as
the command line (docs/service.md)."""
