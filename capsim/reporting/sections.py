"""Sections 2 to 11 of the report: the evidence, the inputs, the method."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import Any

from capsim.kpis import KPIS, P_TARGET_MET
from capsim.reporting.blocks import (
    Block,
    Bullets,
    Code,
    Figure,
    Heading,
    Paragraph,
    Preformatted,
    Table,
    Text,
    text,
)
from capsim.reporting.bundle import Bundle
from capsim.reporting.economics import cost_section, schedule_section
from capsim.reporting.risks import risks, supplier_stop
from capsim.reporting.summary import Facts, executive_summary

DESCRIBE_CRITERION = {
    "mean": "the smallest roster whose mean on-time rate over the simulated seasons meets "
            "the target",
    "chance": "the smallest roster for which the share of seasons meeting the target is at "
              "least the required chance, on the lower bound of its Wilson interval",
}


def _curve_table(f: Facts) -> Table:
    rows = []
    for roster in f.b.curve["roster"].astype(int).tolist():
        mark = " (recommended)" if roster == f.b.summary["recommended"] else ""
        rows.append((
            text(f.curve(roster, "roster", "int"), mark),
            text(f.curve(roster, "on_time_rate_mean", "pct1"), " [",
                  f.curve(roster, "on_time_rate_ci_low", "pct1"), ", ",
                  f.curve(roster, "on_time_rate_ci_high", "pct1"), "]"),
            text(f.curve(roster, "p_target_met_mean", "pct0"), " [",
                  f.curve(roster, "p_target_met_ci_low", "pct0"), ", ",
                  f.curve(roster, "p_target_met_ci_high", "pct0"), "]"),
            text(f.curve(roster, "on_hand_mean_mean", "num1")),
            text(f.curve(roster, "utilization_mean", "pct1")),
            text(f.curve(roster, "overtime_hours_mean", "num0")),
            text(f.curve(roster, "replications", "int"))))
    level = round(100 * f.b.ci_level)
    return Table(("Roster", f"On time, mean [{level} % CI]", "Seasons meeting the target",
                  "On hand per day", "Utilization", "Overtime (h)", "Seasons"),
                 tuple(rows), (True,) * 7)


def _staffing_curve(f: Facts) -> list[Block]:
    s = f.b.summary
    return [
        Heading(2, "2. On-time delivery by roster", "on-time"),
        Paragraph(text("Every roster runs on the same simulated seasons (the same orders and "
                       "the same absences for the technicians they share), so differences "
                       "between rosters are the rosters' own. The recommendation is ",
                       DESCRIBE_CRITERION[s["criterion"]], ".")),
        Figure("on_time_by_roster", "On-time delivery against the roster, with confidence "
               "intervals; the dashed line is the target."),
        _curve_table(f),
        Heading(2, "3. Chance of meeting the target", "chance"),
        Paragraph(text("A season's on-time rate varies with its demand and its absences. "
                       "This is the share of simulated seasons that meet the target on their "
                       "own: the chance that this season will.")),
        Figure("target_chance_by_roster", "Share of seasons meeting the target, with Wilson "
               "intervals."),
    ]


def _season(f: Facts) -> list[Block]:
    b = f.b
    if b.roster is None:
        return []
    surges = [s for s in b.scenario.demand.surges if s.multiplier > 1]
    windows = "; ".join(f"{s.name or 'surge'}: days {s.start_hour / 24:g} to "
                        f"{s.end_hour / 24:g}, demand ×{s.multiplier:g}" for s in surges)
    blocks: list[Block] = [
        Heading(2, "4. Orders in-house over the season", "season"),
        Paragraph(text("Hour by hour, with ", f.summary("detail_roster", "int"),
                       " technicians on the roster. The dotted line is what the rule of thumb "
                       "plans for.", f" Surges: {windows}." if windows else "")),
        Figure("orders_in_house", "Orders in-house: median season and the band from the 10th "
               "to the 90th percentile of seasons; surges shaded."),
        Heading(2, "5. Technicians on hand", "on-hand"),
        Paragraph(text("Technicians at work each day, against the analytic expectation "
                       "(scheduled technicians × the chance that a scheduled one works that "
                       "day, from the absence, vacation and outbreak rates). Days off, "
                       "vacations and illness are why fewer are on hand than on the "
                       "roster.")),
        Figure("on_hand_by_day", "Technicians on hand per day: simulated band and mean "
               "against the analytic expectation."),
        Heading(2, "6. Lead time against the promise", "lead-time"),
        Paragraph(text("The share of orders done within each lead time; where the curve "
                       "crosses the promise is the on-time rate. Orders still open at the "
                       "end of the season count as late.")),
        Figure("lead_time_cdf", "Lead-time distribution (cumulative) with the promise."),
    ]
    return blocks


def _overtime_rule(f: Facts) -> str:
    policy = f.b.scenario.policies.overtime
    if policy is None:
        return "no overtime is planned"
    n = f"{policy.threshold:g}"
    trigger = {"queue": f"more than {n} orders wait",
               "oldest_wait": f"an order has waited more than {n} h",
               "at_risk": f"more than {n} orders are due within {policy.risk_hours:g} h"}
    return (f"and, under the overtime policy, on more jobs while {trigger[policy.when]}, up "
            f"to {policy.max_hours:g} h past the shift end")


def _utilization(f: Facts) -> list[Block]:
    return [
        Heading(2, "7. Utilization and overtime", "utilization"),
        Paragraph(text("Each added technician lowers utilization: the price of the on-time "
                       "rate above. Overtime is the time technicians spend finishing the "
                       f"order in hand after their shift ends ({_overtime_rule(f)}).")),
        Figure("utilization_and_overtime", "Utilization and overtime by roster."),
    ]


def _stress(f: Facts) -> list[Block]:
    b = f.b
    beyond = risks(f)
    blocks: list[Block] = [Heading(2, "8. Stress tests: what breaks the plan", "stress"),
                           *beyond]
    if beyond:
        blocks.append(Heading(3, "Stress events", "stress-events"))
    if b.stress is None:
        return [*blocks, Paragraph(text(_no_stress(b)))]
    blocks.append(Paragraph(text(
        "Each event runs on the same simulated seasons as the baseline without it, at ",
        f.stress("roster", "int"), " technicians and ", f.stress("replications", "int"),
        " seasons. On time during: orders due while the event lasts; next ",
        f.stress("after_days", "int"), " days: orders due after it; cleared: hours from "
        "the event's end until the extra backlog is gone.")))
    blocks.append(Figure("stress_tests", "Stress tests: on-time during each event and "
                                         "backlog recovery."))
    rows = []
    for i, event in enumerate(b.stress["events"]):
        p = f"events.{i}"
        rows.append((
            text(event["name"]), text(event["description"]),
            text(f.stress(f"{p}.on_time_during.mean", "pct1"), " (",
                  f.stress(f"{p}.baseline_on_time_during.mean", "pct1"), ")"),
            text(f.stress(f"{p}.on_time_after.mean", "pct1"), " (",
                  f.stress(f"{p}.baseline_on_time_after.mean", "pct1"), ")"),
            text(f.stress(f"{p}.season_on_time.mean", "pct1")),
            text(*_cleared(f, p, event["backlog"]))))
    blocks.append(Table(("Event", "What happens", "On time during (without)",
                         "Next days (without)", "Season on time", "Cleared: median / p90"),
                        tuple(rows), (False, False, True, True, True, True)))
    blocks += [stop for i in range(len(b.stress["events"]))
               if (stop := supplier_stop(f, i)) is not None]
    blocks.append(Paragraph(text("Without any event the season's on-time rate is ",
                                 f.stress("baseline.season_on_time.mean", "pct1"), ".")))
    if b.stress.get("partial"):
        blocks.append(Paragraph(text("Interrupted: the events not shown were not run.")))
    return blocks


def _no_stress(b: Bundle) -> str:
    """Why a report has no stress tests."""
    if not b.scenario.stress:
        return ("The scenario defines no stress events ([[stress]] in the scenario file), "
                "so none were run.")
    if "the stress tests" in b.missing:
        return "The stress tests were not run: the run was interrupted first."
    if b.summary.get("partial"):
        return ("The stress tests were not run: the staffing search was interrupted before "
                "it recommended a roster.")
    return ("The stress tests were not run: they run at the recommended roster, and no "
            "roster evaluated meets the target.")


def _analytic(f: Facts) -> list[Block]:
    s = f.b.summary

    def row(label: str, key: str, roster: int | None) -> tuple[Text, ...]:
        simulated = (text(f.curve(roster, "on_time_rate_mean", "pct1"))
                     if roster is not None and f.b.at(roster) is not None
                     else text("not simulated"))
        return (text(label), text(f.summary(key, "int")), simulated)

    rows = [row("Rule of thumb (1 per 100 orders in-house)", "rule_of_thumb",
                s["rule_of_thumb"]),
            row("Rough cut, lower bound (average work at 100 % utilization)",
                "rough_cut.lower_bound", s["rough_cut"]["lower_bound"]),
            row("Rough cut (peak day, square-root buffer, absence)", "rough_cut.roster",
                s["rough_cut"]["roster"])]
    if s["recommended"] is not None:
        rows.append(row("Simulation (this report)", "recommended", s["recommended"]))
    return [
        Heading(2, "9. Analytic rough cut against simulation", "analytic"),
        Paragraph(text("Closed-form answers from capsim.analytic, in milliseconds, against "
                       "the simulated answer. ", _compare(s))),
        Table(("Method", "Roster", "Simulated on-time rate at that roster"), tuple(rows),
              (False, True, True)),
        Paragraph(text("The rough cut's figures:")),
        Bullets(tuple(text(a) for a in s["rough_cut"]["assumptions"])),
    ]


def _compare(s: dict[str, Any]) -> str:
    """How the simulated answer stands against the rough cut's bracket."""
    low, high, n = s["rough_cut"]["lower_bound"], s["rough_cut"]["roster"], s["recommended"]
    if n is None:
        return "No simulated roster met the target, so there is no answer to compare."
    if low <= n <= high:
        return ("The rough cut brackets the simulation: below the lower bound the work "
                "cannot be kept up with, and the rough cut designs for every hour of the "
                "busiest day, which a season's on-time rate partly forgives.")
    if n > high:
        return ("The simulation asks for more than the rough cut, which works from the "
                "busiest day's averages and misses what carries over between days: "
                "backlog after surges and batches, absences that cluster.")
    return ("The simulation asks for less than the lower bound: the target forgives enough "
            "lateness that the work need not be kept up with in full.")


