"""Source locations and the one exception hierarchy of netsim.

Every user-facing failure is a :class:`NetsimError`. It carries an optional :class:`Span`
(file:line:col of the offending text), a message saying what was expected and what was found, and
an optional hint giving the fix. :meth:`NetsimError.render` produces the diagnostic the CLI prints::

    amp.net:12:9: error: MOSFET 'm3' needs 4 terminals (d g s b), got 3
       12 | M3 out in 0 nch W=1u
          |         ^^^^^^^^^^^
    hint: add the bulk node, e.g. `M3 out in 0 0 nch W=1u`
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A region of one physical source line.

    line and col are 1-based; end_col is exclusive (end_col == col + len(text covered)).
    ``source`` is the whole physical line, kept for caret rendering.
    """

    file: str
    line: int
    col: int
    end_col: int
    source: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to(self, other: Span) -> Span:
        """The span from the start of self to the end of other (same line), else self."""
        if other.file == self.file and other.line == self.line and other.end_col >= self.col:
            return Span(self.file, self.line, self.col, other.end_col, self.source)
        return self


def render_caret(span: Span) -> str:
    """The two-line excerpt ``  12 | text`` / ``     |    ^^^^`` under a diagnostic."""
    number = str(span.line)
    pad = " " * len(number)
    text = span.source.rstrip("\n")
    width = max(1, min(span.end_col, len(text) + 1) - span.col)
    return (
        f"   {number} | {text}\n"
        f"   {pad} | {' ' * (span.col - 1)}{'^' * width}"
    )


class NetsimError(Exception):
    """Base of every error netsim reports to a user."""

    kind = "error"

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        hint: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.notes = tuple(notes)

    def render(self) -> str:
        """The full diagnostic: location, message, caret excerpt, notes and hint."""
        where = f"{self.span}: " if self.span is not None else ""
        lines = [f"{where}{self.kind}: {self.message}"]
        if self.span is not None and self.span.source:
            lines.append(render_caret(self.span))
        lines.extend(f"note: {n}" for n in self.notes)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class NetlistSyntaxError(NetsimError):
    """The text is not valid netlist syntax (bad token, bad number, unclosed block...)."""


class ElaborationError(NetsimError):
    """Valid syntax that cannot be turned into a circuit (unknown model, undefined param...)."""


class TopologyError(NetsimError):
    """The circuit graph is ill-posed (floating node, loop of voltage sources...)."""


class ConvergenceError(NetsimError):
    """Newton (or the time-step control) failed; the message names time, node and device."""


class AnalysisError(NetsimError):
    """An analysis request that cannot be honoured (bad sweep source, bad .tran arguments...)."""


@dataclass(frozen=True)
class Diagnostic:
    """A non-fatal finding (warning) with the same shape as an error."""

    message: str
    span: Span | None = None
    hint: str | None = None

    def render(self) -> str:
        where = f"{self.span}: " if self.span is not None else ""
        lines = [f"{where}warning: {self.message}"]
        if self.span is not None and self.span.source:
            lines.append(render_caret(self.span))
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def did_you_mean(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """A 'did you mean ...?' phrase for the closest candidates, or None."""
    import difflib

    close = difflib.get_close_matches(name.lower(), sorted(candidates), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
