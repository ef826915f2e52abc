"""Spec files as hostile input: what is in services/ besides files, and YAML built to explode.

Every `*.yaml` / `*.yml` entry in services/ is read or is an error naming it: skipping one would drop its
service from the desired state, and `diff` would plan to delete it. Nothing there may block or read
forever (a FIFO, /dev/zero). And no YAML may hang or crash the loader: aliases count at their expanded size
and nesting has a limit, both while composing, so an alias bomb is refused before it is expanded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platformctl.engine.planner import diff_props
from platformctl.errors import SpecIssue
from platformctl.layers import BuildContext, desired_resources
from platformctl.resources.registry import registry
from platformctl.specs import yaml_source
from platformctl.specs.yaml_source import MAX_DEPTH, MAX_NODES
from tests.unit.spec_helpers import SEED, assert_issue, edit, issues, line_of, load, only_issue, seed_copy, write

# The alias bomb's bound: far above what the bounded loader needs (milliseconds), far below what the
# unbounded one took (39 s to a MemoryError). Other tests only guard against hanging forever (a FIFO).
ALIAS_BOMB_LIMIT_S = 5.0
HANG_GUARD_S = 120.0


def within_time_limit(work: Callable[[], Any], seconds: float = HANG_GUARD_S) -> Any:
    """`work()`, failing the test instead of hanging it when `work` blocks or runs away."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    assert time.monotonic() - started < seconds
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def only_issue_in_time(specs: Path, env: str | None = None, seconds: float = HANG_GUARD_S) -> SpecIssue:
    return within_time_limit(lambda: only_issue(specs, env), seconds)


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both parsers the loader may use: libyaml when PyYAML has it, the pure-Python one otherwise (and for
    every file libyaml rejects)."""
    if request.param == "pure-python":
        monkeypatch.setattr(yaml_source, "CParser", None)
    elif yaml_source.CParser is None:
        pytest.skip("PyYAML was built without libyaml")
    return request.param


# --- entries in services/ that are not regular files ----------------------------------------------------


def _dangling(path: Path) -> None:
    path.symlink_to("billing-v2.yaml")


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "order.yaml").write_text((SEED / "services" / "order.yaml").read_text())


NOT_A_FILE = {
    "dangling-symlink": (_dangling, "broken symbolic link: its target 'billing-v2.yaml' does not exist"),
    "symlink-loop": (_loop, "symbolic link loop: the link never reaches a file"),
    "link-to-dev-zero": (_device, "expected a YAML file, found a character device (a symbolic link to '/dev/zero')"),
    "fifo": (_fifo, "expected a YAML file, found a named pipe (FIFO)"),
    "directory": (_directory, "expected a YAML file, found a directory"),
}


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
@pytest.mark.parametrize("case", NOT_A_FILE, ids=list(NOT_A_FILE))
def test_a_services_entry_that_is_not_a_file_is_an_error_naming_it(tmp_path: Path, case: str, suffix: str) -> None:
    make, message = NOT_A_FILE[case]
    specs = seed_copy(tmp_path)
    make(specs / "services" / f"billing{suffix}")
    issue = only_issue_in_time(specs, "dev")
    assert issue.file == str(specs / "services" / f"billing{suffix}")
    assert (issue.line, issue.path, issue.message) == (None, "", message)


def test_an_entry_replacing_a_service_file_is_reported_without_knock_on_errors(tmp_path: Path) -> None:
    """payment.yaml turned into a broken link: one error about it, not 'subscribes to unknown service'."""
    specs = seed_copy(tmp_path)
    (specs / "services" / "payment.yaml").unlink()
    (specs / "services" / "payment.yaml").symlink_to("payment-v2.yaml")
    issue = only_issue_in_time(specs, "dev")
    assert_issue(issue, "services/payment.yaml", None, "", "broken symbolic link")


def test_platform_yaml_that_is_a_directory_is_named_as_such(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    (specs / "platform.yaml").unlink()
    (specs / "platform.yaml").mkdir()
    found = within_time_limit(lambda: issues(specs, "dev"))
    assert any(i.file == str(specs / "platform.yaml") and "found a directory" in i.message for i in found), found


def test_service_files_reached_through_symlinks_inside_and_outside_the_folder_load(tmp_path: Path) -> None:
    specs = seed_copy(tmp_path)
    services = specs / "services"
    (services / "order").mkdir()  # inside the folder, behind a relative link
    (services / "order.yaml").rename(services / "order" / "v2.yaml")
    (services / "order.yaml").symlink_to("order/v2.yaml")
    elsewhere = tmp_path / "elsewhere"  # outside the specs folder, behind an absolute link
    elsewhere.mkdir()
    (services / "payment.yaml").rename(elsewhere / "payment.yaml")
    (services / "payment.yml").symlink_to(elsewhere / "payment.yaml")
    loaded, seed = load(specs, "production"), load(SEED, "production")
    assert (loaded.platform, loaded.services) == (seed.platform, seed.services)
    assert loaded.files["order"] == services / "order.yaml"
    assert loaded.files["payment"] == services / "payment.yml"


# --- YAML that explodes: alias bombs, deep nesting, self-reference ---------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_at_its_line_before_it_is_expanded(tmp_path: Path, yaml_parser: str) -> None:
    specs = seed_copy(tmp_path)
    path = write(specs, "services/order.yaml", (specs / "services/order.yaml").read_text() + BOMB)
    issue = only_issue_in_time(specs, "dev", ALIAS_BOMB_LIMIT_S)
    # a=10 values with its key, b=92, c=821, d=7382, e=66431: the 100,000th is reached inside f's aliases.
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "f: &f"), "")
    assert issue.message == (
        f"YAML expands to more than {MAX_NODES} values, the limit for a spec file "
        "(an alias counts as everything it repeats)"
    )
    assert issue.file == str(path)


@pytest.mark.parametrize("depth", [500, 400_000])
def test_nesting_deeper_than_the_limit_is_refused_at_its_line(tmp_path: Path, yaml_parser: str, depth: int) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "calls: [user, payment]", "calls: " + "[" * depth + "user" + "]" * depth)
    issue = only_issue_in_time(specs, "dev")
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "calls:"), "")
    assert issue.message.startswith(f"YAML nesting is deeper than {MAX_DEPTH} levels, the limit for a spec file")


def test_block_style_nesting_is_refused_at_the_line_that_crosses_the_limit(tmp_path: Path, yaml_parser: str) -> None:
    specs = seed_copy(tmp_path)
    lines = ["calls:"] + [f"{'  ' * level}k{level}:" for level in range(1, 100)] + [f"{'  ' * 100}v"]
    edit(specs, "services/order.yaml", "calls: [user, payment]", "\n".join(lines))
    issue = only_issue_in_time(specs, "dev")
    # The root is level 1, calls' value level 2, k1 and its value level 3: k63 is level 65.
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "k63:"), "", "deeper than 64")


def test_aliases_count_at_the_depth_they_expand_to(tmp_path: Path, yaml_parser: str) -> None:
    """Two anchors of 40 levels each are fine alone; one inside the other is 80 levels once expanded."""
    specs = seed_copy(tmp_path)
    text = (specs / "services/order.yaml").read_text()
    deep = "[" * 40 + "x" + "]" * 40
    write(specs, "services/order.yaml", text + f"xa: &a {deep}\nxb: &b {'[' * 40}*a{']' * 40}\n")
    issue = only_issue_in_time(specs, "dev")
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "xb: &b"), "", "deeper than 64")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path, yaml_parser: str) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "calls: [user, payment]", "calls: &calls [user, [*calls]]")
    issue = only_issue_in_time(specs, "dev")
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "calls:"), "")
    assert issue.message == "alias *calls is inside the node it refers to (a structure that contains itself has no end)"


def _nested(levels: int, leaf: Any) -> Any:
    for _ in range(levels):
        leaf = {"k": leaf}
    return leaf


def _nested_yaml(levels: int, leaf: Any) -> str:
    """_nested as YAML flow text, written without recursing (json.dumps would, and hit its own limit)."""
    return "{k: " * levels + json.dumps(leaf) + "}" * levels


# root (1) → rules' list (2) → the rule (3) → pattern (4) → detail: `levels` mappings (5…) → the leaf list →
# its strings: 58 mappings put the strings at level 64, the deepest a spec may go.
DEEPEST_PATTERN_LEVELS = MAX_DEPTH - 6


def _deep_rule(levels: int, leaf: list[str]) -> str:
    return f"rules: [{{name: deep, pattern: {{detail: {_nested_yaml(levels, leaf)}}}}}]"


def test_a_rule_pattern_one_level_too_deep_is_refused(tmp_path: Path, yaml_parser: str) -> None:
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "calls: [user, payment]", _deep_rule(DEEPEST_PATTERN_LEVELS + 1, ["a"]))
    issue = only_issue_in_time(specs, "dev")
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "rules:"), "", "deeper than 64")


def test_specs_at_the_depth_limit_load_build_and_diff(tmp_path: Path, yaml_parser: str) -> None:
    """What passes the bounds cannot recurse past Python's limit in a later stage: interpolation, pydantic,
    deep-merging an override, building the graph, json.dumps and the planner's field diff."""
    specs = seed_copy(tmp_path)
    edit(specs, "services/order.yaml", "calls: [user, payment]", _deep_rule(DEEPEST_PATTERN_LEVELS, ["${LEAF:-a}"]))
    edit(
        specs,
        "services/order.yaml",
        "  production: {count: 4,",
        # two levels down already (environments → production), so two mappings fewer to reach level 64
        f"  production: {{{_deep_rule(DEEPEST_PATTERN_LEVELS - 2, ['b'])}, count: 4,",
    )

    def build() -> list[Any]:
        found = []
        for env in ("dev", "production"):
            loaded = load(specs, env)
            found += [r for r in desired_resources(BuildContext(loaded)) if r.kind == "events.rule"]
        return found

    dev, production = within_time_limit(build)
    assert dev.props["pattern"] == {"detail": _nested(DEEPEST_PATTERN_LEVELS, ["a"])}
    assert production.props["pattern"] == {"detail": _nested(DEEPEST_PATTERN_LEVELS - 2, ["b"])}
    assert json.loads(json.dumps(dev.props["pattern"])) == dev.props["pattern"]
    live = {**dev.props, "pattern": {"detail": _nested(DEEPEST_PATTERN_LEVELS, ["b"])}}
    changes = diff_props(live, dev.props, registry()["events.rule"])
    deep_path = "pattern.detail" + ".k" * DEEPEST_PATTERN_LEVELS + "[0]"
    assert [(c.path, c.old, c.new) for c in changes] == [(deep_path, "b", "a")]


