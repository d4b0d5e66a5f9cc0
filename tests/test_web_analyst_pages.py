"""The analyst's pages through the test client: who may open them, the form's scenario set queued with the API's
parameters (its variants and grid as a scenario file would give them), bad input shown with its line and field
(422, nothing queued), the CSRF check, and a finished run's comparison (frontier, work types, differences from the
base) drawn from hand-made variant results whose expected marks are worked out in the tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from service.app import create_app
from service.store import Job, JobFile, Store, open_store
from tests.test_service_jobs import jobs_stored
from tests.test_service_kinds import Centre, three_weeks_of_calls


@pytest.fixture
def centre(client: TestClient, store: Store, tmp_path: Path) -> Centre:
    """The tiny centre on each kind of store (the tests where what is stored or queued matters)."""
    return Centre(client, store, tmp_path)


@pytest.fixture
def shown(tmp_path: Path) -> Iterator[tuple[Centre, Store]]:
    """The tiny centre on a SQLite store only, and the store (the tests of what the pages show)."""
    store = open_store(f"sqlite:///{tmp_path / 'wfm.db'}")
    try:
        with TestClient(create_app(store)) as client:
            yield Centre(client, store, tmp_path), store
    finally:
        store.close()


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def sign_in(client: TestClient, headers: dict[str, str]) -> str:
    """Sign the user of `headers` in (the session cookie kept by the client); their CSRF token."""
    client.cookies.clear()
    response = client.post("/signin", data={"token": token_of(headers)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/me")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def form(csrf: str, base: str, **changes: Any) -> dict[str, Any]:
    """The form as the page sends it: two variants (volume +10%, 2 added like a, target 90/20, plan on p90) and
    a grid row, on `base`."""
    data: dict[str, Any] = {
        "csrf": csrf,
        "mode": "form",
        "center_id": "1",
        "base": base,
        "start": "2026-06-01",
        "days": "2",
        "time_limit_s": "2.5",
        "max_iterations": "1",
        "replications": "3",
        "seed": "7",
        "workers": "1",
        "v_name": ["volume +10%", "two more, 90/20", ""],
        "v_volume": ["1.1", "", ""],
        "v_aht": ["", "1.05", ""],
        "v_remove": ["", "", ""],
        "v_add_like": ["", "a", ""],
        "v_add_count": ["", "2", ""],
        "v_target_work_type": ["", "calls", ""],
        "v_target_level": ["", "90", ""],
        "v_target_within": ["", "20", ""],
        "v_plan_on": ["", "p90", ""],
        "grid_path": ["volume.all", ""],
        "grid_values": ["0.9, 1.0,1.2", ""],
        "action": "run",
    }
    return data | changes


def queued_params(store: Store, job_id: str) -> dict[str, Any]:
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.kind == "scenarios"
        return dict(job.params)


def test_a_viewer_is_refused_and_a_planner_sees_the_runs_without_the_form(shown: tuple[Centre, Store]) -> None:
    centre, _ = shown
    client = centre.client
    sign_in(client, centre.viewer)
    refused = client.get("/analyst")
    assert refused.status_code == 403 and "it is for: analyst, planner" in refused.text
    sign_in(client, centre.planner)
    page = client.get("/analyst")
    assert page.status_code == 200 and "Only an analyst runs scenario sets" in page.text
    assert "Run the scenario set" not in page.text
    sign_in(client, centre.analyst)
    page = client.get("/analyst")
    assert "Run the scenario set" in page.text and "No scenario run yet" in page.text


def test_the_form_queues_the_scenario_file_it_describes_with_the_apis_parameters(centre: Centre, store: Store) -> None:
    history = centre.upload_table("histories", three_weeks_of_calls(), "history.csv")
    csrf = sign_in(centre.client, centre.analyst)
    blank = centre.client.get("/analyst").text  # the start: the day after the history's last (London) day
    assert 'id="f-start" name="start" value="2026-06-01"' in blank and "2026-05-11 to 2026-05-31" in blank
    choices = centre.client.get("/analyst/bases", params={"center_id": centre.id, "form": "y"})
    assert f'<option value="history:{history}"' in choices.text and 'id="y-base"' in choices.text
    response = centre.client.post(
        "/analyst/runs", data=form(csrf, f"history:{history}", center_id=str(centre.id)), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].removeprefix("/analyst/runs/")
    params = queued_params(store, job_id)
    assert (params["history_id"], params["forecast_id"], params["workers"]) == (history, None, 1)
    assert params["variants"] == 1 + 2 + 3 - 1  # the grid's volume.all=1 is the base
    assert yaml.safe_load(params["spec_yaml"]) == {
        "base": {"start": "2026-06-01", "days": 2},
        "roster": {"time_limit_s": 2.5},
        "loop": {"max_iterations": 1},
        "simulation": {"replications": 3, "seed": 7},
        "variants": [
            {"name": "volume +10%", "volume": {"all": 1.1}},
            {
                "name": "two more, 90/20",
                "aht": {"all": 1.05},
                "headcount": {"add": [{"like": "a", "count": 2}]},
                "targets": {"calls": {"service_level": 0.9, "within_s": 20}},
                "plan_on": "p90",
            },
        ],
        "grid": {"volume.all": [0.9, 1.0, 1.2]},
    }
    runs = centre.client.get("/analyst").text
    assert f"/analyst/runs/{job_id}" in runs and "ann" in runs
    page = centre.client.get(f"/analyst/runs/{job_id}")
    assert page.status_code == 200 and "two more, 90/20" in page.text  # the scenario file, shown
    stopped = centre.client.post(f"/analyst/runs/{job_id}/cancel", data={"csrf": csrf}, follow_redirects=False)
    assert stopped.status_code == 303  # its submitter stops it: its params were all this test needed
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.status == "cancelled" or job.error == "cancelled by ann")


def test_a_bad_scenario_file_shows_its_line_and_field_and_queues_nothing(centre: Centre, store: Store) -> None:
    forecast = centre.forecast()
    csrf = sign_in(centre.client, centre.analyst)
    text = "roster: {time_limit_s: 2}\nvariants:\n  - {name: slower mail, aht: {mail: 1.1}}\n"
    data = {"csrf": csrf, "mode": "yaml", "center_id": str(centre.id), "base": f"forecast:{forecast}"}
    before = jobs_stored(store)
    response = centre.client.post("/analyst/runs", data=data | {"spec_yaml": text, "workers": "1"})
    assert response.status_code == 422
    assert "line 3, variants[0].aht.mail" in response.text and "the centre has no work type" in response.text
    assert "slower mail" in response.text  # the pasted text is kept in the page to fix
    unknown = centre.client.post("/analyst/runs", data=data | {"spec_yaml": "loop: {iterations: 2}\n"})
    assert unknown.status_code == 422 and "line 1, loop.iterations" in unknown.text
    assert jobs_stored(store) == before


def test_bad_values_of_the_form_are_named_by_their_label_and_queue_nothing(centre: Centre, store: Store) -> None:
    forecast = centre.forecast()
    csrf = sign_in(centre.client, centre.analyst)
    before = jobs_stored(store)
    data = form(csrf, f"forecast:{forecast}", center_id=str(centre.id), v_volume=["lots", "", ""])
    data["grid_values"] = ["", ""]
    response = centre.client.post("/analyst/runs", data=data)
    assert response.status_code == 422
    assert "variant 1, volume factor" in response.text and "&#39;lots&#39; is not a number" in response.text
    assert "grid row 1" in response.text  # a change without values
    # the job's own check, its place named as the form names it: the first variant blank (left out of the file),
    # the second's target for a work type the centre lacks is the file's variants[0]
    blank_first = {
        "v_name": ["", "two more, 90/20", ""],
        "v_volume": ["", "", ""],
        "v_target_work_type": ["", "mail", ""],
    }
    other = centre.client.post(
        "/analyst/runs", data=form(csrf, f"forecast:{forecast}", center_id=str(centre.id)) | blank_first
    )
    assert other.status_code == 422 and '<td class="where">variant 2, targets.mail</td>' in other.text
    assert jobs_stored(store) == before


def test_add_variant_without_javascript_keeps_what_was_typed(shown: tuple[Centre, Store]) -> None:
    centre, _ = shown
    forecast = centre.forecast()
    csrf = sign_in(centre.client, centre.analyst)
    data = form(csrf, f"forecast:{forecast}", center_id=str(centre.id), action="add_variant")
    page = centre.client.post("/analyst/runs", data=data)
    assert page.status_code == 200
    assert page.text.count('<fieldset class="variant">') == 4 and 'value="two more, 90/20"' in page.text
    fragment = centre.client.get("/analyst/variant", headers={"HX-Request": "true"})
    assert fragment.text.count('name="v_name"') == 1 and "<html" not in fragment.text


def test_a_form_without_its_csrf_token_is_refused_and_queues_nothing(centre: Centre, store: Store) -> None:
    forecast = centre.forecast()
    csrf = sign_in(centre.client, centre.analyst)
    before = jobs_stored(store)
    data = form(csrf, f"forecast:{forecast}", center_id=str(centre.id))
    del data["csrf"]
    assert centre.client.post("/analyst/runs", data=data).status_code == 403
    assert centre.client.post("/analyst/runs", data=data | {"csrf": "forged"}).status_code == 403
    assert jobs_stored(store) == before


# -- a finished run's comparison -------------------------------------------------------------------------------------


def result(name: str, cost: float, level: float, calls: tuple[float, float, float], **more: Any) -> dict[str, Any]:
    """A variant's result.json as the runner writes it (one work type, `calls`, target 80%)."""
    value, low, high = calls
    row = {
        "work_type": "calls",
        "priority": 1,
        "target_service_level": 0.8,
        "within_s": 20,
        "offered": 100.0,
        "service_level": value,
        "service_level_lo": low,
        "service_level_hi": high,
        "meets_target": value >= 0.8,
    }
    return {
        "variant": name,
        "agents": 10,
        "paid_hours": cost / 20,
        "cost": cost,
        "understaffed_agent_hours": {"priority 1": 0.0},
        "occupancy": 0.8,
        "service_level": level,
        "work_types": [row],
        "same_as": [],
        **more,
    }


