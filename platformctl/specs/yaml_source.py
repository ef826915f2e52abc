"""Reading one spec file into plain data while remembering where every value came from.

pydantic only knows paths like `subscribes.0.from`; users need `services/order.yaml:17`. So the YAML is
composed into its node tree and converted by hand, recording the 1-based line of every mapping entry and
list item. The same walk rejects what a plain `yaml.safe_load` would silently accept: duplicate keys (the
last one would win), several documents (all but the first would be ignored) and non-text content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from platformctl.specs.interpolate import InterpolationError, has_reference, interpolate

MAX_BYTES = 1024 * 1024

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


def read_text(path: Path) -> str:
    """The file as text, refusing what is not a spec before YAML ever sees it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceProblem(f"cannot read file: {exc.strerror or exc}") from exc
    if size > MAX_BYTES:
        raise SourceProblem(f"file is too large ({size} bytes; the limit is {MAX_BYTES} bytes, 1 MiB)")
    raw = path.read_bytes()
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


def _compose(text: str) -> list[yaml.Node]:
    """YAML nodes with their line marks: libyaml's parser when present (several times faster on a platform
    of fifty services), and the pure-Python one for a file libyaml rejects, whose error messages we quote."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


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
