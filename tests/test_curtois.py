"""The Curtois & Qu benchmark: the strict instance reader, the independent scorer on a hand-made instance (each
hard rule broken once), the CP-SAT model against the scorer, and the model's optimum on Instance1 against the
published one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from benchmarks import curtois, curtois_score
from benchmarks.curtois_format import FormatError, Instance, read_instance
from tests.shared_data import shared_data

#: Two employees, one week (days 5 and 6 are the weekend). L may not be followed by E the next day; B may not work
#: L, has day 0 off and no weekend.
TINY = """\
# a hand-made instance
SECTION_HORIZON
7

SECTION_SHIFTS
E,480,
L,480,E

SECTION_STAFF
A,E=7|L=7,1920,960,3,2,2,1
B,E=7|L=0,2400,0,3,2,2,0

SECTION_DAYS_OFF
B,0

SECTION_SHIFT_ON_REQUESTS
A,0,E,2
B,3,E,3
B,6,L,9

SECTION_SHIFT_OFF_REQUESTS
A,1,L,4
A,2,E,4

SECTION_COVER
0,E,1,100,1
1,E,2,100,1
1,L,1,50,5
2,E,0,100,7
"""

#: A works E on days 0-2, B works E on days 3-4: every hard rule holds.
BASE = [("A", 0, "E"), ("A", 1, "E"), ("A", 2, "E"), ("B", 3, "E"), ("B", 4, "E")]
#: By hand: B's on request of L on day 6 is not met (9); A works E on day 2 against an off request (4); day 1 has
#: one E short of two (100) and no L for one (50); day 2 has one E over none (7). A's and B's other requests are
#: met. 9 + 4 + 100 + 50 + 7 = 170.
BASE_PARTS = {"shift_on_requests": 9, "shift_off_requests": 4, "cover": 157}

#: Each hard rule broken once, and nothing else: the rows to drop from BASE and to add, and the rule.
BROKEN = {
    "one shift a day": ([], [("A", 2, "L")]),
    "shift rotation": ([("A", 1, "E")], [("A", 1, "L")]),
    "max shifts": ([("B", 4, "E")], [("B", 4, "L")]),
    "max total minutes": ([], [("A", 5, "E"), ("A", 6, "E")]),
    "min total minutes": ([("A", 1, "E"), ("A", 2, "E")], []),
    "max consecutive shifts": ([], [("A", 3, "E")]),
    "min consecutive shifts": ([("B", 4, "E")], []),
    "min consecutive days off": ([("A", 2, "E")], [("A", 3, "E"), ("A", 4, "E")]),
    "max weekends": ([("B", 3, "E"), ("B", 4, "E")], [("B", 5, "E"), ("B", 6, "E")]),
    "days off": ([], [("B", 0, "E")]),
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "Tiny.txt"
    path.write_text(TINY, encoding="utf-8")
    return path


def _mutate(drop: list[tuple[str, int, str]], add: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    return [row for row in BASE if row not in drop] + add


# --- the reader ----------------------------------------------------------------------------------------------


def test_reader_reads_every_section(tiny: Path) -> None:
    instance = read_instance(tiny)
    assert instance.horizon == 7
    assert instance.shifts[1].cannot_follow == ("E",)
    assert instance.staff[1].max_shifts == {"E": 7, "L": 0}
    assert instance.staff[0].min_total_minutes == 960
    assert instance.days_off == {"B": frozenset({0})}
    assert [r.weight for r in instance.on_requests] == [2, 3, 9]
    assert instance.cover[2].weight_under == 50 and instance.cover[2].weight_over == 5


BAD_LINES = {
    "unknown section": ("SECTION_COVER", "SECTION_COVERS", "line 25", "unknown section"),
    "wrong field count": ("A,0,E,2", "A,0,E", "line 17", "3 fields, expected 4"),
    "non-integer": ("0,E,1,100,1", "0,E,one,100,1", "line 26", "field 3 (requirement)"),
    "unknown shift": ("B,6,L,9", "B,6,N,9", "line 19", "field 3 (shift) is unknown 'N'"),
    "unknown employee": ("B,0\n", "C,0\n", "line 14", "field 1 (employee) is unknown 'C'"),
    "day outside the horizon": ("A,1,L,4", "A,7,L,4", "line 22", "field 2 (day) is 7, outside the horizon"),
    "unknown shift in max shifts": ("E=7|L=0", "E=7|N=0", "line 11", "field 2 (max shifts)"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_reader_rejects_a_malformed_line_naming_file_line_and_field(case: str, tmp_path: Path) -> None:
    good, bad, line, what = BAD_LINES[case]
    assert TINY.count(good) == 1
    path = tmp_path / "Bad.txt"
    path.write_text(TINY.replace(good, bad), encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read_instance(path)
    assert str(path) in str(error.value) and line in str(error.value) and what in str(error.value)


def test_cli_exits_2_on_a_malformed_instance_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Bad.txt"
    path.write_text(TINY.replace("A,0,E,2", "A,0,E,two"), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert curtois.main(["--instance", str(path), "--time-limit", "1", "--solution-out", str(out)]) == 2
    assert "line 17" in capsys.readouterr().err and not out.exists()
    assert curtois_score.main(["--instance", str(path), "--solution", str(out)]) == 2


# --- the scorer -------------------------------------------------------------------------------------------------


def test_scorer_gives_the_hand_computed_objective(tiny: Path) -> None:
    result = curtois_score.score(read_instance(tiny), BASE)
    assert result.violations == []
    assert result.parts == BASE_PARTS
    assert result.objective == 170


@pytest.mark.parametrize("rule", list(BROKEN))
def test_scorer_finds_each_hard_rule_broken(rule: str, tiny: Path) -> None:
    result = curtois_score.score(read_instance(tiny), _mutate(*BROKEN[rule]))
    assert [v.split(":")[0] for v in result.violations] == [rule]


def test_scorer_exempts_runs_touching_the_horizon_from_the_minimums(tiny: Path) -> None:
    """A rests on day 0 alone (a one-day rest at the start) and works day 6 alone (a one-day run at the end):
    neither is bound by the minimum of two; the model agrees."""
    instance = read_instance(tiny)
    rows = [("A", 1, "E"), ("A", 2, "E"), ("A", 6, "E")]
    assert curtois_score.score(instance, rows).violations == []
    assert _fixed(instance, rows)[0] == cp_model.OPTIMAL


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


BAD_ROWS = {
    "header": ([["who", "day", "shift"]], "row 1"),
    "fields": ([["employee", "day", "shift"], ["A", "0"]], "row 2"),
    "employee": ([["employee", "day", "shift"], ["A", "0", "E"], ["Z", "1", "E"]], "row 3, field employee"),
    "day": ([["employee", "day", "shift"], ["A", "x", "E"]], "row 2, field day"),
    "horizon": ([["employee", "day", "shift"], ["A", "7", "E"]], "row 2, field day"),
    "shift": ([["employee", "day", "shift"], ["A", "0", "N"]], "row 2, field shift"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_solution_reader_rejects_malformed_rows_with_exit_2(
    case: str, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, where = BAD_ROWS[case]
    solution = _write(tmp_path / "sol.csv", rows)
    assert curtois_score.main(["--instance", str(tiny), "--solution", str(solution)]) == 2
    error = capsys.readouterr().err
    assert str(solution) in error and where in error


def test_scorer_cli_exits_1_on_a_hard_violation_and_0_without(tiny: Path, tmp_path: Path) -> None:
    header = [["employee", "day", "shift"]]
    good = _write(tmp_path / "good.csv", header + [[e, str(d), s] for e, d, s in BASE])
    bad = _write(tmp_path / "bad.csv", header + [[e, str(d), s] for e, d, s in _mutate(*BROKEN["days off"])])
    assert curtois_score.main(["--instance", str(tiny), "--solution", str(good)]) == 0
    assert curtois_score.main(["--instance", str(tiny), "--solution", str(bad)]) == 1


# --- the model --------------------------------------------------------------------------------------------------


def _fixed(instance: Instance, rows: list[tuple[str, int, str]]) -> tuple[cp_model.CpSolverStatus, float]:
    """The model with every cell fixed to `rows`: its status and objective."""
    model = curtois.CurtoisModel(instance)
    people = {p.id: e for e, p in enumerate(instance.staff)}
    wanted = {(people[e], d, model.shift_index[s]) for e, d, s in rows}
    if wanted - set(model.x):  # a row the model has no variable for (a day off, a shift never allowed)
        return cp_model.INFEASIBLE, 0.0
    for key, var in model.x.items():
        model.model.add(var == int(key in wanted))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.solve(model.model)
    return status, solver.objective_value if status == cp_model.OPTIMAL else 0.0


def test_model_prices_a_solution_as_the_scorer_does(tiny: Path) -> None:
    assert _fixed(read_instance(tiny), BASE) == (cp_model.OPTIMAL, 170)


@pytest.mark.parametrize("rule", list(BROKEN))
def test_model_forbids_each_hard_rule_the_scorer_checks(rule: str, tiny: Path) -> None:
    status, _ = _fixed(read_instance(tiny), _mutate(*BROKEN[rule]))
    assert status == cp_model.INFEASIBLE


@pytest.mark.parametrize("lns", [True, False])
def test_model_optimum_on_the_tiny_instance_is_a_feasible_solution_the_scorer_agrees_with(
    lns: bool, tiny: Path
) -> None:
    instance = read_instance(tiny)
    result = curtois.solve(instance, curtois.LnsSettings(time_limit_s=5, workers=1, lns=lns))
    checked = curtois_score.score(instance, result.assignments)
    assert checked.violations == []
    assert checked.objective == result.objective <= 170


def test_model_proves_the_published_optimum_of_instance1() -> None:
    """Curtois & Qu (2014) and best_known.csv: Instance1's proven optimum is 607. The whole model, solved to
    optimality, must reach exactly it (a model missing a rule would go below, one with an extra rule above)."""
    instance = read_instance(shared_data("curtois", "instances", "Instance1.txt"))
    model = curtois.CurtoisModel(instance)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.linearization_level = curtois.LINEARIZATION
    solver.parameters.max_time_in_seconds = 120
    assert solver.solve(model.model) == cp_model.OPTIMAL
    assert solver.objective_value == 607
    checked = curtois_score.score(instance, model.assignments(list(solver.response_proto.solution)))
    assert (checked.objective, checked.violations) == (607, [])


def test_cli_writes_the_solution_csv_and_the_scorer_agrees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_data("curtois", "instances", "Instance1.txt")
    out = tmp_path / "Instance1.csv"
    assert curtois.main(["--instance", str(path), "--time-limit", "3", "--solution-out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "optimum: 607" in printed
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    instance = read_instance(path)
    assert rows[0] == ["employee", "day", "shift"]
    assert all(e in instance.staff_ids and 0 <= int(d) < 14 and s in instance.shift_ids for e, d, s in rows[1:])
    assert len({(e, d) for e, d, _ in rows[1:]}) == len(rows) - 1
    objective = int(next(line for line in printed.splitlines() if line.strip().startswith("objective:")).split()[-1])
    assert curtois_score.main(["--instance", str(path), "--solution", str(out)]) == 0
    assert f"objective {objective} " in capsys.readouterr().out
