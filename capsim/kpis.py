"""The KPI registry: every KPI capsim reports, defined once.

Each :class:`Kpi` says what the KPI is (name, description, unit, kind), how a
replication's values combine into an experiment's answer (its aggregation and interval
method), how it is shown (display format), which way is better, and whether it is
reported per order class. Everything that lists KPIs reads :data:`KPIS`: the metrics
(:mod:`capsim.metrics` computes one value per entry), the result objects, the CLI
tables, ``replications.csv``, ``summary.json``, ``curve.csv``, ``sweep.csv``, the
report and the JSON Schema of the outputs (:func:`interval_schema`,
:func:`kpis_schema`).

Adding a KPI is one entry here plus its computation in :mod:`capsim.metrics` (a test
checks that the two agree).

Two experiment-level quantities are not per-replication KPIs: ``p_target_met`` (the
share of replications meeting the target, :data:`P_TARGET_MET`) and
``on_hand_histogram`` (a distribution, in ``summary.json`` only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["rate", "hours", "count", "technicians", "money"]
Display = Literal["percent", "count", "decimal"]
Aggregation = Literal["mean", "share"]
IntervalMethod = Literal["hall_t", "wilson"]


@dataclass(frozen=True)
class Kpi:
    """One KPI: what it measures and how capsim aggregates and shows it.

    Attributes
    ----------
    name : str
        Its name in every output (part of the public contract, DESIGN.md §4).
    description : str
        One line for people.
    unit : str
        ``share`` (0 to 1), ``hours``, ``orders``, ``technicians`` or ``currency``.
    kind : str
        ``rate``, ``hours``, ``count`` (of orders), ``technicians`` or ``money``.
    aggregation : str
        How replications combine: their ``mean`` or, for :data:`P_TARGET_MET`, the
        ``share`` of replications meeting a target.
    interval : str
        Its confidence interval: ``hall_t`` (the skewness-corrected t interval of
        :func:`capsim.stats.mean_interval`) or ``wilson`` (a share's score interval).
    display : str
        ``percent`` (two decimals), ``count`` (one decimal, thousands separated) or
        ``decimal`` (three decimals).
    smaller_is_better : bool
        A target on it is an upper bound.
    low, high : float
        The range it lives in (intervals are clipped to it).
    sizable : bool
        A roster can be sized on it (it improves as technicians are added).
    per_class : bool
        Reported per order class as well: an order-level KPI, computed from one class's
        orders alone exactly as from all of them (``<name>__<class>`` in CSV files, a
        ``by_class`` object in JSON), in scenarios with two or more classes. Staff KPIs
        and whole-floor ones (``peak_wip``) are not. Such a KPI must come out of the
        order reductions (``capsim.metrics._order_kpis`` and
        ``capsim.engines._reduce._orders``) or the perfect order's
        (``capsim.batch.quality_kpis``), which run once more on each class's orders (and
        the jobs serving them: a rework pass belongs to its order's class, a repeat
        contact is an order of its own class): then it needs no further code to be
        reported per class.
    feature : str or None
        The scenario feature it measures (``patience``: abandonment; ``answer_within``:
        a service-level threshold; ``quality``: defects; ``returns``: repeat contacts;
        ``follow_ups``: either, or holds; ``holds``: information holds; ``costs``: prices;
        ``float_pool``: a float pool; ``agency``: agency staff; ``equipment``:
        workstations that fail; ``supplies``: consumables some class uses); without
        it the KPI is 0 or undefined by construction, and the CLI table leaves it out
        (files keep it).
    """

    name: str
    description: str
    unit: str
    kind: Kind
    display: Display
    smaller_is_better: bool = False
    low: float = 0.0
    high: float = math.inf
    sizable: bool = False
    aggregation: Aggregation = "mean"
    interval: IntervalMethod = "hall_t"
    per_class: bool = False
    feature: Literal["patience", "answer_within", "quality", "returns", "follow_ups", "costs",
                     "float_pool", "agency", "holds", "equipment", "supplies"] | None = None

    def applies_to(self, scenario: Any) -> bool:
        """Whether the scenario has what this KPI measures (see ``feature``)."""
        return self.feature is None or bool(getattr(scenario, f"has_{self.feature}"))

    @property
    def bounds(self) -> tuple[float, float]:
        """``(low, high)``."""
        return self.low, self.high

    @property
    def report_format(self) -> str:
        """How the report shows it (a :data:`capsim.reporting.blocks.FORMATS` name)."""
        return {"percent": "pct1", "count": "num0", "decimal": "num1"}[self.display]

    def format(self, value: float | None) -> str:
        """The value as the CLI table shows it ('-' when undefined)."""
        if value is None or math.isnan(value):
            return "-"
        if self.display == "percent":
            return f"{100 * value:.2f} %"
        if self.display == "count":
            return f"{value:,.1f}"
        return f"{value:.3f}"


def _lead(p: str) -> Kpi:
    return Kpi(f"lead_time_p{p}_hours", f"{p}th percentile of lead time (finish − arrival)",
               "hours", "hours", "decimal", smaller_is_better=True, sizable=True, per_class=True)


def _cost(name: str, what: str) -> Kpi:
    return Kpi(name, f"{what} (in the window)" if name != "cost_per_order" else what,
               "currency", "money", "count", smaller_is_better=True, feature="costs")


KPIS: tuple[Kpi, ...] = (
    Kpi("on_time_rate", "share of counted orders finished by their due time (unfinished "
        "and abandoned ones are late)", "share", "rate",
        "percent", high=1.0, sizable=True, per_class=True),
    Kpi("lead_time_mean_hours", "mean lead time (finish − arrival) of finished orders",
        "hours", "hours", "decimal", smaller_is_better=True, sizable=True, per_class=True),
    *(_lead(p) for p in ("50", "90", "95", "99")),
    Kpi("wait_mean_hours", "mean wait of orders that left the queue (started, or abandoned: "
        "the time until they left)", "hours", "hours",
        "decimal", smaller_is_better=True, sizable=True, per_class=True),
    Kpi("wait_positive_share", "share of counted orders that waited at all", "share", "rate",
        "percent", smaller_is_better=True, high=1.0, sizable=True, per_class=True),
    Kpi("service_level", "share of counted orders that waited at most "
        "targets.answer_within_hours (abandons within it as targets.abandoned_short says)",
        "share", "rate", "percent", high=1.0, sizable=True, per_class=True,
        feature="answer_within"),
    Kpi("utilization", "busy technician-hours / scheduled hours of technicians present",
        "share", "rate", "percent", high=1.0),
    Kpi("overtime_hours", "technician-hours worked past shift end", "hours", "hours",
        "decimal", smaller_is_better=True),
    Kpi("on_hand_mean", "technicians present per day, mean", "technicians", "technicians",
        "decimal"),
    Kpi("on_hand_std", "technicians present per day, standard deviation", "technicians",
        "technicians", "decimal"),
    Kpi("on_hand_min", "technicians present per day, fewest", "technicians", "technicians",
        "count"),
    Kpi("peak_wip", "most orders in-house at any time", "orders", "count", "count",
        smaller_is_better=True, sizable=True),
    Kpi("orders_arrived", "orders arriving after the warm-up", "orders", "count", "count",
        per_class=True),
    Kpi("orders_completed", "of those, finished by the horizon", "orders", "count", "count",
        per_class=True),
    Kpi("orders_unfinished", "of those, unfinished at the horizon", "orders", "count",
        "count", smaller_is_better=True, sizable=True, per_class=True),
    Kpi("abandonment_rate", "share of counted orders that left unserved (patience ran out)",
        "share", "rate", "percent", smaller_is_better=True, high=1.0, sizable=True,
        per_class=True, feature="patience"),
    Kpi("orders_abandoned", "of the orders arrived, left unserved", "orders", "count",
        "count", smaller_is_better=True, per_class=True, feature="patience"),
    Kpi("perfect_order_rate", "share of counted orders on time, right first time and not "
        "abandoned (without quality or returns: the on-time rate)", "share", "rate", "percent",
        high=1.0, sizable=True, per_class=True),
    Kpi("right_first_time_rate", "share of counted orders whose first pass finished that "
        "needed no rework, no remake and brought no repeat contact", "share", "rate",
        "percent", high=1.0, per_class=True, feature="follow_ups"),
    Kpi("rework_hours", "work hours of rework and remake passes started after the warm-up",
        "hours", "hours", "decimal", smaller_is_better=True, per_class=True,
        feature="quality"),
    Kpi("repeat_contacts", "repeat contacts arriving after the warm-up (among orders_arrived)",
        "orders", "count", "count", smaller_is_better=True, per_class=True,
        feature="returns"),
    Kpi("hold_hours", "hours orders arriving after the warm-up spent on hold for an answer "
        "from the customer (holds answered by the horizon)", "hours", "hours", "decimal",
        smaller_is_better=True, per_class=True, feature="holds"),
    Kpi("orders_held", "of the orders arrived, those that waited for an answer from the "
        "customer (answered by the horizon)", "orders", "count", "count",
        smaller_is_better=True, per_class=True, feature="holds"),
    Kpi("stockout_hours", "hours after the warm-up during which at least one order waited "
        "for stock (blocked at its demand moment, not yet started)", "hours", "hours",
        "decimal", smaller_is_better=True, feature="supplies"),
    Kpi("orders_delayed_by_stockout", "of the orders arrived, those that could not start "
        "at their demand moment for lack of stock", "orders", "count", "count",
        smaller_is_better=True, feature="supplies"),
    Kpi("fill_rate", "share of the supply demands (order × supply used) of orders arrived "
        "that found the units on hand at the order's demand moment", "share", "rate",
        "percent", high=1.0, feature="supplies"),
    Kpi("float_call_ins", "technician-days worked by the float pool", "technicians",
        "technicians", "count", feature="float_pool"),
    Kpi("agency_days", "technician-days worked by agency staff booked the day before",
        "technicians", "technicians", "count", feature="agency"),
    Kpi("station_availability", "share of workstation-hours up (not failed or under repair) "
        "after the warm-up", "share", "rate", "percent", high=1.0, feature="equipment"),
    Kpi("hours_lost_to_downtime", "technician-hours station failures took from orders in "
        "hand after the warm-up: waiting for a station up and free after a failure, plus "
        "work thrown away under on_failure = restart", "hours", "hours", "decimal",
        smaller_is_better=True, feature="equipment"),
    Kpi("orders_late", "counted orders late: finished after their due time or unfinished "
        "(abandoned ones are not counted here)", "orders", "count", "count",
        smaller_is_better=True, per_class=True),
    Kpi("late_hours", "hours of lateness summed over the late orders (until the horizon "
        "for unfinished ones)", "hours", "hours", "count", smaller_is_better=True,
        per_class=True),
    *(_cost(name, what) for name, what in (
        ("cost_total", "everything [costs] prices: wages, overtime, cover, float pool, "
         "agency, late and abandoned orders"),
        ("cost_wages", "paid technician-hours at each pattern's wage"),
        ("cost_overtime", "overtime hours at wage × overtime_premium"),
        ("cost_cover", "covered days × cover_per_day"),
        ("cost_float", "float-pool days worked × float_per_day"),
        ("cost_agency", "agency days worked × agency_per_day"),
        ("cost_late", "late orders × late_per_order + hours late × late_per_hour"),
        ("cost_abandoned", "abandoned orders × abandoned_per_order"),
        ("cost_per_order", "cost_total / orders_arrived"))),
)
#: The share of replications whose KPI meets its target (on_time_rate by default).
P_TARGET_MET = Kpi("p_target_met", "share of replications meeting the target", "share",
                   "rate", "percent", high=1.0, aggregation="share", interval="wilson")

BY_NAME: dict[str, Kpi] = {k.name: k for k in (*KPIS, P_TARGET_MET)}
#: The per-replication KPIs, in output order: the columns of ``replications.csv``.
KPI_NAMES: tuple[str, ...] = tuple(k.name for k in KPIS)
#: KPIs for which smaller is better: a target on them is an upper bound.
SMALLER_IS_BETTER = frozenset(k.name for k in KPIS if k.smaller_is_better)
#: KPIs a roster can be sized on.
SIZABLE: tuple[str, ...] = tuple(k.name for k in KPIS if k.sizable)
#: Sizable KPIs that are shares: a target on them lies in (0, 1).
SHARE_KPIS: tuple[str, ...] = tuple(k.name for k in KPIS if k.sizable and k.kind == "rate")
#: The KPIs reported per order class too (order-level ones), in output order.
PER_CLASS: tuple[str, ...] = tuple(k.name for k in KPIS if k.per_class)
#: How a per-class KPI is named in CSV columns: ``<kpi>__<class>``.
CLASS_SEPARATOR = "__"
#: The columns of an interval: ``<kpi>_mean``, ``<kpi>_ci_low``, ``<kpi>_ci_high``.
INTERVAL_COLUMNS = ("mean", "ci_low", "ci_high")


def kpi(name: str) -> Kpi:
    """The registry entry of a KPI (``p_target_met`` included).

    Raises
    ------
    KeyError
        Naming the KPIs there are.
    """
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown KPI {name!r}; known: {', '.join(BY_NAME)}") from None


def relation(name: str) -> str:
    """How a value meets a target on this KPI: ``<=`` (smaller is better) or ``>=``."""
    return "<=" if name in SMALLER_IS_BETTER else ">="


def interval_columns(names: tuple[str, ...] = (*KPI_NAMES, P_TARGET_MET.name)) -> list[str]:
    """The interval columns of ``curve.csv`` and ``sweep.csv``, KPI by KPI."""
    return [f"{name}_{part}" for name in names for part in INTERVAL_COLUMNS]


def class_kpi_name(kpi: str, order_class: str) -> str:
    """A per-class KPI's column name: ``on_time_rate__express``."""
    return f"{kpi}{CLASS_SEPARATOR}{order_class}"


