"""The comparison of a sweep's variants: ``results.csv`` (one row per variant x work type) and a self-contained
``report.html`` (the cost-versus-service-level frontier, each work type's simulated service level with its 95%
interval beside the base, and every variant's differences from the base).

A variant that is the same plan as another (the same changes under another name, e.g. a grid point with no
change) has the other's figures under its own name. A failed variant has one row with its error.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.io import text_writer, write_files
from scenarios.spec import BASE_NAME

__all__ = ["RESULTS_COLUMNS", "frontier", "results_table", "rewrite_report", "write_report"]

RESULTS_COLUMNS = [
    "variant",
    "work_type",
    "priority",
    "agents",
    "paid_hours",
    "cost",
    "target_service_level",
    "service_level",
    "service_level_lo",
    "service_level_hi",
    "promised_service_level",
    "meets_target",
    "abandon_rate",
    "deferred_in_time",
    "occupancy",
    "understaffed_agent_hours",
    "error",
]
#: At most this many variants get a bar in the per-work-type figure (all are in the tables).
FIGURE_VARIANTS = 24


def _expanded(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each result, then a copy under each other name of the same plan."""
    out = []
    for result in results:
        out.append(result)
        for alias in result.get("same_as", []):
            out.append({**result, "variant": alias, "same_as": [], "alias_of": result["variant"]})
    return out


