"""The executive summary: the answer in plain words, each number a :class:`Fact`."""

from __future__ import annotations

from typing import Any

from capsim.analytic.staffing import RuleOfThumb
from capsim.kpis import SHARE_KPIS
from capsim.reporting.blocks import (
    Block,
    Code,
    Fact,
    Heading,
    Paragraph,
    Strong,
    Text,
    text,
)
from capsim.reporting.bundle import Bundle


class Facts:
    """Facts from a bundle's files, each with its source."""

    def __init__(self, b: Bundle):
        self.b = b

    def summary(self, path: str, fmt: str, strong: bool = False) -> Fact:
        """From summary.json, at a dotted path (``on_hand_at_peak.mean``)."""
        return Fact(_at(self.b.summary, path), fmt, f"summary.json:{path}", strong)

    def curve(self, roster: int, column: str, fmt: str) -> Fact:
        """From curve.csv, the row of one roster."""
        row = self.b.at(roster)
        return Fact(None if row is None else row[column], fmt,
                    f"curve.csv:roster={roster}:{column}")

    def stress(self, path: str, fmt: str) -> Fact:
        """From stress/summary.json."""
        assert self.b.stress is not None
        return Fact(_at(self.b.stress, path), fmt, f"stress/summary.json:{path}")

    def schedule(self, path: str, fmt: str) -> Fact:
        """From schedule/summary.json (the recommended shift schedule)."""
        assert self.b.schedule is not None
        return Fact(_at(self.b.schedule, path), fmt, f"schedule/summary.json:{path}")