def _flatten(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += _flatten(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = []
        for i, item in enumerate(value):
            out += _flatten(item, f"{path}[{i}]")
        return out
    if value is None:
        return []
    if isinstance(value, list):
        return [(path, "[" + ", ".join(_scalar(v) for v in value) + "]")]
    return [(path, _scalar(value))]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _assumptions(f: Facts) -> list[Block]:
    rows = tuple((text(Code(path)), text(value))
                 for path, value in _flatten(f.b.summary["resolved_scenario"]))
    return [
        Heading(2, "10. Assumptions: every input", "assumptions"),
        Paragraph(text("The scenario as simulated, every default filled in (the same as ",
                       Code("scenario.toml"), " in this folder). Hours count from the start "
                       "of day 0; days from day 0.")),
        Table(("Field", "Value"), rows),
    ]


def reproduce_command(summary: dict[str, Any], out: str = "rebuilt",
                      schedule: bool = False) -> list[str]:
    """The command that rebuilds this report, run in its folder (into ``./rebuilt``).

    It names the engine the results came from: the engines agree to 1e-9 hours, not
    bit for bit, and a rebuild should give the very same numbers.
    """
    argv = ["capsim", "report", "scenario.toml", "--seed", str(summary["seed"]),
            "--replications", str(summary["replications"]), "--target",
            f"{summary['target']:g}", "--criterion", summary["criterion"]]
    if summary["criterion"] == "chance":
        argv += ["--confidence", f"{summary['confidence']:g}"]
    if summary.get("max_replications"):
        argv += ["--max-replications", str(summary["max_replications"])]
    if summary.get("engine") and "," not in summary["engine"]:
        argv += ["--engine", summary["engine"]]
    curve = summary["curve"]
    if curve:
        argv += ["--ci-level", f"{curve[0]['kpis']['on_time_rate']['ci_level']:g}"]
    return [*argv, *(["--schedule"] if schedule else []), "--out", out]


def _method(f: Facts) -> list[Block]:
    s = f.b.summary
    replications = (text(f.summary("replications", "int"), " per roster") if
                    not s.get("max_replications") else
                    text(f.summary("replications", "int"), " per roster, up to ",
                         f.summary("max_replications", "int"), " where the verdict was close"))
    items = [
        text("Model: a discrete-event simulation (SimPy, or its exact fast equivalent for "
             "first-in-first-out dispatch) of orders arriving, waiting and being worked by "
             "the technicians on duty; Monte Carlo over seasons, each with its own demand "
             "and absences."),
        text("Seasons simulated: ", *replications, "; the same seasons for every roster."),
        text("Root seed: ", f.summary("seed", "id"), "; engine: ", str(s["engine"]),
             "; capsim ", str(s["capsim_version"]), "."),
        text(f"Confidence intervals: {round(100 * f.b.ci_level)} % (Student t for means, "
             "Wilson for shares)."),
        text("Rosters evaluated, in order: ", ", ".join(map(str, s["evaluations"])), "."),
    ]
    items += [text("Note: ", note) for note in s.get("notes", [])]
    return [
        Heading(2, "11. Method and reproducibility", "method"),
        Bullets(tuple(items)),
        Paragraph(text("Made with:")),
        Preformatted(shlex.join(s.get("command", []))),
        Paragraph(text("Rebuild it: in this folder, run (the same numbers, into ",
                       Code("rebuilt/"), "; ", Code("command.txt"), " has this line):")),
        Preformatted(shlex.join(reproduce_command(s, schedule=f.b.schedule is not None))),
        Paragraph(text("The numbers behind every figure and table are in ", Code("data/"),
                       ": ", Code("summary.json"), " and ", Code("curve.csv"),
                       " (every roster), ", Code("timeseries.csv"), ", ", Code("daily.csv"),
                       ", ", Code("lead_time.csv"), " and ", Code("on_hand_expected.csv"),
                       " (the recommended roster), ", Code("stress/"), " (stress tests)",
                       *(text(", ", Code("schedule/"), " (the shift schedule)")
                         if f.b.schedule is not None else ()), ".")),
    ]


def _every_kpi(f: Facts) -> list[Block]:
    """Every KPI of the registry that applies, at the roster the series describe."""
    roster = f.b.roster
    if roster is None or f.b.at(roster) is None:
        return []
    rows = []
    for k in (*KPIS, P_TARGET_MET):
        if not k.applies_to(f.b.scenario):
            continue  # nothing to measure here (no patience, no service-level threshold)
        fmt = k.report_format
        rows.append((text(Code(k.name)), text(k.description),
                     text(f.curve(roster, f"{k.name}_mean", fmt), " [",
                          f.curve(roster, f"{k.name}_ci_low", fmt), ", ",
                          f.curve(roster, f"{k.name}_ci_high", fmt), "]")))
    level = round(100 * f.b.ci_level)
    return [
        Heading(2, "12. Every KPI", "kpis"),
        Paragraph(text("Every KPI capsim measures, with ", f.summary("detail_roster", "int"),
                       " technicians on the roster: the mean over the simulated seasons and "
                       f"its {level} % confidence interval (", Code("curve.csv"), ").")),
        Table(("KPI", "What it measures", f"Mean [{level} % CI]"), tuple(rows),
              (False, False, True)),
    ]


def document(b: Bundle) -> list[Block]:
    """The whole report, section by section."""
    f = Facts(b)
    blocks = executive_summary(b)
    if len(b.curve):
        blocks += _staffing_curve(f) + _season(f) + _utilization(f) + cost_section(f)
    blocks += schedule_section(f)
    return _numbered(blocks + _stress(f) + _analytic(f) + _assumptions(f) + _method(f)
                     + _every_kpi(f))


def _numbered(blocks: list[Block]) -> list[Block]:
    """The sections numbered in order (those a report lacks leave no gap)."""
    count = 0

    def number(block: Block) -> Block:
        nonlocal count
        if not isinstance(block, Heading) or block.level != 2:
            return block
        count += 1
        return replace(block, title=re.sub(r"^\d+\. ", f"{count}. ", block.title))
    return [number(block) for block in blocks]


def title(b: Bundle) -> str:
    """The report's title."""
    return f"Staffing report: {b.scenario.name}"


def _cleared(f: Facts, p: str, backlog: dict[str, Any]) -> list[Any]:
    """Median / p90 hours to clear ("not by the horizon" for a quantile never reached)."""
    parts: list[Any] = []
    for key, after in (("median_hours", " / "), ("p90_hours", "")):
        if backlog[key] is None:
            parts.append("not by the horizon" + after)
        else:
            parts += [f.stress(f"{p}.backlog.{key}", "num0"), " h" + after]
    return [*parts, " (", f.stress(f"{p}.backlog.share_cleared", "pct0"), " of seasons)"]