def results_table(results: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per variant x work type (`RESULTS_COLUMNS`); `understaffed_agent_hours` is the variant's total
    over every priority, the columns ``understaffed_p1``, ... split it."""
    rows = []
    priorities = sorted({k for r in results for k in r.get("understaffed_agent_hours", {})})
    for result in _expanded(results):
        if "error" in result:
            rows.append({"variant": result["variant"], "error": result["error"]})
            continue
        short = result.get("understaffed_agent_hours", {})
        for row in result["work_types"]:
            rows.append(
                {
                    "variant": result["variant"],
                    **{k: row.get(k) for k in RESULTS_COLUMNS if k in row},
                    "agents": result["agents"],
                    "paid_hours": result["paid_hours"],
                    "cost": result["cost"],
                    "occupancy": result["occupancy"],
                    "understaffed_agent_hours": round(sum(short.values()), 2),
                    **{f"understaffed_{_label(k)}": v for k, v in short.items()},
                }
            )
    columns = RESULTS_COLUMNS[:-1] + [f"understaffed_{_label(k)}" for k in priorities] + ["error"]
    table = pd.DataFrame(rows, columns=columns)
    for column in ("priority", "agents"):  # whole numbers, blank on a failed variant's row
        table[column] = table[column].astype("Int64")
    return table


def _label(priority: str) -> str:
    return "p" + priority.removeprefix("priority ").strip()


def write_report(out_dir: str | Path, results: Sequence[dict[str, Any]], spec_path: Path | None = None) -> list[Path]:
    """``results.csv``, ``report.html`` and ``summary.json`` of `results` in `out_dir` (all or none)."""
    out = Path(out_dir)
    table = results_table(results)
    summary = {
        "variants": len(_expanded(results)),
        "planned": len(results),
        "failed": [r["variant"] for r in results if "error" in r],
        "spec": str(spec_path) if spec_path is not None else None,
        "by_variant": [_headline(r) for r in _expanded(results)],
    }
    return write_files(
        {
            out / "results.csv": text_writer(table.to_csv(index=False)),
            out / "report.html": text_writer(report_html(results, spec_path)),
            out / "summary.json": text_writer(json.dumps(summary, indent=2, default=str) + "\n"),
        }
    )


def rewrite_report(out_dir: str | Path) -> list[Path]:
    """The report of a run's folder written again from its stored results: the variants of the last run (its
    ``summary.json``; every stored one where there is none), with the scenario file it named."""
    from models.errors import InputError, Problem
    from scenarios.runner import read_results

    try:
        summary = json.loads((Path(out_dir) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    listed = [h["variant"] for h in summary.get("by_variant", []) if isinstance(h, dict) and "variant" in h]
    results = read_results(out_dir, listed) if listed else read_results(out_dir)
    if not results:
        raise InputError(
            str(out_dir),
            Problem("", "holds no variant results (variants/*/result.json)", "run wfm scenarios run first"),
        )
    spec = summary.get("spec")
    return write_report(out_dir, results, spec_path=Path(spec) if spec else None)


def _headline(result: dict[str, Any]) -> dict[str, Any]:
    if "error" in result:
        return {"variant": result["variant"], "error": result["error"]}
    rows = result["work_types"]
    return {
        "variant": result["variant"],
        "agents": result["agents"],
        "paid_hours": result["paid_hours"],
        "cost": result["cost"],
        "service_level": result["service_level"],
        "work_types_meeting_target": sum(bool(r["meets_target"]) for r in rows),
        "work_types": len(rows),
        "picked": result.get("picked", {}),
        "wall_s": result.get("wall_s"),
    }


def report_html(results: Sequence[dict[str, Any]], spec_path: Path | None = None) -> str:
    from planner.roster.export import html_document, html_image, html_rows_table

    every = _expanded(results)
    good = [r for r in every if "error" not in r]
    base = next((r for r in good if r["variant"] == BASE_NAME), None)
    parts = [
        "<h1>What-if scenarios</h1>",
        f'<p class="lead">{html.escape(str(spec_path)) if spec_path else ""}: {len(every)} variants, '
        f"{len(every) - len(good)} failed. Simulated service level: the roster of each variant checked by a "
        "simulation with other random numbers than the loop that made it (95% intervals).</p>",
    ]
    plotted = [r for r in good if "alias_of" not in r]  # a plan once, under its first name
    if good:
        parts += ["<h2>Cost and service level</h2>", html_image(_frontier_png(plotted), "cost against service level")]
        parts.append(
            "<p>Each point a variant: its paid cost and the service level of all its realtime work (contacts answered "
            "within target over contacts offered). The line joins the variants no other beats on both.</p>"
        )
        parts += ["<h2>Variants</h2>", html_rows_table(_summary_header(), [_summary_row(r, base) for r in every])]
        parts += [
            "<h2>Service level per work type</h2>",
            html_image(_work_types_png(plotted[:FIGURE_VARIANTS], base), "service level per work type and variant"),
        ]
        kinds = [row["work_type"] for row in good[0]["work_types"]]
        parts += [
            "<h2>Differences from the base (service-level points)</h2>" if base else "<h2>Service level</h2>",
            html_rows_table(["variant", *kinds], [_difference_row(r, base, kinds) for r in good]),
        ]
    failed = [r for r in every if "error" in r]
    if failed:
        parts += [
            "<h2>Failed variants</h2>",
            html_rows_table(["variant", "error"], [(r["variant"], r["error"]) for r in failed]),
        ]
    return html_document("What-if scenarios", parts)


def _summary_header() -> list[str]:
    return [
        "variant",
        "agents",
        "paid hours",
        "cost",
        "cost vs base",
        "service level",
        "vs base (points)",
        "meeting target",
        "understaffed agent-h",
        "agents picked",
    ]


def _summary_row(result: dict[str, Any], base: dict[str, Any] | None) -> list[Any]:
    if "error" in result:
        return [result["variant"], "failed", "", "", "", "", "", "", "", result["error"][:200]]
    rows = result["work_types"]
    level = result["service_level"]
    base_level = base["service_level"] if base else None
    picked = result.get("picked", {})
    named = [f"removed {', '.join(picked['removed'])}"] if picked.get("removed") else []
    named += [f"added {', '.join(picked['added'])}"] if picked.get("added") else []
    named += [f"trained in {k}: {', '.join(v)}" for k, v in picked.get("trained", {}).items()]
    return [
        result["variant"] + (f" (= {result['alias_of']})" if "alias_of" in result else ""),
        result["agents"],
        result["paid_hours"],
        result["cost"],
        None if base is None else round(result["cost"] - base["cost"], 2),
        None if level is None else f"{100 * level:.1f}%",
        None if level is None or base_level is None else round(100 * (level - base_level), 1),
        f"{sum(bool(r['meets_target']) for r in rows)} of {len(rows)}",
        round(sum(result.get("understaffed_agent_hours", {}).values()), 1),
        "; ".join(named),
    ]


def _difference_row(result: dict[str, Any], base: dict[str, Any] | None, kinds: list[str]) -> list[Any]:
    mine = {r["work_type"]: r["service_level"] for r in result["work_types"]}
    theirs = {r["work_type"]: r["service_level"] for r in base["work_types"]} if base else {}
    cells: list[Any] = [result["variant"]]
    for kind in kinds:
        value, reference = mine.get(kind), theirs.get(kind)
        if value is None:
            cells.append(None)
        elif reference is None:
            cells.append(f"{100 * value:.1f}%")
        else:
            cells.append(f"{100 * (value - reference):+.1f}")
    return cells


def _frontier_png(results: list[dict[str, Any]]) -> bytes:
    from planner.reports import pyplot

    plt = pyplot()
    cost = np.array([r["cost"] for r in results], dtype=float)
    level = np.array([np.nan if r["service_level"] is None else 100 * r["service_level"] for r in results])
    figure, ax = plt.subplots(figsize=(8, 5))
    ax.scatter(cost, level, color="#4c72b0", zorder=3)
    efficient = frontier(cost, level)
    ax.plot(cost[efficient], level[efficient], color="#dd8452", zorder=2, label="frontier")
    for r, x, y in zip(results, cost, level, strict=True):
        ax.annotate(r["variant"], (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if r["variant"] == BASE_NAME:
            ax.scatter([x], [y], s=120, facecolors="none", edgecolors="black", zorder=4, label="base")
    ax.set_xlabel("paid cost of the week")
    ax.set_ylabel("simulated service level, realtime work (%)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    figure.tight_layout()
    return _png(figure)


def frontier(cost: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Indices of the variants no other is at least as cheap and at least as good as (better in one), by cost."""
    keep = []
    for i in np.argsort(cost, kind="stable"):
        if np.isnan(level[i]):
            continue
        dominated = any(
            (cost[j] <= cost[i] and level[j] >= level[i]) and (cost[j] < cost[i] or level[j] > level[i])
            for j in range(len(cost))
            if j != i and not np.isnan(level[j])
        )
        if not dominated:
            keep.append(int(i))
    return np.array(keep, dtype=int)


