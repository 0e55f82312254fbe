"""Netlist text -> :class:`~netsim.syntax.ast.Netlist` (SPICE3 / ngspice dialect).

Pipeline, per file: :mod:`netsim.syntax.lines` assembles logical cards (title, comments, ``+``
continuations) keeping a map back to physical lines; a cheap pass over the first word of each
card handles the block structure (``.lib`` sections, ``.end``, ``.control``) and the cards read
from raw text (``.param``, ``.func``, ``.include``/``.lib`` calls, behavioural sources); all other
cards of the file are parsed in one lark LALR call (:mod:`netsim.syntax.cards`, grammar in
``grammar.lark``) whose transformer builds the AST while parsing. Finally ``.subckt``/``.ends``
are nested.

Includes: ``.include path`` / ``.inc path`` splice the statements of a file, ``.lib path
section`` those of the ``.lib section`` ... ``.endl`` block of that file. A ``.lib name`` block
met outside a ``.lib`` call only defines a section and is skipped. Relative paths are searched in
the including file's folder (the working directory for :func:`parse_text`), then each folder of
the ``NETSIM_PATH`` environment variable (``os.pathsep`` separated), then the packaged library
``netsim/library``. Include cycles are errors.

Speed (measured with CPython 3.11 on a shared 2-core machine): 100k simple R/C/V cards
(``R1 a b 1k``, ``C1 a 0 10p``, ``V1 a 0 dc 1``) parse in 1.4-1.9 s (~15 us per card), as do
cards with ``name=word`` parameters (``M1 d g s b nch w=1u l=2u``): both take a regex fast path
in :mod:`netsim.syntax.cards` that gives the grammar's result without lark. Cards with
brackets, braces or quotes go through lark LALR at ~100 us per card (a 100k-card netlist with
half of them like ``V1 a 0 pulse(0 1 1n 1n 1n 5n 10n)`` or ``R1 a b {r0*2}``: ~8 s). The cyclic
garbage collector is paused while parsing (it made large netlists 2-4x slower).
``tests/test_parser.py::test_scale_20k_cards`` is the timing-free scale test.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from pathlib import Path

from netsim.errors import NetlistSyntaxError, Span, did_you_mean
from netsim.syntax.ast import Netlist, Statement, SubcktDef
from netsim.syntax.cards import parse_cards
from netsim.syntax.lines import LogicalLine, split_lines
from netsim.syntax.statements import (
    SubcktClose,
    SubcktOpen,
    card_statement,
    expr_element,
    func_def,
    is_expr_element,
    param_decl,
    reject_table_source,
)

__all__ = ["parse_text", "parse_file", "library_dirs"]


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector: the AST is acyclic, and with it running, repeated
    full collections over the growing tree make large netlists parse 2-4x slower."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_text(text: str, filename: str = "<string>") -> Netlist:
    """Parse a whole netlist given as text (first line = title); includes resolved from cwd."""
    with _gc_paused():
        reader = _Reader()
        title, flat = reader.read(text, filename, Path.cwd(), has_title=True, section=None)
        statements = _nest(flat)
        return Netlist(title, statements, filename, tuple(reader.files) or (filename,))


def parse_file(path: str | os.PathLike) -> Netlist:
    """Parse the netlist file at ``path`` (its folder is searched first for includes)."""
    with _gc_paused():
        return _parse_file(Path(path))


def _parse_file(p: Path) -> Netlist:
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise NetlistSyntaxError(
            f"cannot read netlist '{p}': {exc.strerror or exc}",
            hint="check the path and the file permissions",
        ) from None
    reader = _Reader()
    key = (str(p.resolve()), None)
    reader.stack.append((key, str(p)))
    title, flat = reader.read(text, str(p), p.resolve().parent, has_title=True, section=None)
    return Netlist(title, _nest(flat), str(p), tuple(reader.files))


def library_dirs(base: Path) -> list[Path]:
    """Folders searched for a relative include path, in order."""
    dirs = [base]
    for entry in os.environ.get("NETSIM_PATH", "").split(os.pathsep):
        if entry:
            dirs.append(Path(entry))
    import netsim

    package = Path(netsim.__file__).parent
    dirs.append(package / "library")  # installed: devices/ is packaged as netsim/library
    dirs.append(package.parent / "devices")  # a source checkout or editable install
    return dirs


_CONTROL_HINT = (
    "put analyses in the netlist as cards (.op, .dc, .ac, .tran, .print) and run them with "
    "`netsim run FILE`"
)


def _open_list_commas(ll: LogicalLine) -> None:
    """``.print tran v(1), i(v1)``: ngspice accepts commas between the quantities; they become
    spaces (offsets kept, so spans still point into the source). Commas inside parentheses,
    as in v(a,b), stay."""
    depth = 0
    chars = list(ll.text)
    for k, ch in enumerate(chars):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            chars[k] = " "
    ll.text = "".join(chars)


def _head(ll: LogicalLine) -> str:
    text = ll.text
    cut = 0
    n = len(text)
    while cut < n and not text[cut].isspace():
        cut += 1
    return text[:cut].lower()


class _Reader:
    """Reads one file after another, splicing includes; keeps the include stack for cycles."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.stack: list[tuple[tuple[str, str | None], str]] = []

    # ------------------------------------------------------------------ one file
    def read(self, text: str, filename: str, folder: Path, *, has_title: bool,
             section: tuple[str, Span] | None) -> tuple[str, list]:
        """Title and flat statements (with subckt markers) of one file or library section."""
        if filename not in self.files:
            self.files.append(filename)
        title, lls = split_lines(text, filename, has_title=has_title)
        out: list = []
        batch: list[LogicalLine] = []
        slots: list[int] = []
        for ll in self._select(lls, section, filename):
            first = ll.text[0]
            if first == ".":
                head = _head(ll)
                if head in (".include", ".inc"):
                    out.append(self._include(ll, head, folder))
                    continue
                if head == ".lib":
                    out.append(self._lib_call(ll, folder))
                    continue
                if head == ".param":
                    out.append(param_decl(ll, len(head)))
                    continue
                if head == ".func":
                    out.append(func_def(ll))
                    continue
                if head in (".print", ".save", ".plot"):
                    _open_list_commas(ll)
                if head in (".if", ".elseif", ".else", ".endif"):  # before its (..) fails to parse
                    raise NetlistSyntaxError("conditional netlists (.if) are not supported",
                                             ll.span(0, len(head)),
                                             hint="keep the branch you need and remove the "
                                                  ".if/.elseif/.else/.endif cards")
            elif first in "bBeEgG" and is_expr_element(ll.text):
                out.append(expr_element(ll))
                continue
            elif first in "eEgG":
                reject_table_source(ll)
            slots.append(len(out))
            out.append(None)
            batch.append(ll)
        for slot, ll, items in zip(slots, batch, parse_cards(batch), strict=True):
            out[slot] = card_statement(items, ll)
        flat: list = []
        for entry in out:
            if type(entry) is list:
                flat.extend(entry)
            else:
                flat.append(entry)
        return title, flat

    def _select(self, lls: list[LogicalLine], section: tuple[str, Span] | None,
                filename: str) -> list[LogicalLine]:
        """The cards that are read: stop at .end, skip .lib definitions (or keep only the
        called section), reject control blocks."""
        keep: list[LogicalLine] = []
        inside: LogicalLine | None = None  # the open `.lib name` card
        inside_name = ""
        found = False
        names: list[str] = []
        for ll in lls:
            if ll.text[0] != ".":
                if (inside is not None) == (section is not None) and (
                    section is None or inside_name == section[0]
                ):
                    keep.append(ll)
                continue
            head = _head(ll)
            if head in (".control", ".endc"):
                raise NetlistSyntaxError(
                    "ngspice control blocks (.control/.endc) are not supported",
                    ll.span(0, len(head)),
                    hint=_CONTROL_HINT,
                )
            if head == ".lib":
                words = _path_and_rest(ll)[1]
                if len(words) == 0:  # `.lib name`: a section definition
                    if inside is not None:
                        raise NetlistSyntaxError(
                            f".lib section '{_path_and_rest(ll)[0].lower()}' starts inside "
                            f"section '{inside_name}'",
                            ll.card_span(),
                            hint=f"close section '{inside_name}' with .endl first",
                        )
                    inside = ll
                    inside_name = _path_and_rest(ll)[0].lower()
                    names.append(inside_name)
                    found = found or (section is not None and inside_name == section[0])
                    continue
            elif head == ".endl":
                if inside is None:
                    raise NetlistSyntaxError(
                        ".endl without .lib", ll.span(0, len(head)),
                        hint="a library section starts with `.lib name` and ends with `.endl`",
                    )
                inside = None
                continue
            elif head == ".end":
                if inside is None:
                    break
                continue
            if (inside is not None) == (section is not None) and (
                section is None or inside_name == section[0]
            ):
                keep.append(ll)
        if inside is not None:
            raise NetlistSyntaxError(
                f".lib section '{inside_name}' is never closed (missing .endl)",
                inside.card_span(),
                hint="end the section with `.endl`",
            )
        if section is not None and not found:
            name, span = section
            notes = (f"sections in '{filename}': {', '.join(names) or '(none)'}",)
            close = did_you_mean(name, names)
            raise NetlistSyntaxError(
                f"library section '{name}' not found in '{filename}'"
                + (f"; {close}" if close else ""),
                span,
                hint="use one of the sections the file defines with `.lib name` ... `.endl`",
                notes=notes,
            )
        return keep

    # ------------------------------------------------------------------ includes
    def _include(self, ll: LogicalLine, head: str, folder: Path) -> list:
        path_text, rest, span = _path_and_rest(ll, with_span=True)
        if not path_text:
            raise NetlistSyntaxError(
                f"{head} needs a file name", ll.card_span(), hint=f"write `{head} models.lib`"
            )
        if rest:
            raise NetlistSyntaxError(
                f"unexpected '{rest[0]}' after the file name of {head}",
                ll.card_span(),
                hint="quote a path that contains spaces: `.include \"my models.lib\"`",
            )
        return self._splice(ll, path_text, span, folder, None)

    def _lib_call(self, ll: LogicalLine, folder: Path) -> list:
        path_text, rest, span = _path_and_rest(ll, with_span=True)
        if len(rest) != 1:
            raise NetlistSyntaxError(
                f".lib call needs a file and one section, got {len(rest) + 1} words",
                ll.card_span(),
                hint="write `.lib models.lib tt` (or `.lib name` ... `.endl` to define one)",
            )
        return self._splice(ll, path_text, span, folder, rest[0].lower())

    def _splice(self, ll: LogicalLine, path_text: str, span: Span, folder: Path,
                section: str | None) -> list:
        path = _resolve(path_text, folder, span)
        key = (str(path.resolve()), section)
        label = path_text + (f" {section}" if section else "")
        if any(k == key for k, _ in self.stack):
            chain = " -> ".join([lab for _, lab in self.stack] + [label])
            raise NetlistSyntaxError(
                f"include cycle: {chain}",
                ll.card_span(),
                hint="remove the .include/.lib card that brings the file back in",
            )
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise NetlistSyntaxError(
                f"cannot read '{path}': {exc.strerror or exc}", span,
                hint="check the file permissions",
            ) from None
        self.stack.append((key, label))
        try:
            sec = (section, ll.card_span()) if section is not None else None
            return self.read(text, str(path), path.resolve().parent, has_title=False,
                             section=sec)[1]
        finally:
            self.stack.pop()


