"""Work that work creates: rework, remakes and repeat contacts, drawn before any dynamics.

The engines simulate *jobs*. Jobs 0..n-1 are the orders that arrive from outside
(in arrival order); a *follow-up* job has a predecessor job and a delay instead of an
arrival time: it joins the queue at the predecessor's finish + delay, if that is
before the horizon, and never if the predecessor did not finish. Every follow-up is
drawn here, from the source's own streams, so that the roster never changes what was
drawn (common random numbers) and a scenario without ``quality`` or ``returns`` draws
nothing from them (its numbers stay as they were).

Per source of orders (see :mod:`capsim.sampling`), generation by generation:

1. *Passes* (``quality`` stream): each contact's pass is wrong with probability
   1 − right_first_time of its class; a wrong pass has a successor pass, a *rework*
   (found by the internal check: delay 0) or, with probability ``found_by_customer``,
   a *remake* (found by the customer: delay ``remake_delay``), of work ``rework``
   (default: the class's work). Drawn round by round over the contacts still wrong,
   at most :data:`~capsim.scenario.orders.MAX_PASSES` passes per contact (the last is
   then right; at right_first_time >= 0.05 that cap is never reached in practice).
2. *Returns* (``returns`` stream): with the original class's ``probability`` a
   contact comes back ``delay`` after its last pass finishes, as a new order of class
   ``as_class`` (its own work draw + ``extra_minutes``, its own patience), up to
   ``max_returns`` repeat contacts per original order. Its passes are drawn in the
   next generation (from the ``quality`` stream, after all earlier generations').

So the first generation's quality draws never depend on returns, and neither stream
changes arrivals, work contents or patience.

Information holds (:class:`~capsim.scenario.Hold`, drawn by :func:`holds` before the
follow-ups, from the source's ``holds`` stream: one uniform per order, whether it
needs an answer; and its ``hold_response`` stream: the response times of the orders
held, class by class): an order held *before* the work keeps its job and joins the
queue ``response`` after its arrival (:mod:`capsim.sampling` shifts its arrival;
:mod:`capsim.jobs` sets its due); an order held *during* the work is split in two:
its own job does the first part (``at`` of its work), and a follow-up job of kind
:data:`HOLD` does the rest, joining ``response`` after the first part finishes
(delay = response; it never abandons, and it is a pass of the same order, so the
order's finish is its last pass's). Its rework and remakes follow the rest's pass.
Repeat contacts are never held. Without holds neither stream is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from capsim.distributions import work_distribution
from capsim.scenario import Scenario
from capsim.scenario.orders import MAX_PASSES, Duration

#: ``FollowUps.kind`` codes (HOLD: the work left after a hold during the work).
REWORK, REMAKE, REPEAT, HOLD = 1, 2, 3, 4


@dataclass(frozen=True, eq=False)
class FollowUps:
    """The follow-up jobs of a set of orders; job ``n + j`` is follow-up ``j``.

    Attributes
    ----------
    pred : numpy.ndarray
        Predecessor job of each (int64; always a smaller job index).
    delay : numpy.ndarray
        Hours from the predecessor's finish to the join.
    work : numpy.ndarray
        Work content, hours.
    kind : numpy.ndarray
        :data:`REWORK`, :data:`REMAKE`, :data:`REPEAT` or :data:`HOLD` (int8).
    order_class : numpy.ndarray
        Class of the contact the job serves (int16).
    patience : numpy.ndarray
        A repeat contact's patience, hours (inf: none; rework and remakes never
        abandon: the customer is not in the line).
    owner : numpy.ndarray
        The job that starts the contact (order) this job belongs to (a repeat contact:
        itself), int64.
    root : numpy.ndarray
        The original order of the chain (int64, < n).
    """

    pred: np.ndarray
    delay: np.ndarray
    work: np.ndarray
    kind: np.ndarray
    order_class: np.ndarray
    patience: np.ndarray
    owner: np.ndarray
    root: np.ndarray

    @property
    def size(self) -> int:
        """Number of follow-up jobs."""
        return int(self.pred.size)

    def renumbered(self, index: np.ndarray, keep: np.ndarray | None = None) -> FollowUps:
        """These jobs (those in ``keep``) with job numbers mapped through ``index``."""
        fields = [self.pred, self.delay, self.work, self.kind, self.order_class,
                  self.patience, self.owner, self.root]
        if keep is not None:
            fields = [f[keep] for f in fields]
        for i in (0, 6, 7):
            fields[i] = index[fields[i]]
        return FollowUps(*fields)


def hours(tables: Sequence[Duration | None], classes: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """A draw of ``tables[c]`` for each entry of class c, in hours (0 where None).

    Classes draw in turn, each its entries in order (as the work streams always have).
    """
    minutes = np.zeros(classes.size)
    if len(tables) == 1:  # one class: every entry, in order (no search)
        if tables[0] is not None:
            minutes[:] = work_distribution(tables[0]).sample(rng, classes.size)
        return minutes / 60.0
    for index, table in enumerate(tables):
        if table is None:
            continue
        chosen = np.flatnonzero(classes == index)
        minutes[chosen] = work_distribution(table).sample(rng, chosen.size)
    return minutes / 60.0


def work_hours(scenario: Scenario, classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each order's work content by its class, hours."""
    return hours([c.work for c in scenario.order_classes], classes, rng)


