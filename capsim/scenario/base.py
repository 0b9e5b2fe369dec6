"""Shared building blocks of the scenario schema.

The base model, the constrained types every table uses (numbers with a finite
range, names, weekdays), the limits they are checked against, and
:class:`FieldError` for rules that relate several fields.

Units throughout the schema: times in hours from the start of day 0, calendar
spans in whole days, work contents in minutes, rates per hour.

Every number has a finite range (see the ``MAX_`` constants); numbers and
booleans are strict: ``rate_per_hour = true``, ``always_on = "yes"`` and
``horizon_days = "10"`` are refused rather than read as 1, true and 10. Names
(of the scenario, classes, shifts, surges, batches, stress events) are one line of
at most :data:`MAX_NAME_LENGTH` characters with no control characters, so that
they print safely on a terminal and in every file capsim writes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    WithJsonSchema,
)

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Longest horizon: ten years. Every day field (windows, outbreaks, stress events) lies in it.
MAX_HORIZON_DAYS = 3660
#: Every time field (surges, batches, promises) lies in [0, MAX_HOURS].
MAX_HOURS = 24.0 * MAX_HORIZON_DAYS
#: Highest arrival rate, orders per hour: for ``rate_per_hour`` and for the peak of the
#: whole rate (profiles, overlapping surges and demand stress events multiplied).
MAX_RATE_PER_HOUR = 1e6
#: Largest factor in a profile, a surge or a demand stress event.
MAX_MULTIPLIER = 1000.0
#: Largest roster (and shift count, and technicians in a stress event).
MAX_ROSTER = 100_000
#: Longest mean work content, minutes (about 69 days of touch time per order).
MAX_WORK_MINUTES = 100_000.0
#: Coefficient-of-variation range of lognormal and gamma work contents.
MIN_CV, MAX_CV = 0.001, 10.0
#: Largest forecast coefficient of variation.
MAX_FORECAST_CV = 2.0
#: Most orders in one batch drop.
MAX_BATCH_ORDERS = 10_000_000
#: Most replications a scenario may ask for.
MAX_REPLICATIONS = 1_000_000
#: Largest seed (TOML's largest integer).
MAX_SEED = 2**63 - 1
#: Class priorities lie in [-MAX_PRIORITY, MAX_PRIORITY].
MAX_PRIORITY = 1_000_000
#: Most entries in any list of tables (surges, batches, blackouts, ...).
MAX_ENTRIES = 1000
#: Most order classes.
MAX_CLASSES = 100
#: Longest name, and longest description, in characters.
MAX_NAME_LENGTH, MAX_TEXT_LENGTH = 200, 10_000

# C0 controls, DEL and C1 controls: never in a name; in a description only tab and newline.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _no_control(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"contains the control character {found.group()!r} at position "
                         f"{found.start()}")
    return value


def _text(value: str) -> str:
    found = _TEXT_CONTROL.search(value)
    if found:
        raise ValueError(f"contains the control character {found.group()!r} at position "
                         f"{found.start()}")
    return value


_WEEKDAY_LENGTH = 32  # longest weekday text, spaces around the name included


def _weekday(value: Any) -> Any:
    """Accept 0-6 (Monday first) or a day name such as "Mon" or "monday"."""
    if isinstance(value, str):
        key = value.strip().lower() if len(value) <= _WEEKDAY_LENGTH else ""
        for index, name in enumerate(WEEKDAY_NAMES):
            if key in (name, name[:3]):
                return index
        raise ValueError("is not a weekday")
    return value


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in word)


# The JSON Schema of a weekday says what _weekday accepts: 0-6 or a name, in any case.
_WEEKDAY_PATTERN = ("^\\s*(" + "|".join(
    f"{_any_case(name[:3])}({_any_case(name[3:])})?" for name in WEEKDAY_NAMES) + ")\\s*$")
_WEEKDAY_SCHEMA = {"anyOf": [
    {"type": "integer", "minimum": 0, "maximum": 6},
    {"type": "string", "pattern": _WEEKDAY_PATTERN, "maxLength": _WEEKDAY_LENGTH},
]}

Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]
Weekday = Annotated[int, Strict(), Field(ge=0, le=6), BeforeValidator(_weekday),
                    WithJsonSchema(_WEEKDAY_SCHEMA)]
Probability = Annotated[float, Strict(), Field(ge=0, le=1)]
Share = Annotated[float, Strict(), Field(gt=0, le=1)]
Hours = Annotated[float, Strict(), Field(ge=0, le=MAX_HOURS)]
PositiveHours = Annotated[float, Strict(), Field(gt=0, le=MAX_HOURS)]
Days = Annotated[int, Strict(), Field(ge=0, le=MAX_HORIZON_DAYS)]
PositiveDays = Annotated[int, Strict(), Field(ge=1, le=MAX_HORIZON_DAYS)]
Multiplier = Annotated[float, Strict(), Field(ge=0, le=MAX_MULTIPLIER)]
Headcount = Annotated[int, Strict(), Field(ge=0, le=MAX_ROSTER)]
#: A price per hour, day or order (any currency); beyond MAX_PRICE, a typo.
MAX_PRICE = 1e9
Price = Annotated[float, Strict(), Field(ge=0, le=MAX_PRICE)]
Name = Annotated[str, Strict(), Field(max_length=MAX_NAME_LENGTH, json_schema_extra={
    "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}), AfterValidator(_no_control)]
Text = Annotated[str, Strict(), Field(max_length=MAX_TEXT_LENGTH, json_schema_extra={
    "pattern": r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"}), AfterValidator(_text)]


class FieldError(ValueError):
    """A relation between fields is violated; ``field`` names the one to blame.

    Raised from model validators so that the message can point at the field
    (``workforce.roster``) rather than at the table that holds it.
    """

    def __init__(self, field: str, message: str, value: Any = None):
        super().__init__(message)
        self.field = field
        self.value = value


class SchemaModel(BaseModel):
    """Base of every scenario table: frozen, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )


def resolve_path(path: Path, info: ValidationInfo) -> Path:
    """A data-file path, relative to the scenario file's folder and confined to it.

    The validation context gives ``base_dir`` (the folder; default: the current
    directory) and ``allow_outside_files``. Unless that is true, an absolute path, a
    ``..`` that leaves the folder, or a symbolic link that leads out of it is refused
    (:class:`ValueError`): a scenario from elsewhere cannot make capsim read, quote or
    copy into a report a file of yours outside its folder.
    """
    context = info.context or {}
    base = Path(context.get("base_dir") or Path.cwd())
    if context.get("allow_outside_files"):
        return path if path.is_absolute() else base / path
    allow = "set CAPSIM_ALLOW_OUTSIDE_FILES=1 to allow it"
    if path.is_absolute():
        raise ValueError(f"{path} is an absolute path; data files must lie in the scenario's "
                         f"folder or below it, named relative to it ({allow})")
    full = base / path
    try:
        inside = full.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop
        inside = False
    if not inside:
        raise ValueError(f"{path} leads outside the scenario's folder {base} (through '..' or a "
                         f"symbolic link); data files must lie in it or below it ({allow})")
    return full
