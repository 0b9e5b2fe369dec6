"""``capsim analytic ...`` (the closed forms) and ``capsim quick`` (a rough-cut roster).

Rates are per hour and times in hours. Output is a readable table, or JSON with
``--json`` (infinite values, e.g. the wait of an overloaded queue, become null
beside ``"stable": false``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capsim.cli.args import COUNT, NON_NEGATIVE, POSITIVE, PROBABILITY, add_debug, add_overrides

if TYPE_CHECKING:
    from capsim.scenario import Scenario


def _number(value: float) -> str:
    return "inf" if value == math.inf else f"{value:.6g}"


def _emit(args: argparse.Namespace, title: str, rows: list[tuple[str, Any]],
          data: dict[str, Any]) -> int:
    from capsim.output import json_ready

    if args.json:
        print(json.dumps(json_ready(data), indent=2))
        return 0
    print(title)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        shown = _number(value) if isinstance(value, float) else str(value)
        print(f"  {label:<{width}}  {shown}")
    return 0


def _queue_options(parser: argparse.ArgumentParser, servers: bool = True) -> None:
    parser.add_argument("--arrival-rate", type=NON_NEGATIVE, required=True, metavar="L",
                        help="arrivals per hour")
    parser.add_argument("--service-rate", type=POSITIVE, required=True, metavar="M",
                        help="services per hour per server")
    if servers:
        parser.add_argument("--servers", type=COUNT, required=True, metavar="C",
                            help="number of servers (technicians)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_debug(parser)


def _erlang_b(args: argparse.Namespace) -> int:
    from capsim.analytic import erlang_b

    load = args.arrival_rate / args.service_rate
    b = erlang_b(args.servers, load)
    return _emit(args, f"Erlang B (M/M/c/c, blocked orders lost): c = {args.servers}, "
                 f"offered load {load:g} Erlangs",
                 [("P(blocked)", b), ("carried load (Erlangs)", load * (1 - b))],
                 {"servers": args.servers, "load": load, "blocking_probability": b})


def _erlang_c(args: argparse.Namespace) -> int:
    from capsim.analytic import MMc

    q = MMc(args.arrival_rate, args.service_rate, args.servers)
    rows: list[tuple[str, Any]] = [
        ("utilization", q.utilization), ("P(wait > 0)", q.delay_probability),
        ("mean wait (h)", q.mean_wait), ("mean queue length", q.mean_queue_length),
        ("mean in system", q.mean_in_system), ("mean lead time (h)", q.mean_sojourn)]
    data: dict[str, Any] = {"servers": q.servers, "load": q.load, "stable": q.stable,
                            **{k.replace(" ", "_"): v for k, v in [
                                ("utilization", q.utilization),
                                ("delay_probability", q.delay_probability),
                                ("mean_wait_hours", q.mean_wait),
                                ("mean_queue_length", q.mean_queue_length),
                                ("mean_in_system", q.mean_in_system),
                                ("mean_lead_time_hours", q.mean_sojourn)]}}
    if args.within is not None:
        rows += [(f"P(wait <= {args.within:g} h)", q.service_level(args.within)),
                 (f"P(lead time <= {args.within:g} h)", q.sojourn_cdf(args.within))]
        data.update(within_hours=args.within, service_level=q.service_level(args.within),
                    on_time=q.sojourn_cdf(args.within))
    title = (f"M/M/c (Erlang C): c = {q.servers}, offered load {q.load:g} Erlangs"
             + ("" if q.stable else " -- UNSTABLE: load >= servers, waits grow without bound"))
    return _emit(args, title, rows, data)


def _erlang_a(args: argparse.Namespace) -> int:
    from capsim.analytic import ErlangA

    q = ErlangA(args.arrival_rate, args.service_rate, args.servers, args.patience_rate)
    rows: list[tuple[str, Any]] = [
        ("P(wait > 0)", q.delay_probability), ("P(abandon)", q.abandon_probability),
        ("mean wait (h)", q.mean_wait), ("mean queue length", q.mean_queue)]
    data = {"servers": args.servers, "patience_rate": args.patience_rate,
            "delay_probability": q.delay_probability,
            "abandon_probability": q.abandon_probability, "mean_wait_hours": q.mean_wait,
            "mean_queue_length": q.mean_queue}
    if args.within is not None:
        rows += [(f"P(served within {args.within:g} h)", q.served_within(args.within)),
                 (f"P(served, lead time <= {args.within:g} h)",
                  q.on_time_within(args.within))]
        data.update(within_hours=args.within, served_within=q.served_within(args.within),
                    on_time=q.on_time_within(args.within))
    return _emit(args, f"Erlang A (M/M/c+M): c = {args.servers}, patience rate "
                 f"{args.patience_rate:g}/h", rows, data)


def _feedback(args: argparse.Namespace) -> int:
    from capsim.analytic import MMcFeedback

    q = MMcFeedback(args.arrival_rate, args.service_rate, args.servers, args.right_first_time)
    passes = q.per_pass
    values = [("pass_rate", passes.arrival_rate), ("utilization", passes.utilization),
              ("mean_passes", q.mean_passes), ("delay_probability", passes.delay_probability),
              ("mean_wait_per_pass_hours", q.mean_wait_per_pass),
              ("mean_wait_hours", q.mean_wait), ("mean_lead_time_hours", q.mean_sojourn)]
    labels = ["passes per hour (lambda/p)", "utilization", "mean passes per order",
              "P(a pass waits)", "mean wait per pass (h)", "mean wait per order (h)",
              "mean lead time (h)"]
    rows: list[tuple[str, Any]] = [(label, v) for label, (_, v) in zip(labels, values,
                                                                       strict=True)]
    title = (f"M/M/c with rework (Bernoulli feedback): c = {q.servers}, right first time "
             f"{q.right_first_time:g}" + ("" if passes.stable else
                                          " -- UNSTABLE: passes outrun the servers"))
    return _emit(args, title, rows, {"servers": q.servers,
                                     "right_first_time": q.right_first_time,
                                     "stable": passes.stable, **dict(values)})


def _min_servers(args: argparse.Namespace) -> int:
    from capsim.analytic import MMc, min_servers
    from capsim.analytic.erlang import _metric_value

    c = min_servers(args.arrival_rate, args.service_rate, args.target, args.metric,
                    args.within)

    def value(servers: int) -> float:
        q = MMc(args.arrival_rate, args.service_rate, servers)
        return _metric_value(args.metric, servers, q.arrival_rate, q.service_rate,
                             q.delay_probability, args.within)

    rows: list[tuple[str, Any]] = [("minimal servers", c), (f"{args.metric} at {c}", value(c))]
    if c > 0:
        rows.append((f"{args.metric} at {c - 1}", value(c - 1)))
    return _emit(args, f"Minimal M/M/c servers: {args.metric} target {args.target:g}"
                 + (f" within {args.within:g} h" if args.within is not None else ""), rows,
                 {"servers": c, "metric": args.metric, "target": args.target,
                  "within_hours": args.within, "value": value(c)})


def _sqrt_staffing(args: argparse.Namespace) -> int:
    from capsim.analytic import erlang_c, sqrt_staffing

    s = sqrt_staffing(args.load, args.delay_prob)
    return _emit(args, f"Square-root staffing: load {args.load:g} Erlangs, P(wait > 0) <= "
                 f"{args.delay_prob:g}",
                 [("beta (Halfin-Whitt)", s.beta), ("c = a + beta*sqrt(a)", s.servers),
                  ("P(wait > 0) at that c", erlang_c(s.servers, args.load)),
                  ("exact Erlang C minimum", s.exact_servers),
                  ("P(wait > 0) at the minimum", erlang_c(s.exact_servers, args.load))],
                 {"load": s.load, "beta": s.beta, "servers": s.servers,
                  "exact_servers": s.exact_servers})


def _absence_buffer(args: argparse.Namespace) -> int:
    from capsim.analytic import absence_buffer
    from capsim.analytic.staffing import on_hand_at_least

    n = absence_buffer(args.needed, args.presence, args.confidence, args.scheduled_share)
    chance = on_hand_at_least(n, args.needed, args.presence, args.scheduled_share)
    rows: list[tuple[str, Any]] = [("roster", n), (f"P(on hand >= {args.needed})", chance)]
    if n > 0:
        rows.append((f"... with {n - 1}", on_hand_at_least(n - 1, args.needed, args.presence,
                                                           args.scheduled_share)))
    return _emit(args, f"Absence buffer: {args.needed} needed on hand, presence "
                 f"{args.presence:g}, scheduled share {args.scheduled_share:g}", rows,
                 {"roster": n, "needed": args.needed, "probability": chance})


def _scenario(args: argparse.Namespace) -> Scenario:
    from capsim.scenario import load_scenario

    return load_scenario(args.scenario, args.overrides)


def _offered_load(args: argparse.Namespace) -> int:
    import numpy as np

    from capsim.analytic import mol_staffing, offered_load, psa_staffing
    from capsim.demand import rate_at

    scenario = _scenario(args)
    hours = np.arange(0.0, scenario.horizon_hours, 1.0)
    load = offered_load(scenario, hours)
    rate = rate_at(scenario, hours)
    mol = mol_staffing(load, args.delay_prob)
    psa = psa_staffing(scenario, hours, args.delay_prob)
    if args.json:
        print(json.dumps({"hour": hours.tolist(), "rate_per_hour": rate.tolist(),
                          "offered_load": load.tolist(), "mol_servers": mol.tolist(),
                          "psa_servers": psa.tolist()}))
        return 0
    print(f"{scenario.name}: offered load m(t) of the M_t/G/inf queue, and staffing for "
          f"P(wait > 0) <= {args.delay_prob:g}")
    print(f"{'hour':>6} {'rate/h':>9} {'m(t)':>9} {'MOL':>5} {'PSA':>5}")
    for h, r, m, a, b in zip(hours, rate, load, mol, psa, strict=True):
        print(f"{h:6.0f} {r:9.3f} {m:9.3f} {a:5d} {b:5d}")
    return 0


def _quick(args: argparse.Namespace) -> int:
    from capsim.analytic import rough_cut

    cut = rough_cut(_scenario(args), args.confidence, args.target)
    rows: list[tuple[str, Any]] = [
        ("rough-cut roster", cut.roster), ("lower bound", cut.lower_bound),
        ("on hand needed at the peak", cut.on_hand),
        ("busiest day (orders)", f"day {cut.peak_day} ({cut.peak_day_orders:,.0f})"),
        ("rule of thumb (1 per 100 in-house)", cut.rule_of_thumb)]
    if args.json:
        return _emit(args, "", rows, cut.__dict__ | {"assumptions": list(cut.assumptions)})
    _emit(args, "Rough cut (analytic, no simulation):", rows, {})
    print("assumptions:")
    for note in cut.assumptions:
        print(f"  - {note}")
    return 0


def _formula(sub: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    result: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=description)
    return result


def _json_and_debug(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_debug(parser)


def _with_scenario(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario file (TOML)")
    add_overrides(parser)
    _json_and_debug(parser)


def register(commands: Any) -> None:
    """Add ``analytic`` (with its subcommands) and ``quick``."""
    analytic = commands.add_parser(
        "analytic", help="closed-form queueing and staffing",
        description="Closed-form queueing and staffing results, no simulation. Rates are "
        "per hour, times in hours; FORMULA --help says what each takes.")
    sub = analytic.add_subparsers(dest="formula", required=True, metavar="FORMULA")
    p = _formula(sub, "erlang-b", "M/M/c/c blocking",
                 "Erlang B: the chance that an arriving order finds all C servers busy and "
                 "is lost (no queue), and the load they carry.")
    _queue_options(p)
    p.set_defaults(handler=_erlang_b)
    p = _formula(sub, "erlang-c", "M/M/c waits, service level and lead time",
                 "Erlang C: the M/M/c queue's chance of waiting, mean wait, queue length "
                 "and lead time; with --within, the chance of waiting or of a lead time no "
                 "longer than T.")
    _queue_options(p)
    p.add_argument("--within", type=NON_NEGATIVE, metavar="T", help="threshold in hours")
    p.set_defaults(handler=_erlang_c)
    p = _formula(sub, "erlang-a", "M/M/c+M with abandonment",
                 "Erlang A: the M/M/c queue whose waiting orders abandon at rate THETA each "
                 "(exponential patience): chance of waiting, of abandoning, mean wait.")
    _queue_options(p)
    p.add_argument("--patience-rate", type=NON_NEGATIVE, required=True, metavar="THETA",
                   help="abandonments per hour per waiting order (1 / mean patience in "
                   "hours)")
    p.add_argument("--within", type=NON_NEGATIVE, metavar="T", help="threshold in hours")
    p.set_defaults(handler=_erlang_a)
    p = _formula(sub, "feedback", "M/M/c with immediate rework",
                 "M/M/c with Bernoulli feedback: each finished pass is right with "
                 "probability P, else the order rejoins the queue for another pass. Every "
                 "pass waits as in the M/M/c queue at lambda/P; an order takes 1/P passes "
                 "on average.")
    _queue_options(p)
    p.add_argument("--right-first-time", type=float, required=True, metavar="P",
                   help="probability that a pass is right, in (0, 1]")
    p.set_defaults(handler=_feedback)
    p = _formula(sub, "min-servers", "the fewest M/M/c servers meeting a target",
                 "The smallest number of M/M/c servers meeting a target on the chance of "
                 "waiting, the service level, the on-time share or the mean wait.")
    _queue_options(p, servers=False)
    p.add_argument("--target", type=POSITIVE, required=True,
                   help="the target: a probability for delay-prob (at most), service-level "
                   "and on-time (at least); hours for mean-wait (at most)")
    p.add_argument("--metric", default="delay-prob",
                   choices=["delay-prob", "service-level", "on-time", "mean-wait"],
                   help="P(wait > 0) (default), P(wait <= T), P(lead time <= T) or the "
                   "mean wait")
    p.add_argument("--within", type=NON_NEGATIVE, metavar="T", help="threshold in hours "
                   "(service-level, on-time)")
    p.set_defaults(handler=_min_servers)
    p = _formula(sub, "sqrt-staffing", "c = a + beta*sqrt(a) against exact Erlang C",
                 "Square-root (Halfin-Whitt) staffing for an offered load, beside the exact "
                 "Erlang C minimum.")
    p.add_argument("--load", type=NON_NEGATIVE, required=True, help="offered load, Erlangs")
    p.add_argument("--delay-prob", type=PROBABILITY, required=True, metavar="P",
                   help="the most P(wait > 0) allowed")
    _json_and_debug(p)
    p.set_defaults(handler=_sqrt_staffing)
    p = _formula(sub, "absence-buffer", "roster so that enough are present",
                 "The smallest roster with at least K technicians on hand with probability "
                 "ALPHA, each scheduled and present independently (binomial).")
    p.add_argument("--needed", type=COUNT, required=True, metavar="K",
                   help="technicians needed on hand")
    p.add_argument("--presence", type=PROBABILITY, required=True, metavar="P",
                   help="chance that a scheduled technician is present (1 - absence rate)")
    p.add_argument("--confidence", type=PROBABILITY, required=True, metavar="ALPHA",
                   help="the chance of having at least K on hand")
    p.add_argument("--scheduled-share", type=PROBABILITY, default=1.0,
                   help="share of the roster scheduled on a day (5/7 = 0.714...)")
    _json_and_debug(p)
    p.set_defaults(handler=_absence_buffer)
    p = _formula(sub, "offered-load", "m(t) hour by hour",
                 "The offered load m(t) of the scenario's demand (the M_t/G/inf queue), "
                 "hour by hour, and the servers the modified-offered-load (MOL) and "
                 "pointwise-stationary (PSA) rules staff for it.")
    _with_scenario(p)
    p.add_argument("--delay-prob", type=PROBABILITY, default=0.05, metavar="P",
                   help="the most P(wait > 0) the staffing rules allow (default 0.05)")
    p.set_defaults(handler=_offered_load)
    p = commands.add_parser(
        "quick", help="rough-cut roster (no simulation)",
        description="The analytic rough cut of the roster, in milliseconds and without "
        "simulating: the technicians needed on hand at the peak (with a safety buffer), "
        "inflated for days off, vacation and absence; with the lower bound below which no "
        "roster keeps up, and the rule of thumb. The simulation (capsim size) refines it.")
    _with_scenario(p)
    p.add_argument("--confidence", type=PROBABILITY, default=0.9,
                   help="chance of having enough technicians on hand on the busiest day "
                   "(default 0.9)")
    p.add_argument("--target", type=PROBABILITY, help="on-time target (default: the "
                   "scenario's)")
    p.set_defaults(handler=_quick)