#: The base; a cheaper and worse variant (on the frontier); a dearer and better one (on it); one dearer and worse
#: than the base (off it, dominated by the base); and a failed one.
RESULTS = [
    result("base", 2000.0, 0.80, (0.80, 0.75, 0.85)),
    result("volume -10%", 1800.0, 0.78, (0.78, 0.70, 0.86), same_as=["shrinkage 0.3"]),
    result("two more", 2400.0, 0.90, (0.90, 0.88, 0.92)),
    result("dearer, worse", 2200.0, 0.75, (0.74, 0.70, 0.79)),
    {"variant": "too many removed", "error": "headcount.remove: removes 90 agents of 3"},
]


def finished_run(store: Store, user_id: int | None) -> str:
    """A scenarios job stored as done, with its variants' result.json files."""
    job_id = "00000000-0000-4000-8000-000000000001"
    by_variant = [{"variant": r["variant"]} for r in RESULTS]
    with store.session() as session:
        session.add(
            Job(
                id=job_id,
                kind="scenarios",
                status="done",
                params={"spec_yaml": "variants: []\n", "workers": 1, "history_id": None, "forecast_id": 1},
                progress={"variants_done": 5, "variants": 5},
                result={
                    "variants": 5,
                    "planned": 5,
                    "failed": 1,
                    "wall_s": 12.0,
                    "summary": {"by_variant": by_variant},
                },
                created_by=user_id,
            )
        )
        session.flush()
        for r in RESULTS:
            name = f"variants/{r['variant'].replace(' ', '-')}/result.json"
            session.add(
                JobFile(job_id=job_id, name=name, media_type="application/json", content=json.dumps(r).encode())
            )
        session.add(JobFile(job_id=job_id, name="report.html", media_type="text/html", content=b"<h1>report</h1>"))
    return job_id