def test_specs_deep_on_both_sides_of_an_override_merge_and_fail_cleanly(tmp_path: Path, yaml_parser: str) -> None:
    """deep_merge recurses where base and override are both mappings: 60 levels of them merge, then fail
    validation as the unknown field they are."""
    specs = seed_copy(tmp_path)
    base = _nested_yaml(MAX_DEPTH - 2, "base")  # root (1) → notes' value (2) → … → the leaf (64)
    override = _nested_yaml(MAX_DEPTH - 4, "override")  # … environments → production → notes → leaf
    edit(specs, "services/order.yaml", "calls: [user, payment]", f"notes: {base}")
    edit(specs, "services/order.yaml", "  production: {count: 4,", f"  production: {{notes: {override}, count: 4,")
    found = within_time_limit(lambda: issues(specs, "production"))
    assert [(i.path, i.message.split(" (")[0]) for i in found] == [("notes", "unknown field 'notes'")], found


def test_a_file_just_under_the_value_limit_loads_quickly(tmp_path: Path, yaml_parser: str) -> None:
    """93,500 values through aliases, in an override: built, deep-merged for every environment, validated."""
    specs = seed_copy(tmp_path)
    many = ", ".join(["*ten"] * 8500)  # 8500 × 11 values
    edit(
        specs,
        "services/order.yaml",
        "  production: {count: 4,",
        f"  production: {{bulk: {{ten: &ten [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], many: [{many}]}}, count: 4,",
    )
    issue = only_issue_in_time(specs, "production")
    assert_issue(issue, "services/order.yaml", line_of(specs, "services/order.yaml", "bulk:"))
    assert (issue.path, issue.message) == ("environments.production.bulk", "unknown field 'bulk'")
