"""Shared building blocks of the scenario schema.

The base model, constrained number types, weekdays, and :class:`FieldError` for
rules that relate several fields.

Units throughout the schema: times in hours from the start of day 0, calendar
spans in whole days, work contents in minutes, rates per hour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value: Any) -> Any:
    """Accept 0-6 (Monday first) or a day name such as "Mon" or "monday"."""
    if isinstance(value, str):
        key = value.strip().lower()
        for index, name in enumerate(WEEKDAY_NAMES):
            if key in (name, name[:3]):
                return index
        raise ValueError(f"{value!r} is not a weekday; allowed: 0-6 or mon, tue, ..., sun")
    return value


Weekday = Annotated[int, BeforeValidator(_weekday), Field(ge=0, le=6)]
Probability = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


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
    """A data-file path relative to the scenario file (passed as validation context)."""
    base = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base is None else Path(base) / path