def rows_of(table: str) -> list[list[str]]:
    """The rows of an HTML table's body, each cell's text (its tags dropped, its spaces collapsed)."""
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def table(page: str, table_id: str) -> list[list[str]]:
    return rows_of(page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0])


def test_a_finished_runs_comparison_marks_the_frontier_and_the_differences_from_the_base(
    shown: tuple[Centre, Store],
) -> None:
    centre, store = shown
    sign_in(centre.client, centre.analyst)
    job_id = finished_run(store, None)
    page = centre.client.get(f"/analyst/runs/{job_id}").text
    assert "hx-trigger" not in page.split('id="run"', 1)[1].split(">", 1)[0]  # finished: no polling
    frontier = {row[0]: row for row in table(page, "frontier-table")}
    assert set(frontier) == {"base", "volume -10%", "two more", "dearer, worse"}  # an alias and a failure: no point
    assert [name for name, row in frontier.items() if row[-1] == "yes"] == ["base", "volume -10%", "two more"]
    assert frontier["two more"][1:3] == ["2,400.0", "90.0%"]
    differences = {row[0]: row for row in table(page, "differences")}
    assert differences["shrinkage 0.3 (= volume -10%)"][1:] == differences["volume -10%"][1:]  # an alias: its plan's
    # agents, paid hours, cost, overall service level, calls' service level, understaffed agent-hours
    assert differences["volume -10%"][1:] == [
        "10 +0",
        "90.0 -10.0 (better)",
        "1,800 -200 (better)",
        "78.0% -2.0 pts (worse)",
        "78.0% -2.0 pts (worse)",
        "0.0 +0.0",
    ]
    assert differences["two more"][3:5] == ["2,400 +400 (worse)", "90.0% +10.0 pts (better)"]
    assert differences["base"][1:4] == ["10", "100.0", "2,000"]  # the base's own figures, without differences
    calls = {row[0]: row for row in table(page, "work-types")}
    assert calls["dearer, worse"][2:] == ["74.0%", "70.0 to 79.0%", "80% in 20 s", "no"]
    assert table(page, "failed") == [["too many removed", "headcount.remove: removes 90 agents of 3"]]
    by_calls = centre.client.get(f"/analyst/runs/{job_id}/frontier", params={"x": "paid_hours", "y": "calls"}).text
    rows = {row[0]: row for row in table(by_calls, "frontier-table")}
    assert rows["two more"][1:4] == ["120.0", "90.0%", "88.0 to 92.0%"]
    assert [name for name, row in rows.items() if row[-1] == "yes"] == ["base", "volume -10%", "two more"]


