"""Reading one spec file into plain data while remembering where every value came from.

pydantic only knows paths like `subscribes.0.from`; users need `services/order.yaml:17`. So the YAML is
composed into its node tree and converted by hand, recording the 1-based line of every mapping entry and
list item. The same walk rejects what a plain `yaml.safe_load` would silently accept: duplicate keys (the
last one would win), several documents (all but the first would be ignored) and non-text content.

A spec file is untrusted input, so reading it is bounded: only a regular file is opened (a FIFO would block
and /dev/zero would never end), never more than MAX_BYTES of it, and composing stops at MAX_DEPTH levels of
nesting and MAX_NODES values, counting an alias as everything it repeats, before any of it is expanded.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event, NodeEvent
from yaml.resolver import Resolver

from platformctl.specs.interpolate import InterpolationError, has_reference, interpolate

try:
    from yaml._yaml import CParser as _LibyamlParser
except ImportError:  # PyYAML built without libyaml
    _HAS_LIBYAML = False
else:
    _HAS_LIBYAML = True
# libyaml's parser, or None when PyYAML has none (tests set it to None to exercise the pure-Python parser).
CParser: type[_LibyamlParser] | None = _LibyamlParser if _HAS_LIBYAML else None

MAX_BYTES = 1024 * 1024
# A real spec is under 10 levels deep and a few hundred values; these bounds are far above that and far
# below what recursion (Python's limit is 1000 frames) or memory would choke on in any later stage.
MAX_DEPTH = 64
MAX_NODES = 100_000

Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """`('subscribes', 0, 'from')` → `subscribes[0].from`, the form users see in messages."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class SourceDoc:
    """One parsed spec file: its data and the line of every path in it."""

    file: str
    path: Path
    data: dict[str, Any]
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest recorded prefix of `loc`; errors about missing keys land on their parent."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def locate(self, loc: Loc, env: str | None = None) -> tuple[str, int | None, bool]:
        """(path, line, from_override) for `loc`, preferring the `environments.<env>` override that set it.

        An error in merged data is the override's fault when the override touched that path (or a parent
        of it), so that is where the user has to look.
        """
        if env is not None:
            base = ("environments", env)
            for end in range(len(loc), 0, -1):
                line = self.lines.get((*base, *loc[:end]))
                if line is not None:
                    return format_path((*base, *loc)), line, True
        return format_path(loc), self.line_of(loc), False


class SourceProblem(Exception):
    """A file that cannot be turned into data at all; carries the line where that was detected."""

    def __init__(self, message: str, line: int | None = None, loc: Loc = ()):
        super().__init__(message)
        self.message = message
        self.line = line
        self.loc = loc


class _Builder:
    """Converts a composed node tree into dicts/lists/scalars, recording lines and collecting problems."""

    def __init__(self, environ: Mapping[str, str] | None):
        self.environ = environ
        self.lines: dict[Loc, int] = {}
        self.problems: list[SourceProblem] = []
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*loc, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*loc, index)))
            return items
        return self._scalar(node, loc)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        own_keys = [k for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]
        try:
            self._constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            self.problems.append(SourceProblem(str(exc.problem), mark.line + 1 if mark else None, loc))
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merged: set[str] = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(SourceProblem("mapping keys must be plain strings", line, loc))
                continue
            key = key_node.value
            own = any(key_node is k for k in own_keys)
            if key in first_line:
                if not own:
                    continue  # an earlier merge source already provided it
                if key not in merged:
                    self.problems.append(
                        SourceProblem(
                            f"duplicate key '{key}' (first defined at line {first_line[key]})",
                            line,
                            (*loc, key),
                        )
                    )
                    continue
                merged.discard(key)  # the mapping's own key overrides the merged one
            elif not own:
                merged.add(key)
            first_line[key] = line
            self.lines[(*loc, key)] = line
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str" and has_reference(node.value):
            try:
                text = interpolate(node.value, self.environ)
            except InterpolationError as exc:
                self.problems.append(SourceProblem(str(exc), node.start_mark.line + 1, loc))
                return None
            if node.style is None:
                # A plain scalar is typed by what it turns into: `count: ${N:-2}` is the integer 2.
                tag = self._constructor.resolve(yaml.ScalarNode, text, (True, False))
                node = yaml.ScalarNode(tag, text, node.start_mark, node.end_mark)
            else:
                return text
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or node.start_mark
            self.problems.append(SourceProblem(str(exc.problem), mark.line + 1, loc))
            return None


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__} value"


_FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_a_file(path: Path, mode: int) -> SourceProblem:
    what = next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")
    via = f" (a symbolic link to '{os.readlink(path)}')" if path.is_symlink() else ""
    return SourceProblem(f"expected a YAML file, found {what}{via}")


def _stat(path: Path) -> os.stat_result:
    """The status of what `path` leads to, or a SourceProblem that says why a link leads nowhere."""
    try:
        return path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceProblem("symbolic link loop: the link never reaches a file") from exc
        if exc.errno == errno.ENOENT and path.is_symlink():
            raise SourceProblem(f"broken symbolic link: its target '{os.readlink(path)}' does not exist") from exc
        raise SourceProblem(f"cannot read file: {exc.strerror or exc}") from exc


def _read_bytes(path: Path) -> bytes:
    """At most MAX_BYTES of a regular file (through any symlinks), or a SourceProblem.

    The type is checked before opening, because opening a FIFO blocks until a writer comes and reading a
    device may never end; and again on the open descriptor, in case the path was swapped in between. The
    read itself is capped too, for a file that grows after it was measured.
    """
    info = _stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise _not_a_file(path, info.st_mode)
    if info.st_size > MAX_BYTES:
        raise SourceProblem(f"file is too large ({info.st_size} bytes; the limit is {MAX_BYTES} bytes, 1 MiB)")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SourceProblem(f"cannot read file: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _not_a_file(path, mode)
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise SourceProblem(f"file is too large (more than {MAX_BYTES} bytes; the limit is 1 MiB)")
    return raw


def read_text(path: Path) -> str:
    """The file as text, refusing what is not a spec before YAML ever sees it."""
    raw = _read_bytes(path)
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise SourceProblem("file is binary, expected YAML text (NUL byte found)", raw.count(b"\n", 0, offset) + 1)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceProblem(
            f"file is not valid UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line
        ) from exc


class _Position(Protocol):
    """Where a YAML event starts: PyYAML's `Mark`, or libyaml's (another class with the same fields)."""

    line: int  # 0-based


def _too_deep(mark: _Position) -> SourceProblem:
    return SourceProblem(
        f"YAML nesting is deeper than {MAX_DEPTH} levels, the limit for a spec file "
        "(an alias counts at the depth it expands to)",
        mark.line + 1,
    )


class _BoundedComposer(Composer):
    """PyYAML's composer, counting as it goes so that no file can make a later stage hang or recurse.

    Composing is cheap even for an alias bomb (an alias is the same node again); what explodes is every
    stage after it that walks the tree, since each alias is walked in full. So each anchored node's
    expanded size and height are recorded when it is composed, and an alias adds them where it is used:
    the bounds hold for the tree as the builder, pydantic, deep_merge and json.dumps will see it. Depth is
    checked on the way down, so a file of a million '[' never reaches Python's recursion limit either.
    """

    # Provided by the parser this composer is mixed with (PyYAML's or libyaml's); declared, not defined,
    # so that the parser's own method is the one called.
    peek_event: Callable[[], Event | None]

    def _start_bounds(self) -> None:
        self._nodes = 0  # values composed so far, aliases at their expanded size
        self._depth = 0  # nesting level of the node being composed (the root is 1)
        self._deepest = 0  # deepest level reached inside the node being composed
        self._measured: dict[str, tuple[int, int]] = {}  # anchor → (expanded size, height)

    def _count(self, nodes: int, mark: _Position) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            raise SourceProblem(
                f"YAML expands to more than {MAX_NODES} values, the limit for a spec file "
                "(an alias counts as everything it repeats)",
                mark.line + 1,
            )

    def _reach(self, depth: int, mark: _Position) -> None:
        self._deepest = max(self._deepest, depth)
        if depth > MAX_DEPTH:
            raise _too_deep(mark)

    def compose_document(self) -> yaml.Node | None:
        self._measured = {}  # anchors are per document
        return super().compose_document()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # compose_node is only called with a node's event next, and both parsers give every event its mark.
        event = cast(NodeEvent, self.peek_event())
        start = cast(_Position, event.start_mark)
        if isinstance(event, AliasEvent):
            if event.anchor in self.anchors:
                if event.anchor not in self._measured:
                    raise SourceProblem(
                        f"alias *{event.anchor} is inside the node it refers to (a structure that contains "
                        "itself has no end)",
                        start.line + 1,
                    )
                size, height = self._measured[event.anchor]
                self._reach(self._depth + height, start)
                self._count(size, start)
            return super().compose_node(parent, index)  # an undefined alias is PyYAML's error to report
        self._depth += 1
        outer_deepest, before = self._deepest, self._nodes
        self._reach(self._depth, start)
        self._count(1, start)
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self._measured[event.anchor] = (self._nodes - before, self._deepest - self._depth + 1)
        self._deepest = max(outer_deepest, self._deepest)
        self._depth -= 1
        return node


class _BoundedSlowLoader(_BoundedComposer, yaml.SafeLoader):
    """The pure-Python loader, whose error messages are the ones users see."""

    def __init__(self, stream: str):
        yaml.SafeLoader.__init__(self, stream)
        self._start_bounds()


if CParser is not None:

    class _BoundedFastLoader(_BoundedComposer, _LibyamlParser, SafeConstructor, Resolver):
        """libyaml's scanner and parser under the bounded composer, since libyaml's own composer (in C)
        cannot be bounded. Composing in Python costs under a millisecond more per service file; parsing
        stays libyaml's, several times faster than the pure-Python parser."""

        def __init__(self, stream: str):
            _LibyamlParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start_bounds()


def _compose(text: str) -> list[yaml.Node]:
    """YAML nodes with their line marks: libyaml's parser when present (several times faster on a platform
    of fifty services), and the pure-Python one for a file libyaml rejects, whose error messages we quote.
    Both compose within MAX_DEPTH and MAX_NODES; exceeding them is a SourceProblem, not a reason to retry."""
    if CParser is not None:
        try:
            # types-PyYAML accepts only PyYAML's own loader classes, not a loader built from their parts.
            return list(yaml.compose_all(text, Loader=_BoundedFastLoader))  # type: ignore[arg-type]
        except yaml.MarkedYAMLError as exc:
            # libyaml's scanner reads ahead to its own limit of 1000 levels before our composer sees level
            # 65; PyYAML's scanner would take a second over the same text (quadratic in the flow level).
            if "maximum nesting depth" in str(exc.problem) and exc.problem_mark is not None:
                raise _too_deep(exc.problem_mark) from exc
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=_BoundedSlowLoader))