def _work_types_png(results: list[dict[str, Any]], base: dict[str, Any] | None) -> bytes:
    from planner.reports import pyplot

    plt = pyplot()
    kinds = [row["work_type"] for row in results[0]["work_types"]]
    figure, axes = plt.subplots(
        1, len(kinds), figsize=(min(3.2 * len(kinds), 18), 0.3 * len(results) + 1.8), sharey=True
    )
    axes = np.atleast_1d(axes)
    names = [r["variant"] for r in results]
    for ax, kind in zip(axes, kinds, strict=True):
        values, low, high, target = [], [], [], None
        for r in results:
            row = next(x for x in r["work_types"] if x["work_type"] == kind)
            value = row["service_level"]
            values.append(np.nan if value is None else 100 * value)
            low.append(np.nan if row["service_level_lo"] is None else 100 * row["service_level_lo"])
            high.append(np.nan if row["service_level_hi"] is None else 100 * row["service_level_hi"])
            target = 100 * row["target_service_level"]
        v, lo, hi = np.array(values), np.array(low), np.array(high)
        error = np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])
        colours = ["#55a868" if n == BASE_NAME else "#4c72b0" for n in names]
        ax.barh(range(len(names)), np.nan_to_num(v), xerr=error, color=colours, capsize=2)
        if target is not None:
            ax.axvline(target, color="#c44e52", linestyle="--", linewidth=1)
        ax.set_title(kind, fontsize=9)
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
    axes[0].set_yticks(range(len(names)), names, fontsize=7)
    figure.supxlabel("simulated service level (%), 95% interval; dashed: the target", fontsize=9)
    figure.tight_layout()
    return _png(figure)


def _png(figure: Any) -> bytes:
    from planner.reports import pyplot

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=100)
    finally:
        pyplot().close(figure)
    return buffer.getvalue()
