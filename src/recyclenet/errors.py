"""Exceptions and warnings that RecycleNet users catch.

Every error a user can cause carries enough context to fix it: the file, the row, the
column, the offending value and a hint. The command line prints ``str(error)`` as one
paragraph, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class RecycleNetError(Exception):
    """Base class of every error RecycleNet raises on purpose."""


class ConfigError(RecycleNetError):
    """The scenario file is malformed: unknown keys, wrong types, bad values."""


@dataclass(frozen=True)
class InputProblem:
    """One problem found in an input table.

    Parameters
    ----------
    file
        Path of the table as the user gave it.
    message
        What is wrong.
    hint
        What would fix it.
    row
        1-based data row (the header is not counted), or ``None`` for the whole table.
    column
        Column name, or ``None``.
    value
        The offending value as text, or ``None``.
    """

    file: str
    message: str
    hint: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [f"file {self.file}"]
        if self.row is not None:
            # Data row n sits on line n + 1 of a CSV file (line 1 is the header).
            where.append(f"row {self.row} (line {self.row + 1})")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.value is not None:
            where.append(f"value '{self.value}'")
        return f"{', '.join(where)}: {self.message}. Fix: {self.hint}."


class InputError(RecycleNetError):
    """One or more input tables are invalid; raised before any solving.

    Parameters
    ----------
    problems
        Every problem found, so a user can fix them all in one go.
    """

    def __init__(self, problems: list[InputProblem] | InputProblem) -> None:
        if isinstance(problems, InputProblem):
            problems = [problems]
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        shown = self.problems[:10]
        text = " | ".join(str(p) for p in shown)
        if len(self.problems) > len(shown):
            text += f" | ... and {len(self.problems) - len(shown)} more problems"
        super().__init__(text)


class InfeasibleError(RecycleNetError):
    """The scenario has no solution; the message says which settlements or constraints."""


class SolverError(RecycleNetError):
    """A solver failed or returned no solution within its time limit."""


class RecycleNetWarning(UserWarning):
    """Something users should know about that does not stop a run."""