def _path_and_rest(ll: LogicalLine, with_span: bool = False):
    """The (case-kept) path after the head word, the following words, and the path's Span."""
    text = ll.text
    start = len(_head(ll))
    while start < len(text) and text[start].isspace():
        start += 1
    if start < len(text) and text[start] in "\"'":
        close = text.find(text[start], start + 1)
        if close < 0:
            raise NetlistSyntaxError(
                f"unclosed quote ({text[start]}) in file name",
                ll.span(start, start + 1),
                hint="close the quoted path",
            )
        path, end, pstart = text[start + 1 : close], close + 1, start + 1
    else:
        end = start
        while end < len(text) and not text[end].isspace():
            end += 1
        path, pstart = text[start:end], start
    rest = text[end:].split()
    if with_span:
        return path, rest, ll.span(pstart, pstart + max(1, len(path)))
    return path, rest


def _resolve(path_text: str, folder: Path, span: Span) -> Path:
    path = Path(path_text).expanduser()
    candidates = [path] if path.is_absolute() else [d / path for d in library_dirs(folder)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise NetlistSyntaxError(
        f"cannot find file '{path_text}'",
        span,
        hint="check the spelling, or add the folder holding it to NETSIM_PATH",
        notes=tuple(f"tried {c}" for c in candidates),
    )


def _nest(flat: list) -> tuple[Statement, ...]:
    """Build SubcktDef bodies from the .subckt/.ends markers."""
    stack: list[tuple[SubcktOpen | None, list]] = [(None, [])]
    for item in flat:
        kind = type(item)
        if kind is SubcktOpen:
            stack.append((item, []))
        elif kind is SubcktClose:
            if len(stack) == 1:
                raise NetlistSyntaxError(
                    ".ends without a matching .subckt", item.span,
                    hint="remove it, or start the subcircuit with `.subckt name ports...`",
                )
            head, body = stack.pop()
            if item.name and item.name != head.name:
                raise NetlistSyntaxError(
                    f".ends '{item.name}' does not match .subckt '{head.name}'",
                    item.span,
                    hint=f"write `.ends {head.name}` (or just `.ends`)",
                    notes=(f"the open subcircuit starts at {head.span}",),
                )
            stack[-1][1].append(
                SubcktDef(head.span, head.name, head.ports, head.port_spans, head.params,
                          tuple(body))
            )
        else:
            stack[-1][1].append(item)
    if len(stack) > 1:
        head = stack[-1][0]
        raise NetlistSyntaxError(
            f".subckt '{head.name}' is never closed (missing .ends)",
            head.span,
            hint=f"end the subcircuit with `.ends {head.name}`",
        )
    return tuple(stack[0][1])
