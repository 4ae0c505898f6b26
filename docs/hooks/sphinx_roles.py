"""Griffe extension: the docstrings' Sphinx roles as code on the API pages.

The docstrings follow numpydoc, whose cross-references are Sphinx roles
(``:func:`~recyclenet.routing.plan_week```); mkdocstrings would print the role as it is
written. Each role becomes the code it names: the last part of the name where Sphinx
would shorten it (``~``), else the name as written.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|obj|exc|const):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``text`` with every Sphinx role written as the code it names."""

    def code(match: re.Match[str]) -> str:
        short, name = match.groups()
        return f"`{name.rsplit('.', 1)[-1] if short else name}`"

    return ROLE.sub(code, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring once the package is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