def patience_hours(scenario: Scenario, classes: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Each order's patience in hours (inf for a class without patience).

    Zero with the class's ``at_once`` probability, else a draw from its distribution.
    """
    result = np.full(classes.size, np.inf)
    for index, order_class in enumerate(scenario.order_classes):
        patience = order_class.patience
        if patience is None:
            continue
        chosen = np.flatnonzero(classes == index)
        at_once = rng.random(chosen.size) < patience.at_once
        drawn = work_distribution(patience).sample(rng, chosen.size) / 60.0
        result[chosen] = np.where(at_once, 0.0, drawn)
    return result


@dataclass(frozen=True, eq=False)
class Holds:
    """The information holds drawn for a set of orders (see the module docstring).

    Attributes
    ----------
    before : numpy.ndarray
        Per order, hours on hold before it joins the queue (0: not held before).
    work : numpy.ndarray
        Per order, the work of its own job, hours (held during the work: the first part).
    during : numpy.ndarray
        The orders held during the work (int64, ascending).
    response : numpy.ndarray
        Their holds' lengths, hours.
    rest : numpy.ndarray
        Their work after the hold, hours.
    """

    before: np.ndarray
    work: np.ndarray
    during: np.ndarray
    response: np.ndarray
    rest: np.ndarray


def holds(scenario: Scenario, classes: np.ndarray, work: np.ndarray,
          who: np.random.Generator, response: np.random.Generator) -> Holds:
    """Which orders (of the given classes and work, hours) need an answer, and how long it takes.

    ``who`` gives one uniform per order (held below its class's share); ``response``
    the held orders' response times, class by class, each class's in order.
    """
    tables = [c.hold for c in scenario.order_classes]
    share = np.array([0.0 if t is None else t.share for t in tables])
    held = np.flatnonzero(who.random(classes.size) < share[classes])
    cls = classes[held]
    length = hours([None if t is None else t.response for t in tables], cls, response)
    inside = np.array([t is not None and t.when == "during" for t in tables])[cls]
    at = np.array([0.5 if t is None else t.at for t in tables])[cls]
    before = np.zeros(classes.size)
    before[held[~inside]] = length[~inside]
    during = held[inside]
    first = work.copy()
    first[during] = work[during] * at[inside]
    return Holds(before, first, during, length[inside], work[during] - first[during])


class _Builder:
    """Follow-up jobs as they are drawn, numbered from ``first``."""

    def __init__(self, first: int):
        self.first = first
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.count = 0

    def add(self, pred: np.ndarray, delay: np.ndarray, work: np.ndarray, kind: np.ndarray,
            order_class: np.ndarray, patience: np.ndarray, owner: np.ndarray | None,
            root: np.ndarray) -> np.ndarray:
        """Append jobs; their job numbers (an owner of None: each owns itself)."""
        jobs = self.first + self.count + np.arange(pred.size)
        self.parts.append((pred, delay, work, kind.astype(np.int8),
                           order_class.astype(np.int16), patience,
                           jobs if owner is None else owner, root))
        self.count += pred.size
        return jobs

    def done(self) -> FollowUps:
        if not self.parts:
            empty = np.zeros(0)
            ints = np.zeros(0, np.int64)
            return FollowUps(ints, empty, empty, np.zeros(0, np.int8), np.zeros(0, np.int16),
                             empty, ints, ints)
        columns = [np.concatenate(c) for c in zip(*self.parts, strict=True)]
        for i in (0, 6, 7):
            columns[i] = columns[i].astype(np.int64)
        return FollowUps(*columns)


def _passes(scenario: Scenario, jobs: np.ndarray, tail: np.ndarray, classes: np.ndarray,
            root: np.ndarray, rng: np.random.Generator, out: _Builder) -> np.ndarray:
    """Draw the rework and remakes of contacts started by ``jobs``; each one's last pass.

    ``tail`` is each contact's job that ends its first pass (the work left after a hold,
    else the contact's own job).
    """
    quality = [c.quality for c in scenario.order_classes]
    right = np.array([1.0 if q is None else q.right_first_time for q in quality])
    customer = np.array([0.0 if q is None else q.found_by_customer for q in quality])
    rework = [None if q is None else (q.rework or c.work)
              for q, c in zip(quality, scenario.order_classes, strict=True)]
    remake = [None if q is None else q.remake_delay for q in quality]
    last = tail.copy()
    alive = np.arange(jobs.size)  # contacts whose latest pass is still to be judged
    for _ in range(MAX_PASSES - 1):
        if alive.size == 0:
            break
        wrong = rng.random(alive.size) >= right[classes[alive]]
        alive = alive[wrong]
        if alive.size == 0:
            break
        cls = classes[alive]
        by_customer = rng.random(alive.size) < customer[cls]
        work = hours(rework, cls, rng)
        delay = np.where(by_customer, hours(remake, cls, rng), 0.0)
        kind = np.where(by_customer, REMAKE, REWORK)
        last[alive] = out.add(last[alive], delay, work, kind, cls, np.full(alive.size, np.inf),
                              jobs[alive], root[alive])
    return last


def _returns(scenario: Scenario, last: np.ndarray, original: np.ndarray, root: np.ndarray,
             generation: int, rng: np.random.Generator, out: _Builder
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw which contacts come back; the repeat contacts' jobs, classes, originals, roots."""
    tables = [c.returns for c in scenario.order_classes]
    probability = np.array([0.0 if t is None or generation >= t.max_returns
                            else t.probability for t in tables])
    names = scenario.class_names
    becomes = np.array([i if t is None or t.as_class is None else names.index(t.as_class)
                        for i, t in enumerate(tables)], dtype=np.int16)
    back = np.flatnonzero(rng.random(last.size) < probability[original])
    original, root = original[back], root[back]
    cls = becomes[original]
    delay = hours([None if t is None else t.delay for t in tables], original, rng)
    work = (work_hours(scenario, cls, rng)
            + hours([None if t is None else t.extra_minutes for t in tables], original, rng))
    patience = (patience_hours(scenario, cls, rng) if scenario.has_patience
                else np.full(cls.size, np.inf))
    jobs = out.add(last[back], delay, work, np.full(back.size, REPEAT), cls, patience, None,
                   root)
    return jobs, cls, original, root


def follow_ups(scenario: Scenario, classes: np.ndarray, quality: np.random.Generator,
               returns: np.random.Generator, held: Holds | None = None) -> FollowUps:
    """The follow-up jobs of orders 0..n-1 of one source, of the given classes.

    Numbered from n in the order drawn (a job's predecessor always comes first): the
    work left after the holds ``held`` during the work first, then the generations.
    """
    n = classes.size
    out = _Builder(n)
    jobs = np.arange(n, dtype=np.int64)
    original, root = classes.copy(), jobs.copy()
    tail = jobs
    if held is not None and held.during.size:
        tail = jobs.copy()
        during = held.during
        tail[during] = out.add(during, held.response, held.rest,
                               np.full(during.size, HOLD), classes[during],
                               np.full(during.size, np.inf), during, during)
    generation = 0
    while jobs.size:
        last = (_passes(scenario, jobs, tail, classes, root, quality, out)
                if scenario.has_quality else tail)
        if not scenario.has_returns:
            break
        jobs, classes, original, root = _returns(scenario, last, original, root, generation,
                                                 returns, out)
        tail = jobs  # a repeat contact is never held
        generation += 1
    return out.done()


def thinned(follow: FollowUps, keep: np.ndarray) -> FollowUps:
    """The follow-ups of the orders kept (``keep``: a mask over the n orders), renumbered."""
    n = keep.size
    kept = keep[follow.root]
    index = np.empty(n + follow.size, np.int64)
    index[:n] = np.cumsum(keep) - 1
    index[n:] = keep.sum() + np.cumsum(kept) - 1
    return follow.renumbered(index, kept)


def merged(parts: Sequence[tuple[int, FollowUps]], position: np.ndarray) -> FollowUps:
    """Several sources' follow-ups as one, after their orders were merged.

    ``parts`` gives each source's order count and follow-ups; ``position[i]`` is where
    order i of the sources' concatenation went (follow-ups go after all orders, source
    by source).
    """
    total = position.size
    renumbered = []
    first, later = 0, total
    for count, follow in parts:
        index = np.concatenate([position[first:first + count],
                                later + np.arange(follow.size)]).astype(np.int64)
        renumbered.append(follow.renumbered(index))
        first += count
        later += follow.size
    columns = [np.concatenate(c) for c in zip(*(
        (f.pred, f.delay, f.work, f.kind, f.order_class, f.patience, f.owner, f.root)
        for f in renumbered), strict=True)]
    return FollowUps(*columns)
