"""Physical lines -> logical cards: title, comments, ``+`` continuations, source mapping.

Rules (SPICE3 / ngspice):

- the first line of a netlist is its title, kept verbatim and never parsed (included files and
  library files have no title line);
- a line whose first non-blank character is ``*`` is a comment, blank lines are ignored;
- ``;`` starts an inline comment anywhere; ``$`` starts one at the start of a line or when it
  follows a space or tab (``a$b`` is a name, ``1k $ load`` is a comment);
- a line whose first non-blank character is ``+`` continues the previous card (comment and
  blank lines may sit in between); the pieces are joined with one space.

A :class:`LogicalLine` keeps, for each piece, where it came from, so that any offset in the joined
text maps back to a physical line and column (:meth:`LogicalLine.span`).
"""

from __future__ import annotations

from bisect import bisect_right

from netsim.errors import NetlistSyntaxError, Span


class LogicalLine:
    """One card after joining continuations; ``text`` keeps the original case.

    The card starts on physical line ``line`` (1-based) at 0-based column ``col`` of ``source``.
    ``pieces`` is None for a one-line card; otherwise one ``(start, line, col, source)`` per
    physical piece, ``start`` being the piece's offset in ``text``.
    """

    __slots__ = ("text", "file", "line", "col", "source", "pieces")

    def __init__(self, text: str, file: str, line: int, col: int, source: str) -> None:
        self.text = text
        self.file = file
        self.line = line
        self.col = col
        self.source = source
        self.pieces: list[tuple[int, int, int, str]] | None = None

    def add_piece(self, text: str, line: int, col: int, source: str) -> None:
        """Append a continuation piece (joined with one space)."""
        if self.pieces is None:
            self.pieces = [(0, self.line, self.col, self.source)]
        self.text = self.text + " "
        self.pieces.append((len(self.text), line, col, source))
        self.text = self.text + text

    def span(self, start: int, end: int) -> Span:
        """The Span of text[start:end] (0-based offsets, end exclusive), clipped to one line."""
        pieces = self.pieces
        if pieces is None:
            base = self.col + 1
            return Span(self.file, self.line, base + start, max(base + start + 1, base + end),
                        self.source)
        k = bisect_right(pieces, (start, 1 << 62)) - 1
        if k + 1 < len(pieces):
            end = min(end, pieces[k + 1][0] - 1)
        first, line, col, source = pieces[k]
        base = col - first + 1
        return Span(self.file, line, base + start, max(base + start + 1, base + end), source)

    def card_span(self) -> Span:
        """The first physical line of the card, from its first character to its last."""
        first_end = self.pieces[1][0] - 1 if self.pieces is not None else len(self.text)
        return self.span(0, first_end)


def strip_comment(line: str) -> str:
    """``line`` without its inline comment (``;`` anywhere, ``$`` at start or after blank)."""
    cut = line.find(";")
    if cut >= 0:
        line = line[:cut]
    if "$" in line:
        pos = line.find("$")
        while pos >= 0:
            if pos == 0 or line[pos - 1] in " \t":
                return line[:pos]
            pos = line.find("$", pos + 1)
    return line


def split_lines(
    text: str, file: str, *, has_title: bool = True
) -> tuple[str, list[LogicalLine]]:
    """The title (``''`` without a title line) and the logical cards of a netlist text.

    Raises NetlistSyntaxError for a ``+`` continuation line that has no card to continue.
    """
    physical = text.split("\n")
    title = ""
    first = 0
    if has_title:
        title = physical[0].rstrip("\r") if physical else ""
        first = 1
    cards: list[LogicalLine] = []
    current: LogicalLine | None = None
    for index in range(first, len(physical)):
        raw = physical[index]
        if raw.endswith("\r"):
            raw = raw[:-1]
        content = strip_comment(raw) if (";" in raw or "$" in raw) else raw
        body = content.lstrip()
        if not body or body[0] == "*":
            continue
        col = len(content) - len(body)
        body = body.rstrip()
        if body[0] == "+":
            piece = body[1:].lstrip()
            if current is None:
                span = Span(file, index + 1, col + 1, col + 2, raw)
                raise NetlistSyntaxError(
                    "continuation line '+' before any card",
                    span,
                    hint="a '+' line continues the card above it; "
                    "put it after the card it belongs to, or remove the '+'",
                )
            if piece:
                current.add_piece(piece, index + 1, _piece_col(content, col), raw)
            continue
        current = LogicalLine(body, file, index + 1, col, raw)
        cards.append(current)
    return title, cards


def _piece_col(content: str, plus_col: int) -> int:
    """0-based column of the first non-blank character after the '+' at ``plus_col``."""
    k = plus_col + 1
    while k < len(content) and content[k] in " \t\f\v":
        k += 1
    return k