def test_the_charts_are_svg_and_the_files_are_downloads(shown: tuple[Centre, Store]) -> None:
    centre, store = shown
    sign_in(centre.client, centre.analyst)
    job_id = finished_run(store, None)
    chart = centre.client.get(f"/analyst/runs/{job_id}/frontier.svg", params={"y": "calls"})
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert chart.text.lstrip().startswith("<?xml") and "<svg" in chart.text and "<script" not in chart.text
    bars = centre.client.get(f"/analyst/runs/{job_id}/work_types.svg")
    assert bars.status_code == 200 and "<svg" in bars.text
    report = centre.client.get(f"/analyst/runs/{job_id}/files/report.html")
    assert report.headers["content-disposition"] == 'attachment; filename="report.html"'
    assert centre.client.get(f"/analyst/runs/{job_id}/files/nothing.csv").status_code == 404
    sign_in(centre.client, centre.viewer)
    assert centre.client.get(f"/analyst/runs/{job_id}/frontier.svg").status_code == 403


def test_a_running_run_shows_its_finished_variants_and_keeps_polling(shown: tuple[Centre, Store]) -> None:
    centre, store = shown
    sign_in(centre.client, centre.analyst)
    job_id = "00000000-0000-4000-8000-000000000002"
    finished = [
        {
            "name": "base",
            "status": "done",
            "wall_s": 4.2,
            "error": None,
            "cost": 2000.0,
            "service_level": 0.81,
            "work_types": {"calls": 0.805},
        },
        {"name": "bad", "status": "failed", "wall_s": 0.1, "error": "removes 9 agents of 3"},
    ]
    progress = {"variants_done": 2, "variants": 3, "finished": finished}
    with store.session() as session:
        session.add(Job(id=job_id, kind="scenarios", status="running", params={"variants": 3}, progress=progress))
    url = f"/analyst/runs/{job_id}/progress"
    same = centre.client.get(url, params={"seen": "running-2-3-False"}, headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 1s"' in same and "hx-swap-oob" not in same  # no change: the status line stays
    assert table(same, "finished") == [
        ["base", "done", "2,000", "81.0%", "80.5%", "4.2"],
        ["bad", "failed removes 9 agents of 3", "—", "—", "—", "0.1"],
    ]
    changed = centre.client.get(url, params={"seen": "running-1-3-False"}, headers={"HX-Request": "true"}).text
    assert 'hx-swap-oob="innerHTML"' in changed and "2 of 3 variants finished" in changed
    sign_in(centre.client, centre.viewer)
    assert centre.client.get(url).status_code == 403
