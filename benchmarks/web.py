"""The web pages in a real browser (issue 18): the roster page of the demo M centre (100 agents x 7 days) must
render in under 1 s in headless Chromium; the L centre's (300 agents) must stay usable (a paged timeline).

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.web                      # M and L, 5 measured loads each (~6-10 min)
    .venv/bin/python -m benchmarks.web --sizes M --repeat 3
    .venv/bin/python -m benchmarks.web --time-limit 20      # the plans' roster solve, seconds

What it does, all on this machine: a SQLite store in a temporary folder, a planner (`wfm users add`), `wfm serve`
as a subprocess on a free port (`benchmarks.serving`). Through the API, for each size: the demo centre
(`scenarios.generator`, seed 0) and `--history-weeks` of its per-ticket history uploaded, then one plan of 7 days
(`--time-limit` s of roster solve, one simulated pass, no diagnosis remedies): its roster is stored as a draft,
its coverage.csv gives the page's heatmap its requirement. Then Debian's Chromium (Playwright, headless, the
tests' `launch_chromium`) at 1280x800 signs in with the planner's token, as a person would, and opens
`/rosters/{id}`: once cold (the service prepares the roster on the first read and keeps it), then `--repeat`
times. Each load: the navigation's load event (Navigation Timing: from the start of the navigation), the first
contentful paint (Paint Timing), the wall time from `goto` until the first lane of the timeline is visible, the
HTML's bytes and the DOM's element count. Where the roster has more agents than a page holds: the wall time from
a click on "Next" until the second page's count shows, and from choosing a skill in the filter until the
filtered count shows (both swap the timeline alone, through HTMX). Reported: median and largest of the measured
loads; printed, and written as JSON to ``benchmarks/results/web.json`` (git-ignored), with each size's page
as loaded (``web-M.html``) and its screenshot (``web-M.png``).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import machine_info, write_report
from benchmarks.serving import planner_token, serve
from models import dump_center
from scenarios.generator import GeneratorSettings, generate

RESULTS = Path(__file__).resolve().parent / "results" / "web.json"
#: The target: the M roster page's load, seconds.
TARGET_S = 1.0
#: Bound of a plan job's wait, seconds.
PLAN_WAIT_S = 900.0
#: The browser's window: the smallest screen the pages must be usable at.
VIEWPORT = {"width": 1280, "height": 800}


def make_roster(http: httpx.Client, size: str, args: argparse.Namespace) -> dict[str, Any]:
    """The demo centre of `size`, its history and a plan of 7 days through the API: the plan's roster."""
    scenario = generate(GeneratorSettings(size=size, history_weeks=args.history_weeks))
    center_id = http.post("/api/centers", json={"yaml": dump_center(scenario.center)}).raise_for_status().json()["id"]
    content = scenario.history.to_csv(index=False).encode()
    files = {"file": ("history.csv", io.BytesIO(content), "text/csv")}
    history_id = http.post(f"/api/centers/{center_id}/histories", files=files).raise_for_status().json()["id"]
    params = {
        "center_id": center_id,
        "history_id": history_id,
        "start": scenario.settings.plan_start.isoformat(),
        "days": 7,
        "time_limit_s": args.time_limit,
        "loop_budget_s": 0,
        "diagnosis_budget_s": 5,
        "remedies": False,
    }
    began = time.monotonic()
    job_id = http.post("/api/plans", json=params).raise_for_status().json()["job_id"]
    while (job := http.get(f"/api/jobs/{job_id}").raise_for_status().json())["status"] in ("queued", "running"):
        if time.monotonic() - began > PLAN_WAIT_S:
            raise RuntimeError(f"the plan of {size} is still {job['status']} after {PLAN_WAIT_S:g} s")
        time.sleep(1)
    if job["status"] != "done":
        raise RuntimeError(f"the plan of {size} ended {job['status']}: {job['error']}")
    roster_id = job["result"]["roster_id"]
    rosters = http.get(f"/api/centers/{center_id}/rosters").raise_for_status().json()
    summary = next(r["summary"] for r in rosters if r["id"] == roster_id)
    skills = {
        s.id: sum(any(k.skill == s.id for k in a.skills) for a in scenario.center.agents)
        for s in scenario.center.skills
    }
    return {
        "size": size,
        "roster_id": roster_id,
        "agents": len(scenario.center.agents),
        "shifts": summary["shifts"],
        "violations": len(summary["violations"]),
        "plan_s": round(time.monotonic() - began, 1),
        "skills": skills,
    }


