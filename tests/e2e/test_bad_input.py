"""Bad specs are one clear message and exit 1 from every command, and never reach AWS.

The corpus (`tests/corpus/<case>/`, see its README) holds broken spec sets laid over the seed specs. Each
one is run through `validate`, `diff`, `apply` and `destroy` of the real CLI against the emulator behind the
Harness, which counts every AWS call: an invalid spec set must make none at all, not even a read. A
property-based test then mutates the seed specs at random and checks that the loader only ever answers with
a SpecSet or a SpecError, and that whatever it accepts also builds a desired graph.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from platformctl import cli
from platformctl.errors import SpecError
from platformctl.layers import BuildContext, desired_resources
from platformctl.specs import SpecSet, load_specs
from platformctl.specs.yaml_source import MAX_BYTES
from tests.e2e.helpers import Harness, fresh_harness
from tests.seed import SEED_SPECS as SEED
from tests.seed import store_seed_secrets

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"

COMMANDS: list[list[str]] = [
    ["validate"],
    ["diff", "--env", "dev"],
    ["apply", "--env", "dev", "--auto-approve"],
    ["destroy", "--env", "dev", "--auto-approve"],
]

# Variables the seed and the corpus read through ${VAR}: unset for every case, so the outcome never
# depends on the machine running the tests.
SPEC_VARIABLES = ("API_DOMAIN", "API_CERT_ARN", "PLATFORMCTL_CORPUS_UNSET_IMAGE", "TAG")


@dataclass(frozen=True)
class Expect:
    file: str
    line: int | None
    field: str
    message: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    expect: Expect
    overlay: Callable[[Path], None]


def _committed(directory: Path) -> Case:
    expect = yaml.safe_load((directory / "expect.yaml").read_text())
    assert set(expect) <= {"file", "line", "field", "message"}, f"{directory.name}: unexpected keys in expect.yaml"
    assert os.path.lexists(directory / expect["file"]), f"{directory.name}: expect.yaml names a file the case lacks"

    def overlay(specs: Path) -> None:
        for source in sorted(directory.rglob("*")):
            if source.is_symlink():  # broken, looping or leading to a device: laid over as the link itself
                target = specs / source.relative_to(directory)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(os.readlink(source))
            elif source.is_file() and source.name not in ("expect.yaml", "README.md"):
                target = specs / source.relative_to(directory)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)

    return Case(directory.name, Expect(**expect), overlay)


def _generated(name: str, rel: str, content: Callable[[], bytes], expect: Expect) -> Case:
    """A case whose file is made at test time: binary or huge content has no place in the repository."""

    def overlay(specs: Path) -> None:
        (specs / rel).write_bytes(content())

    return Case(name, expect, overlay)


ORDER = "services/order.yaml"
HEAD = b"service: order\nimage: nginx\n"
PADDING = b"# padding padding padding padding padding padding\n"
HUGE_SIZE = len(HEAD) + len(PADDING) * (10 * 1024 * 1024 // len(PADDING))  # about 10 MB
LATIN1 = "service: order\nimage: nginx\nenv: {GREETING: caf\xe9}\n".encode("latin-1")
GENERATED = [
    # NUL bytes and invalid UTF-8 after two lines of text: the NUL on line 3 is what gives it away.
    _generated(
        "binary-file",
        ORDER,
        lambda: HEAD + b"\x89PNG\x00\x00\xff\xfe\x00\x1a\n\xc3\x28\x00",
        Expect(ORDER, 3, "", "file is binary, expected YAML text (NUL byte found)"),
    ),
    # Valid-looking YAML, ten times the limit: refused on its size before it is parsed.
    _generated(
        "ten-megabyte-file",
        ORDER,
        lambda: HEAD + PADDING * ((HUGE_SIZE - len(HEAD)) // len(PADDING)),
        Expect(ORDER, None, "", f"file is too large ({HUGE_SIZE} bytes; the limit is {MAX_BYTES} bytes, 1 MiB)"),
    ),
    # Latin-1 text, no NUL: not UTF-8, so not decodable as a spec.
    _generated(
        "undecodable-file",
        ORDER,
        lambda: LATIN1,
        Expect(ORDER, 3, "", f"file is not valid UTF-8 text (byte 0xe9 at offset {LATIN1.index(0xE9)})"),
    ),
]
CASES = [_committed(d) for d in sorted(CORPUS.iterdir()) if d.is_dir()] + GENERATED


def test_corpus_is_big_enough_and_every_case_is_run() -> None:
    committed = [d.name for d in CORPUS.iterdir() if d.is_dir()]
    assert len(committed) >= 40
    assert all((CORPUS / name / "expect.yaml").is_file() for name in committed)
    assert len({c.name for c in CASES}) == len(committed) + 3


# ---- the emulator behind the Harness -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def harness(moto_server: str) -> Iterator[Harness]:
    """The session's emulator, behind the Harness, over an empty account (what other modules left is gone)."""
    yield from fresh_harness(moto_server)


