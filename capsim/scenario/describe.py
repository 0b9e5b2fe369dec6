"""Words for what a scenario field accepts, read off the schema itself.

Error messages say what is allowed ("a number >= 0 and <= 1", "'fifo', 'edd' or
'priority'", the fields of a table); this module derives that text from the
pydantic models so that it never drifts from the schema. It takes the root model
(:class:`~capsim.scenario.Scenario`) as an argument, so that it sits below the schema's
modules and the scenario's own methods can word their errors with it.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

_TYPE_WORDS = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    Path: "a file path",
    datetime: "an ISO 8601 date-time",
}
_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """Strip Annotated and Optional, collecting the constraint metadata on the way."""
    meta: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp, *extra = get_args(tp)
            for item in extra:
                meta.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            arms = [a for a in get_args(tp) if a is not type(None)]
            if len(arms) != 1:
                return tp, meta
            tp = arms[0]
        else:
            return tp, meta


def _model_field(model: type[BaseModel], name: str) -> FieldInfo | None:
    for key, info in model.model_fields.items():
        if name in (key, info.alias):
            return info
    return None


def _node(root: type[BaseModel], loc: Sequence[str | int]) -> tuple[Any, list[Any]] | None:
    """The type and constraints of the field at ``loc`` of ``root``, or None if there is none."""
    tp: Any = root
    meta: list[Any] = []
    for part in loc:
        tp, more = _unwrap(tp)
        if isinstance(part, int):
            if get_origin(tp) is not tuple:
                return None
            tp, meta = get_args(tp)[0], []
            continue
        if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
            return None
        info = _model_field(tp, part)
        if info is None:
            return None
        tp, meta = info.annotation, list(info.metadata)
    tp, more = _unwrap(tp)
    return tp, meta + more


def field_names(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names (as written in files) of the table at ``loc`` of ``root``."""
    node = _node(root, loc)
    if node is None or not (isinstance(node[0], type) and issubclass(node[0], BaseModel)):
        return []
    return [info.alias or key for key, info in node[0].model_fields.items()]


def _number(value: float) -> str:
    """A bound as people write it: 87,840 and 1,000,000, but 0.001."""
    if float(value).is_integer() and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:g}"


def _bounds(meta: list[Any]) -> list[str]:
    words = []
    for item in meta:
        for attr, sign in _BOUNDS:
            if getattr(item, attr, None) is not None:
                words.append(f"{sign} {_number(getattr(item, attr))}")
    return words


def _text(meta: list[Any]) -> str:
    """What a text field accepts: its length, and whether it is one line."""
    checks = {getattr(m.func, "__name__", "") for m in meta if isinstance(m, AfterValidator)}
    high = next((m.max_length for m in meta if getattr(m, "max_length", None) is not None), None)
    longest = f" of at most {high:,} characters" if high is not None else ""
    if "_no_control" in checks:
        return f"one line of text{longest}, without control characters"
    if "_text" in checks:
        return f"text{longest}, without control characters other than tabs and line breaks"
    return f"text{longest}"


def _length(meta: list[Any]) -> str:
    low = next((m.min_length for m in meta if getattr(m, "min_length", None) is not None), None)
    high = next((m.max_length for m in meta if getattr(m, "max_length", None) is not None), None)
    if low is not None and low == high:
        return f" of exactly {low} values"
    if low:
        return f" of at least {low} values"
    return f" of at most {high} values" if high is not None else ""


def allowed_values(root: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    """Say what the field at ``loc`` of ``root`` accepts, or None when it has no field there."""
    node = _node(root, loc)
    if node is None:
        return None
    tp, meta = node
    if any(isinstance(m, BeforeValidator) for m in meta):
        return "0-6 (Monday first) or a day name such as 'mon'"
    if get_origin(tp) is Literal:
        choices = [repr(c) for c in get_args(tp)]
        return ", ".join(choices[:-1]) + " or " + choices[-1]
    if get_origin(tp) is tuple:
        return "a list" + _length(meta)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a table with fields " + ", ".join(field_names(root, loc))
    if tp is str:
        return _text(meta)
    words = _TYPE_WORDS.get(tp, getattr(tp, "__name__", str(tp)))
    bounds = _bounds(meta)
    return f"{words} {' and '.join(bounds)}" if bounds else words