def _load(page: Any, url: str) -> dict[str, float]:
    """One navigation to the roster page: load event, first contentful paint, first lane visible, size."""
    began = time.perf_counter()
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        raise RuntimeError(f"{url} answered {None if response is None else response.status}")
    page.locator(".lane-row.timeline").first.wait_for(state="visible")
    visible = time.perf_counter() - began
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType("navigation")[0];
            const paint = performance.getEntriesByName("first-contentful-paint")[0];
            return {load: nav.loadEventEnd, dcl: nav.domContentLoadedEventEnd, fcp: paint ? paint.startTime : null,
                    bytes: nav.decodedBodySize, nodes: document.getElementsByTagName("*").length,
                    lanes: document.querySelectorAll(".lane-row.timeline").length};
        }"""
    )
    return {
        "load_s": timing["load"] / 1000,
        "dom_content_loaded_s": timing["dcl"] / 1000,
        "first_paint_s": (timing["fcp"] or 0) / 1000,
        "lanes_visible_s": visible,
        "html_bytes": timing["bytes"],
        "dom_elements": timing["nodes"],
        "lanes": timing["lanes"],
    }


def _swap(page: Any, roster_id: int, act: Any, text: str) -> float:
    """Seconds from `act()` until the timeline's count says `text` (the timeline swapped by HTMX)."""
    count = page.locator(f"#timeline-{roster_id} .count")
    began = time.perf_counter()
    act()
    count.filter(has_text=text).wait_for()
    return time.perf_counter() - began


def measure(browser: Any, address: str, token: str, roster: dict[str, Any], repeat: int) -> dict[str, Any]:
    """The roster page of `roster`: one cold load, then `repeat` loads (and page and filter swaps where paged)."""
    from service.web.roster_view import PAGE_SIZE

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{address}/signin")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    url, roster_id = f"{address}/rosters/{roster['roster_id']}", roster["roster_id"]
    cold = _load(page, url)
    page.screenshot(path=str(RESULTS.with_name(f"web-{roster['size']}.png")))
    RESULTS.with_name(f"web-{roster['size']}.html").write_text(page.content(), encoding="utf-8")
    loads, pages, filters = [], [], []
    skill = min(roster["skills"], key=lambda s: (abs(roster["skills"][s] - roster["agents"] // 3), s))
    for _ in range(repeat):
        loads.append(_load(page, url))
        if roster["agents"] > PAGE_SIZE:
            second = f"Agents {PAGE_SIZE + 1}–"
            pages.append(
                _swap(page, roster_id, lambda: page.get_by_role("link", name=f"Next {PAGE_SIZE}").click(), second)
            )
            page.goto(url, wait_until="load")
            chosen = f"of {roster['skills'][skill]} "
            filters.append(
                _swap(page, roster_id, lambda: page.locator(f"#f-skill-{roster_id}").select_option(skill), chosen)
            )
    context.close()

    def figures(values: list[float]) -> dict[str, float]:
        return {"median": statistics.median(values), "max": max(values)} if values else {}

    keys = ("load_s", "first_paint_s", "lanes_visible_s", "html_bytes", "dom_elements")
    return {
        "cold": cold,
        **{key: figures([load[key] for load in loads]) for key in keys},
        "lanes": loads[-1]["lanes"],
        "next_page_s": figures(pages),
        "filter_s": figures(filters),
        "filter_skill": skill,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["M", "L"], choices=["S", "M", "L", "XL"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=30.0, help="each plan's roster solve, seconds")
    parser.add_argument("--history-weeks", type=int, default=4)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.web_helpers import launch_chromium

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine_info()}
    with tempfile.TemporaryDirectory(prefix="wfm-bench-web-") as folder:
        url = f"sqlite:///{Path(folder) / 'wfm.db'}"
        token = planner_token(url, "bench")
        with serve(url, Path(folder), workers=1) as server:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.address, headers=headers, timeout=120) as http:
                rosters = [make_roster(http, size, args) for size in args.sizes]
            with launch_chromium() as browser:
                report["sizes"] = {
                    r["size"]: {**r, **measure(browser, server.address, token, r, args.repeat)} for r in rosters
                }
    if "M" in report["sizes"]:
        report["target_met"] = report["sizes"]["M"]["load_s"]["max"] < TARGET_S
    write_report(RESULTS, report)
    for size, result in report["sizes"].items():
        print(
            f"{size}: {result['agents']} agents, {result['shifts']} shifts; page load median "
            f"{result['load_s']['median']:.3f} s (max {result['load_s']['max']:.3f}), lanes visible "
            f"{result['lanes_visible_s']['median']:.3f} s (max {result['lanes_visible_s']['max']:.3f}), cold "
            f"{result['cold']['load_s']:.3f} s; {result['html_bytes']['median'] / 1024:.0f} KiB HTML, "
            f"{result['dom_elements']['median']:.0f} elements; next page {result['next_page_s'] or '-'}; "
            f"filter {result['filter_s'] or '-'}"
        )
    if "target_met" in report:
        print(
            f"target (the M page loads in < {TARGET_S:g} s, every load): {'met' if report['target_met'] else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