def _at(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _interval(f: Facts, roster: int, kpi: str, fmt: str) -> Text:
    level = round(100 * f.b.ci_level)
    return text(f.curve(roster, f"{kpi}_mean", fmt), f" ({level} % confidence interval ",
                f.curve(roster, f"{kpi}_ci_low", fmt), " to ",
                f.curve(roster, f"{kpi}_ci_high", fmt), ")")


def _answer(f: Facts) -> list[Block]:
    s = f.b.summary
    n = s["recommended"]
    peak = s["on_hand_at_peak"]
    lead = Paragraph(text(Strong("Roster"), " ", f.summary("recommended", "int", strong=True),
                          " ", Strong("technicians."), " With ",
                          f.summary("recommended", "int"), " on the roster, ",
                          f.summary("on_hand_at_peak.mean", "num1"),
                          " are at work on average on the busiest day (day ",
                          f.summary("on_hand_at_peak.day", "int"), ", about ",
                          f.summary("rough_cut.peak_day_orders", "num0"),
                          " orders expected), and at least ",
                          f.summary("on_hand_at_peak.p10", "int"),
                          " in 9 seasons out of 10."))
    assert peak is not None
    target = f.summary("target", "pct0")
    if s["criterion"] == "mean":
        confidence = text("Over ", f.curve(n, "replications", "int"),
                          " simulated seasons, on-time delivery averages ",
                          *_interval(f, n, "on_time_rate", "pct1"),
                          " against the ", target, " target; ",
                          f.curve(n, "p_target_met_mean", "pct0"),
                          " of the seasons meet the target on their own.")
    else:
        confidence = text("The target of ", target, " on time is met in ",
                          *_interval(f, n, "p_target_met", "pct0"),
                          " of simulated seasons, at least the required ",
                          f.summary("confidence", "pct0"), " (on the interval's lower "
                          "bound); on-time delivery averages ",
                          f.curve(n, "on_time_rate_mean", "pct1"), ".")
    return [lead, Paragraph(confidence)]


def _not_met(f: Facts) -> list[Block]:
    best = f.b.roster
    assert best is not None
    if f.b.summary.get("partial"):
        return [Paragraph(text(Strong("No recommendation yet:"), " the search was stopped "
                               "before it found the smallest roster meeting the target. The "
                               "largest roster evaluated so far, ",
                               f.summary("detail_roster", "int"), " technicians, reaches ",
                               *_interval(f, best, "on_time_rate", "pct1"), " on time."))]
    return [Paragraph(text(Strong("No roster evaluated meets the target."), " The largest "
                           "evaluated, ", f.summary("detail_roster", "int"),
                           " technicians, reaches ",
                           *_interval(f, best, "on_time_rate", "pct1"),
                           " on time. Raise --max, or revisit the target or the "
                           "promise."))]


def _targets(f: Facts) -> Paragraph | None:
    """Each target the roster must meet at once, and the one that sets it (two or more)."""
    goals = f.b.summary.get("targets", [])
    if len(goals) < 2:
        return None
    parts: list[Any] = ["The roster must meet every target at once: "]
    for i, goal in enumerate(goals):
        fmt = "pct1" if goal["kpi"] in SHARE_KPIS else "num1"
        where = "" if goal["order_class"] is None else f" of {goal['order_class']}"
        parts += [*(["; "] if i else []), f"{goal['kpi']}{where} {goal['relation']} ",
                  f.summary(f"targets.{i}.target", fmt), " (met alone from ",
                  *([f.summary(f"targets.{i}.needs", "int")] if goal["needs"] is not None
                    else ["no evaluated roster"]), ")"]
    bind = f.b.summary.get("binding")
    if bind is not None:
        where = "" if bind["order_class"] is None else f" of {bind['order_class']}"
        parts += [". The target that sets the roster: ", Strong(f"{bind['kpi']}{where}"),
                  " (the one that needs the most technicians)."]
    return Paragraph(text(*parts))


def _rule_of_thumb(f: Facts) -> Paragraph:
    s = f.b.summary
    rule = s["rule_of_thumb"]
    per = RuleOfThumb().orders_in_house_per_technician
    parts: list[Any] = [f"The rule of thumb, one technician per {per:g} orders in-house, "
                        "says ", f.summary("rule_of_thumb", "int"), " for the busiest day. "]
    if f.b.at(rule) is not None:
        parts += ["With ", f.curve(rule, "roster", "int"), " on the roster, on-time delivery "
                  "averages only ", f.curve(rule, "on_time_rate_mean", "pct1"), " and ",
                  f.curve(rule, "p_target_met_mean", "pct0"),
                  " of the seasons meet the target. "]
    parts += ["The rule counts heads, not people at work: technicians are scheduled on ",
              f.summary("rough_cut.scheduled_share", "pct0"), " of days and at work on ",
              f.summary("rough_cut.presence", "pct0"), " of those on the busiest day "
              "(absence net of cover, vacation, illness). And orders do not arrive evenly: "
              "they peak within the day and the week and surge for holidays and "
              "promotions, while each must be done within its promise, so capacity has to "
              "cover the peaks rather than the average."]
    return Paragraph(text(*parts))


def stock_change(f: Facts, i: int) -> list[Any]:
    """A supplier stop's stock KPIs over the season, with it and without it (same seasons).

    Its own supply's when the stress results carry per-supply figures, else all supplies'.
    """
    assert f.b.stress is not None
    event = f.b.stress["events"][i]
    names = [entry["supply"] for entry in event.get("by_supply", [])]
    p = f"events.{i}"
    if event.get("supply") in names:
        j = names.index(event["supply"])
        at, base, whose = f"{p}.by_supply.{j}", f"baseline.by_supply.{j}", f"{event['supply']}'s"
    else:
        at, base, whose = f"{p}.stock", "baseline.stock", "all supplies'"
    return [f"Over the season, {whose} fill rate is ", f.stress(f"{at}.fill_rate.mean", "pct1"),
            " (", f.stress(f"{base}.fill_rate.mean", "pct1"), " without it), with ",
            f.stress(f"{at}.stockout_hours.mean", "num1"), " hours of stock-out (",
            f.stress(f"{base}.stockout_hours.mean", "num1"), ") and ",
            f.stress(f"{at}.orders_delayed_by_stockout.mean", "num1"),
            " orders delayed by stock-outs (",
            f.stress(f"{base}.orders_delayed_by_stockout.mean", "num1"), ")."]


def _supplier_words(f: Facts, i: int) -> Text:
    """For a supplier stop, the orders due after it and what it did to the stock."""
    assert f.b.stress is not None
    event = f.b.stress["events"][i]
    if event["kind"] != "supplier" or "stock" not in event:
        return text()
    p = f"events.{i}"
    return text(" Of the orders due in the ", f.stress("after_days", "int"), " days after "
                "it, ", f.stress(f"{p}.on_time_after.mean", "pct1"), " are on time (",
                f.stress(f"{p}.baseline_on_time_after.mean", "pct1"), " without it). ",
                *stock_change(f, i))


def _worst_stress(f: Facts) -> Paragraph | None:
    stress = f.b.stress
    if not stress or not stress["events"]:
        return None
    during = [e["on_time_during"]["mean"] for e in stress["events"]]
    worst = min(range(len(during)), key=lambda i: (during[i] is None, during[i]))
    path = f"events.{worst}"
    event = stress["events"][worst]
    backlog = event["backlog"]
    cleared = (text(" The extra backlog is cleared ", f.stress(f"{path}.backlog.median_hours",
                                                               "num0"),
                    " hours after it ends (median season).")
               if backlog["median_hours"] is not None else
               text(" The extra backlog is not cleared by the end of the season."))
    return Paragraph(text("What breaks the plan: of the stress tests at ",
                          f.stress("roster", "int"), " technicians, the hardest is ",
                          Strong(event["name"]), f" ({event['description']}): on-time "
                          "delivery of the orders due during it falls to ",
                          f.stress(f"{path}.on_time_during.mean", "pct1"), " from ",
                          f.stress(f"{path}.baseline_on_time_during.mean", "pct1"),
                          ".", *_supplier_words(f, worst), *cleared))


def _partial(b: Bundle) -> Paragraph:
    """What a Ctrl-C cut short, and how to complete it."""
    words = text(Strong("Partial results:"), " the run was interrupted; what completed is "
                 "shown.")
    undone = [*b.missing]
    if b.stress is not None and b.stress.get("partial"):
        undone.insert(0, "some of the stress tests")
    if b.schedule is not None and b.schedule.get("partial"):
        undone.append("the rest of the shift schedule search")
    if undone:
        words += text(f" Not done: {' and '.join(undone)}.")
    if not b.summary.get("partial"):
        words += text(" ", Code("capsim report --from"), " this folder completes it without "
                      "repeating the staffing search.")
    return Paragraph(words)


def executive_summary(b: Bundle) -> list[Block]:
    """Section 1: the recommendation, its confidence, the rule of thumb, the worst stress."""
    f = Facts(b)
    blocks: list[Block] = [Heading(2, "1. Executive summary", "summary")]
    if b.partial:
        blocks.append(_partial(b))
    if b.summary["recommended"] is not None:
        blocks += _answer(f)
    elif b.roster is not None:
        blocks += _not_met(f)
    targets = _targets(f)
    if targets is not None:
        blocks.append(targets)
    blocks.append(_rule_of_thumb(f))
    worst = _worst_stress(f)
    if worst is not None:
        blocks.append(worst)
    return blocks