def load_yaml(path: Path, display: str | None = None, environ: Mapping[str, str] | None = None) -> SourceDoc:
    """Parse one spec file into a SourceDoc.

    Raises SourceProblem for a file that yields no usable mapping at all, or a list of them (via
    SourceProblems) when the mapping was read but parts of it were wrong, so all are reported together.
    """
    text = read_text(path)
    try:
        documents = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise SourceProblem(f"YAML syntax error: {problem}{context}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise SourceProblem(f"YAML error: {exc}") from exc
    documents = [d for d in documents if d is not None]
    if not documents:
        raise SourceProblem("file is empty, expected a YAML mapping")
    if len(documents) > 1:
        raise SourceProblem(
            "expected a single YAML document, found several (remove the '---' separator)",
            documents[1].start_mark.line + 1,
        )
    root = documents[0]
    if not isinstance(root, yaml.MappingNode):
        builder = _Builder(environ)
        value = builder.build(root, ())
        raise SourceProblem(f"expected a mapping at the top level (got {_describe(value)})", root.start_mark.line + 1)
    builder = _Builder(environ)
    data = builder.build(root, ())
    builder.lines[()] = root.start_mark.line + 1
    doc = SourceDoc(file=display or str(path), path=path, data=data, lines=builder.lines)
    if builder.problems:
        raise SourceProblems(doc, builder.problems)
    return doc


class SourceProblems(Exception):
    """A file that parsed into a mapping but had local problems (duplicate keys, unset variables)."""

    def __init__(self, doc: SourceDoc, problems: list[SourceProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.doc = doc
        self.problems = problems
