"""The exit codes of `wfm`, one enumeration (as httpie's `status.py`): every `typer.Exit`, every exit of the
process and every test reads them from here."""

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0
    #: A bug, or an error of the planner that is not the input's (e.g. a roster that fails its own re-check); a
    #: scenario sweep with a failed variant.
    INTERNAL_ERROR = 1
    #: Bad input: the message names the file, row, field and what to do; nothing is written.
    BAD_INPUT = 2
    #: `wfm check-roster`: the roster breaks at least one rule of docs/roster.md.
    ROSTER_BREAKS_RULES = 3
    #: Stopped by Ctrl-C (128 + SIGINT, as shells report it).
    INTERRUPTED = 130