def interval_schema() -> dict[str, Any]:
    """JSON Schema of an interval as ``summary.json`` writes it (null: undefined)."""
    number = {"type": ["number", "null"]}
    return {"type": "object",
            "required": ["mean", "ci_low", "ci_high", "ci_level"],
            "additionalProperties": False,
            "properties": {"mean": number, "ci_low": number, "ci_high": number,
                           "ci_level": {"type": "number"}}}


def kpis_schema(with_target: bool = False) -> dict[str, Any]:
    """JSON Schema of a ``kpis`` object in ``summary.json``: exactly the registry's KPIs.

    ``with_target`` adds ``p_target_met`` (the curve of ``capsim size`` and the points
    of ``capsim sweep`` carry it beside the KPIs).
    """
    names = [*KPI_NAMES, *([P_TARGET_MET.name] if with_target else [])]
    return {"type": "object", "required": names, "additionalProperties": False,
            "properties": {name: {**interval_schema(), "description": BY_NAME[name].description}
                           for name in names}}


def by_class_schema() -> dict[str, Any]:
    """JSON Schema of a ``by_class`` object: ``{class: {kpi: interval}}``, per-class KPIs.

    Empty for a scenario with one class (its per-class numbers are the totals).
    """
    per_class = {"type": "object", "required": list(PER_CLASS), "additionalProperties": False,
                 "properties": {name: {**interval_schema(),
                                       "description": BY_NAME[name].description}
                                for name in PER_CLASS}}
    return {"type": "object", "additionalProperties": per_class,
            "description": "each order class's KPIs, from its orders alone (two or more "
            "classes; empty otherwise)"}
