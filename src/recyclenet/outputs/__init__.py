"""What a run shows people: the output writer, maps, report, workbook, comparison and
the translations (Chinese and English) they share.

``write_outputs`` and ``write_dispatch`` (:mod:`recyclenet.outputs.writer`) are available
from here; the modules load when first used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_dispatch", "write_outputs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from recyclenet.outputs import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
