"""MkDocs hook: the scenario reference, generated from the pydantic models.

A page holding ``<!-- scenario-reference -->`` gets, in its place, one table per section
of :class:`recyclenet.config.Scenario`: every key with its type, default and meaning
(the fields' descriptions, else the first line of their model's docstring), so the page
cannot fall behind what ``load_scenario`` accepts.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

MARKER = "<!-- scenario-reference -->"


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's type (``X``, ``X | None``, ``dict[str, X]``)."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _type_name(annotation: Any) -> str:
    """A field's type as a reader writes it: ``float or None``, ``dict[str, float]``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if annotation is type(None):
        return "None"
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else _type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    value = field.default
    if value is PydanticUndefined:
        value = field.default_factory() if field.default_factory else None
    if isinstance(value, BaseModel):
        return "(section defaults)"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{value!r}`"


_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _bounds(field: Any) -> str:
    """The field's numeric bounds and pattern, as written in the model."""
    parts = []
    for item in field.metadata:
        for attr, sign in _BOUNDS:
            if getattr(item, attr, None) is not None:
                parts.append(f"{sign} {_number(getattr(item, attr))}")
        if getattr(item, "pattern", None):
            parts.append(f"`{_cell(item.pattern)}`")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _plain(doc: str) -> str:
    """A docstring's Sphinx roles as code: ``:func:`~a.b``` -> ```b```."""
    return re.sub(r":[a-z]+:`~?(?:[\w.]+\.)?([\w]+)`", r"`\1`", doc)


def _section(model: type[BaseModel], prefix: str, out: list[str]) -> None:
    doc = _plain(inspect.getdoc(model) or "")
    out.append(f"### `{prefix or 'top level'}`\n")
    if doc:
        out.append(doc + "\n")
    out.append("| key | type | default | allowed | meaning |")
    out.append("|---|---|---|---|---|")
    nested: list[tuple[type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        inner = _models(field.annotation)
        meaning = field.description or (
            _plain(inspect.getdoc(inner[0]) or "").split("\n")[0] if inner else ""
        )
        out.append(
            f"| `{key}` | `{_cell(_type_name(field.annotation))}` | {_default(field)} | "
            f"{_bounds(field)} | {_cell(meaning)} |"
        )
        for sub in inner:
            is_map = typing.get_origin(field.annotation) is dict or any(
                typing.get_origin(a) is dict for a in typing.get_args(field.annotation)
            )
            nested.append((sub, f"{key}.<name>" if is_map else key))
    out.append("")
    for sub, key in nested:
        _section(sub, key, out)


def scenario_reference() -> str:
    """The generated reference (Markdown)."""
    from recyclenet.config import Scenario

    out: list[str] = []
    _section(Scenario, "", out)
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs hook: fill the marker with the reference."""
    if MARKER in markdown:
        return markdown.replace(MARKER, scenario_reference())
    return markdown


__all__ = ["on_page_markdown", "scenario_reference"]
