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
from typing import Any

from capsim.cli.args import COUNT, NON_NEGATIVE, POSITIVE, PROBABILITY, add_debug, add_overrides
from capsim.errors import CapsimError


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
        parser.add_argument("--servers", type=COUNT, required=True, metavar="C")
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

    try:
        q = ErlangA(args.arrival_rate, args.service_rate, args.servers, args.patience_rate)
    except ValueError as exc:
        raise CapsimError(str(exc)) from None
    rows: list[tuple[str, Any]] = [
        ("P(wait > 0)", q.delay_probability), ("P(abandon)", q.abandon_probability),
        ("mean wait (h)", q.mean_wait), ("mean queue length", q.mean_queue)]
    data = {"servers": args.servers, "patience_rate": args.patience_rate,
            "delay_probability": q.delay_probability,
            "abandon_probability": q.abandon_probability, "mean_wait_hours": q.mean_wait,
            "mean_queue_length": q.mean_queue}
    if args.within is not None:
        rows.append((f"P(served within {args.within:g} h)", q.served_within(args.within)))
        data["served_within"] = q.served_within(args.within)
    return _emit(args, f"Erlang A (M/M/c+M): c = {args.servers}, patience rate "
                 f"{args.patience_rate:g}/h", rows, data)


def _min_servers(args: argparse.Namespace) -> int:
    from capsim.analytic import MMc, min_servers
    from capsim.analytic.erlang import _metric_value

    try:
        c = min_servers(args.arrival_rate, args.service_rate, args.target, args.metric,
                        args.within)
    except ValueError as exc:
        raise CapsimError(str(exc)) from None

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


def _scenario(args: argparse.Namespace):
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


def register(commands: Any) -> None:
    """Add ``analytic`` (with its subcommands) and ``quick``."""
    analytic = commands.add_parser("analytic", help="closed-form queueing and staffing")
    sub = analytic.add_subparsers(dest="formula", required=True, metavar="FORMULA")
    p = sub.add_parser("erlang-b", help="M/M/c/c blocking")
    _queue_options(p)
    p.set_defaults(handler=_erlang_b)
    p = sub.add_parser("erlang-c", help="M/M/c waits, service level and lead time")
    _queue_options(p)
    p.add_argument("--within", type=NON_NEGATIVE, metavar="T", help="threshold in hours")
    p.set_defaults(handler=_erlang_c)
    p = sub.add_parser("erlang-a", help="M/M/c+M with abandonment")
    _queue_options(p)
    p.add_argument("--patience-rate", type=NON_NEGATIVE, required=True, metavar="THETA")
    p.add_argument("--within", type=NON_NEGATIVE, metavar="T", help="threshold in hours")
    p.set_defaults(handler=_erlang_a)
    p = sub.add_parser("min-servers", help="the fewest M/M/c servers meeting a target")
    _queue_options(p, servers=False)
    p.add_argument("--target", type=POSITIVE, required=True)
    p.add_argument("--metric", default="delay-prob",
                   choices=["delay-prob", "service-level", "on-time", "mean-wait"])
    p.add_argument("--within", type=NON_NEGATIVE, metavar="T", help="threshold in hours")
    p.set_defaults(handler=_min_servers)
    p = sub.add_parser("sqrt-staffing", help="c = a + beta*sqrt(a) against exact Erlang C")
    p.add_argument("--load", type=NON_NEGATIVE, required=True, help="offered load, Erlangs")
    p.add_argument("--delay-prob", type=PROBABILITY, required=True)
    p.add_argument("--json", action="store_true")
    add_debug(p)
    p.set_defaults(handler=_sqrt_staffing)
    p = sub.add_parser("absence-buffer", help="roster so that enough are present")
    p.add_argument("--needed", type=COUNT, required=True, metavar="K")
    p.add_argument("--presence", type=PROBABILITY, required=True, metavar="P")
    p.add_argument("--confidence", type=PROBABILITY, required=True, metavar="ALPHA")
    p.add_argument("--scheduled-share", type=PROBABILITY, default=1.0,
                   help="share of the roster scheduled on a day (5/7 = 0.714...)")
    p.add_argument("--json", action="store_true")
    add_debug(p)
    p.set_defaults(handler=_absence_buffer)
    for name, handler, text in [("offered-load", _offered_load, "m(t) hour by hour"),
                                ("quick", _quick, "rough-cut roster (no simulation)")]:
        parent = sub if name == "offered-load" else commands
        p = parent.add_parser(name, help=text)
        p.add_argument("scenario", type=Path)
        add_overrides(p)
        p.add_argument("--json", action="store_true")
        add_debug(p)
        p.set_defaults(handler=handler)
        if name == "offered-load":
            p.add_argument("--delay-prob", type=PROBABILITY, default=0.05)
        else:
            p.add_argument("--confidence", type=PROBABILITY, default=0.9)
            p.add_argument("--target", type=PROBABILITY, help="on-time target (default: the "
                           "scenario's)")
