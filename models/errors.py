"""The project's one exception tree.

```
PlannerError                 anything the planner raises on purpose
 +-- InputError              bad input: a file, a row, a field, and what to do     -> CLI exit code 2
 |    +-- ConfigError        the centre configuration (YAML or models) is wrong    -> CLI exit code 2
 +-- SolverError             a solver failed in a way that is not the input's fault -> CLI exit code 1
```

An `InputError` carries one or more `Problem`s so that a user sees every mistake in a file at once, each
with the place it was found (``row 17 (line 18), column 'created_at'`` or ``agents[3].skills[0]``) and the
fix. Non-fatal findings (an agent skill no work type uses) are `InputWarning`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "InputError",
    "InputWarning",
    "PlannerError",
    "Problem",
    "SolverError",
]

#: How many problems an error message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and what to do about it."""

    where: str
    what: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}. Fix: {self.fix}" if self.fix else text


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""


class InputError(PlannerError):
    """An input file or value is unusable. Names the source, the place and the fix."""

    def __init__(self, source: str, problems: Problem | Sequence[Problem]) -> None:
        self.source = source
        self.problems: tuple[Problem, ...] = (problems,) if isinstance(problems, Problem) else tuple(problems)
        if not self.problems:
            raise ValueError("an InputError needs at least one problem")
        super().__init__(self._message())

    def _message(self) -> str:
        shown = self.problems[:MAX_LISTED_PROBLEMS]
        lines = [f"{self.source}: {p}" for p in shown]
        hidden = len(self.problems) - len(shown)
        if hidden:
            lines.append(f"{self.source}: ... and {hidden} more problem(s) of the same kinds")
        return "\n".join(lines)

    @classmethod
    def collect(cls, source: str, problems: Iterable[Problem]) -> None:
        """Raise one error listing `problems`, if there are any."""
        listed = list(problems)
        if listed:
            raise cls(source, listed)


class ConfigError(InputError):
    """The centre configuration is wrong (unknown reference, impossible contract, bad template...)."""


class SolverError(PlannerError):
    """A solver failed for a reason that is not the input's fault (a bug, a crashed backend)."""


class InputWarning(UserWarning):
    """Something in the input is suspicious but usable, e.g. a skill that no work type requires."""