def reset_counters(harness: Harness) -> None:
    harness.reset_counters()
    assert harness.stats()["total"] == 0


@pytest.fixture(autouse=True)
def _no_spec_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SPEC_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _run(specs: Path, endpoint: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = cli.run(["--specs", str(specs), "--endpoint-url", endpoint, *args])
    except Exception:  # what the CLI lets escape would be a traceback for the user
        captured = capsys.readouterr()
        pytest.fail(f"`platformctl {' '.join(args)}` raised:\n{traceback.format_exc()}\n{captured.out}{captured.err}")
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_harness_counts_aws_calls(harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The zero-calls check below means something: a valid diff on the same emulator is counted."""
    specs = tmp_path / "specs"
    shutil.copytree(SEED, specs)
    reset_counters(harness)
    code, out, err = _run(specs, harness.endpoint, ["validate"], capsys)
    assert code == 0, out + err
    assert harness.stats()["total"] == 0  # validate never calls AWS, valid or not
    store_seed_secrets(harness.endpoint, ("us-east-1",))  # the seed names two; a diff looks them up
    reset_counters(harness)
    code, out, err = _run(specs, harness.endpoint, ["diff", "--env", "dev"], capsys)
    assert code == 2, out + err
    stats = harness.stats()
    assert stats["total"] > 0 and stats["writes"] == 0, stats


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_specs_fail_every_command_with_location_and_no_aws_call(
    case: Case, harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(SEED, specs)
    case.overlay(specs)
    expect = case.expect
    where = f"{specs / expect.file}:{expect.line}" if expect.line is not None else str(specs / expect.file)
    # SpecIssue's rendering: `<file>:<line>: <field>: <message>`; no field part for file-level problems.
    start = f"{where}: {expect.field}: " if expect.field else f"{where}: "
    reset_counters(harness)
    for args in COMMANDS:
        code, out, err = _run(specs, harness.endpoint, args, capsys)
        shown = f"`platformctl {' '.join(args)}`:\n--- stdout\n{out}--- stderr\n{err}"
        assert code == 1, shown
        assert "Traceback" not in out + err, shown
        assert "invalid specs:" in err, shown
        lines = [row.strip() for row in err.splitlines()]
        located = [row for row in lines if row.startswith(start)]
        assert located, f"expected a line starting {start!r}\n{shown}"
        assert any(expect.message in row for row in located), f"expected {expect.message!r} in {located}\n{shown}"
        stats = harness.stats()
        assert stats["total"] == 0, f"{args[0]} made AWS calls: {stats['calls']}"


# ---- random mutations of the seed specs ---------------------------------------------------------------------

SPEC_FILES = ["platform.yaml", "services/order.yaml", "services/payment.yaml", "services/user.yaml"]

TRICKY_TEXT = [
    "",
    " ",
    "${UNSET_VARIABLE}",
    "${A:-1}",
    "${A:-}",
    "$${literal}",
    "${",
    "ANY /x/{proxy+}",
    "GET /orders/{id}",
    "/",
    "//",
    "{proxy+}",
    "10.0.0.0/28",
    "10.0.0.0/16",
    "0.0.0.0/0",
    "appmesh",
    "App-Mesh",
    "service-connect",
    "FARGATE_SPOT",
    "per-az",
    "order",
    "payment",
    "user",
    "platform",
    "dev",
    "production",
    "ssm:/",
    "secretsmanager:",
    "arn:aws:acm:us-east-1:000000000000:certificate/x",
    "api.example.com",
    "https://issuer.example.com",
    "a" * 300,
    "x" * 31,
    "é ü 中",
    "true",
    "null",
    "0x1F",
    "1e3",
    "-",
]
TRICKY_INT = [-1, 0, 1, 2, 3, 6, 7, 28, 256, 512, 1000, 1001, 4096, 16384, 43200, 65535, 65536, 2**31, 2**63, 10**30]

# One strategy per YAML type, so "a value of another type" is drawn directly rather than filtered.
SCALARS_BY_TYPE: dict[type, st.SearchStrategy[Any]] = {
    type(None): st.none(),
    bool: st.booleans(),
    int: st.one_of(st.sampled_from(TRICKY_INT), st.integers()),
    float: st.floats(),
    str: st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=40)),
}
scalars = st.one_of(*SCALARS_BY_TYPE.values())
keys = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(min_size=1, max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=6,
)
CONTAINERS_BY_TYPE: dict[type, st.SearchStrategy[Any]] = {
    list: st.lists(values, max_size=4),
    dict: st.dictionaries(keys, values, max_size=4),
}


def _other_type(value: Any) -> st.SearchStrategy[Any]:
    return st.one_of(*(s for t, s in {**SCALARS_BY_TYPE, **CONTAINERS_BY_TYPE}.items() if t is not type(value)))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        root = root[part]
    return root


# Each seed file parsed once: an example mutates a deep copy (about 1% of the cost of parsing it again).
SEED_ROOTS: dict[str, Any] = {rel: yaml.safe_load((SEED / rel).read_text()) for rel in SPEC_FILES}


def _seed_values() -> dict[type, list[Any]]:
    """Every value in the seed specs by type: plausible material for a mutation that might still be valid."""
    found: dict[type, list[Any]] = {}
    for root in SEED_ROOTS.values():
        for path in _paths(root):
            if path:
                value = _get(root, path)
                found.setdefault(type(value), []).append(value)
    return found


SEED_VALUES = _seed_values()


def _mutate(data: st.DataObject, root: dict[str, Any]) -> str:
    """Apply one random mutation to `root` in place; return a description for the failure report."""
    # The root last: hypothesis favours early elements, and the root only takes an unknown key.
    paths = list(_paths(root))
    path = data.draw(st.sampled_from(paths[1:] + paths[:1]), label="path")
    node = _get(root, path)
    parent = _get(root, path[:-1]) if path else None
    # Weighted, plausible first: mutations that often keep the specs valid reach the graph builder, the
    # others the validator.
    options = ["borrow", "delete", "borrow", "delete", "replace"] if path else []
    if type(node) not in SEED_VALUES:  # a value an earlier mutation put there (None, a float)
        options = [o for o in options if o != "borrow"]
    if isinstance(node, list) and node:
        options.append("duplicate_item")
    if isinstance(node, str):
        options.append("text")
    if isinstance(node, int) and not isinstance(node, bool):
        options.append("number")
    options.append("unknown_key")
    kind = data.draw(st.sampled_from(options), label="mutation")
    if kind == "delete":
        del parent[path[-1]]
    elif kind == "replace":
        parent[path[-1]] = data.draw(_other_type(node), label="value")
    elif kind == "borrow":  # a value of the same type from anywhere in the seed: `count: 512`, `cpu: 60`
        parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(SEED_VALUES[type(node)]), label="value"))
    elif kind == "unknown_key":
        target = node if isinstance(node, dict) else parent if isinstance(parent, dict) else root
        target[data.draw(keys, label="key")] = data.draw(values, label="value")
    elif kind == "duplicate_item":
        index = data.draw(st.integers(0, len(node) - 1), label="item")
        node.insert(index, copy.deepcopy(node[index]))
    elif kind == "text":
        parent[path[-1]] = data.draw(SCALARS_BY_TYPE[str], label="text")
    elif kind == "number":
        parent[path[-1]] = data.draw(SCALARS_BY_TYPE[int], label="number")
    return f"{kind} at {list(path)}"


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain" phase
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_specs_load_or_fail_cleanly_and_what_loads_builds(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp) / "specs"
        shutil.copytree(SEED, specs)
        mutated = data.draw(st.lists(st.sampled_from(SPEC_FILES), min_size=1, max_size=2, unique=True), label="files")
        for rel in mutated:
            path = specs / rel
            root = copy.deepcopy(SEED_ROOTS[rel])
            for _ in range(data.draw(st.sampled_from([1, 1, 2, 3]), label="mutations")):
                note(f"{rel}: {_mutate(data, root)}")
            path.write_text(yaml.safe_dump(root, sort_keys=False, allow_unicode=True))
        try:
            loaded = load_specs(specs, "dev", environ={})
        except SpecError as exc:
            assert exc.issues, "a SpecError without issues"
            for issue in exc.issues:
                assert issue.file and Path(issue.file).name in {Path(f).name for f in SPEC_FILES}, issue
                assert isinstance(issue.message, str) and issue.message.strip(), issue
            assert str(exc).startswith("invalid specs:")
            event("rejected with a SpecError")
            return
        event("accepted")
        assert isinstance(loaded, SpecSet)
        desired_resources(BuildContext(loaded))
