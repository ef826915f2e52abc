"""`python -m bench --timeline`: how long apply takes against how long AWS makes it wait, at the least.

On AWS an apply from empty is dominated by waits, not calls: a VPC link is PENDING for minutes, an ALB
provisions for about three, NAT gateways for one or two, and each ECS service rolls out. So this run applies
the seed platform on the emulator's realistic profile (`platformctl.emulator_realistic`), every duration a
fixed fraction (SCALE) of AWS's typical figure, and compares apply's wall time with the longest chain of
waits that must happen one after the other (the lower bound no tool can beat). Target: at most 1.2× it.

The figures (AWS seconds; `emulator_realistic.AWS_SECONDS`, where each one's source is written down):
NAT gateway 120 (VPC user guide: usually 1-2 minutes), VPC link 300 (API Gateway: "can take up to 10
minutes", a few typically), ALB 180 (about 3 minutes to provision), Cloud Map namespace 60 (an operation of
about a minute), ECS cluster 10, the first cluster's service-linked role 15, fresh IAM roles 10 (eventual
consistency), a target group's new listener 5, ECS rollout 60 (a Fargate task starting and passing health
checks), plus the target group's deregistration delay on a rollout that replaces tasks (the spec's
`deregistrationDelay`, 30 s by default; AWS's own default is 300 s).

Then a deploy (every service's image changed): its bound is one rollout plus the deregistration delay.
Writes timeline.json and timeline.md next to the main results.

Why SCALE is a quarter: what does not scale with AWS's durations (the CLI's start-up, the account and zone
checks, the lock, reading live state and planning: about 5 s here at 50 ms a call, as on AWS) is about 2 %
of a real apply bounded by a 5-minute VPC link. At a tenth of AWS's durations it weighed 17 % of the bound,
ten times its real share; at a quarter it weighs about 7 %, four times its share, and the run stays
short (about 4 minutes). `--scale` runs another fraction. Before the measured apply, one `diff`
(unmeasured) warms the emulator up, as the main benchmark does: moto builds each service's backend on its
first call, about 2.5 s in all that AWS does not charge.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import measure
from platformctl import emulator_realistic, local
from tests.seed import SEED_SPECS, store_seed_secrets

SCALE = 0.25  # a 5-minute VPC link takes 75 s (see the docstring: fixed costs still weigh 4× their share on AWS)
ENV = "dev"
TARGET = 1.2
DEREGISTRATION_DELAY = 30  # the seed's services keep the spec's default
# The chains of waits an apply of the seed from empty cannot overlap: each item waits for the one before.
CHAINS: dict[str, list[str]] = {
    "VPC link AVAILABLE → integrations → routes": ["vpc_link_create"],
    "ALB active → listener rules → services created → rolled out": [
        "load_balancer_create",
        "listener_rule_association",
        "ecs_rollout",
    ],
    "service-linked role → cluster ACTIVE → services rolled out": [
        "ecs_service_linked_role",
        "ecs_cluster_create",
        "ecs_rollout",
    ],
    "namespace operation SUCCESS → services rolled out": ["namespace_create", "ecs_rollout"],
    "fresh roles assumable → services rolled out": ["iam_role_propagation", "ecs_rollout"],
    "NAT gateway available → private routes": ["nat_create"],
}
# Kinds whose operations are waits, shown with their own seconds.
WAITED = ("apigw.vpc_link", "elbv2.load_balancer", "ec2.nat_gateway", "servicediscovery.namespace", "ecs.cluster",
          "ecs.service")


def chain_seconds(names: list[str], scale: float = SCALE) -> float:
    return sum(emulator_realistic.AWS_SECONDS[name] * scale for name in names)


def lower_bounds(scale: float = SCALE) -> dict[str, float]:
    return {label: round(chain_seconds(names, scale), 2) for label, names in CHAINS.items()}


def _operations(run: measure.Run) -> list[dict[str, Any]]:
    document = run.json() or {}
    return list((document.get("report") or {}).get("operations") or [])


def _execute_s(run: measure.Run) -> float:
    """The engine's execution phase (first operation started to last finished): the wall time less start-up,
    reading live state and planning."""
    return float(((run.json() or {}).get("report") or {}).get("seconds") or 0.0)


def _slowest_by_kind(operations: list[dict[str, Any]]) -> dict[str, float]:
    slowest: dict[str, float] = {}
    for op in operations:
        if op.get("kind") in WAITED:
            slowest[op["kind"]] = max(slowest.get(op["kind"], 0.0), float(op.get("seconds") or 0))
    return slowest


def run(work: Path, latency_ms: float, say: Any, scale: float = SCALE) -> dict[str, Any]:
    """Apply from empty, deploy a new image, destroy: each timed from outside against its bound."""
    specs = work / "timeline-specs"
    shutil.copytree(SEED_SPECS, specs)
    apply = ("apply", "--env", ENV, "--auto-approve", "-o", "json")
    log = work / "timeline-emulator.log"
    with local.running(log, latency_ms=latency_ms, realistic=True, realistic_scale=scale) as url:
        emulator = measure.Emulator(url)
        for name, value in measure.AWS_ENV.items():  # fake credentials for our own boto3 calls, as the CLI's
            os.environ.setdefault(name, value)
        store_seed_secrets(url)  # a plan looks up the secrets the seed names
        bounds = lower_bounds(scale)
        bound = max(bounds.values())
        say("warming the emulator up (diff of the empty environment, unmeasured)")
        measure.platformctl(specs, url, "diff", "--env", ENV, ok=(0, 2))
        say(f"apply from empty (lower bound {bound:.1f} s: {max(bounds, key=bounds.get)})")
        first = measure.platformctl(specs, url, *apply)
        say(f"  {first.wall:.1f} s")

        for path in sorted((specs / "services").glob("*.yaml")):
            path.write_text(path.read_text().replace("nginx-unprivileged:1.27", "nginx-unprivileged:1.27.5"))
        deploy_bound = round(chain_seconds(["ecs_rollout"], scale) + DEREGISTRATION_DELAY * scale, 2)
        aws_default_bound = round(chain_seconds(["ecs_rollout"], scale) + 300 * scale, 2)
        say(f"deploy a new image to every service (lower bound {deploy_bound:.1f} s)")
        deploy = measure.platformctl(specs, url, *apply)
        say(f"  {deploy.wall:.1f} s")
        diff = measure.platformctl(specs, url, "diff", "--env", ENV, ok=(0, 2))

        say("destroy")
        started = time.perf_counter()
        measure.platformctl(specs, url, "destroy", "--env", ENV, "--auto-approve", "-o", "json")
        destroy_s = time.perf_counter() - started
        calls = emulator.stats().get("total")
    return {
        "scale": scale,
        "latency_ms": latency_ms,
        "aws_seconds": dict(emulator_realistic.AWS_SECONDS),
        "chains": bounds,
        "apply": {
            "wall_s": round(first.wall, 2),
            "bound_s": bound,
            "ratio": round(first.wall / bound, 2),
            "execute_s": _execute_s(first),
            "waits_s": _slowest_by_kind(_operations(first)),
        },
        "deploy": {
            "wall_s": round(deploy.wall, 2),
            "bound_s": deploy_bound,
            "ratio": round(deploy.wall / deploy_bound, 2),
            "execute_s": _execute_s(deploy),
            "bound_with_aws_default_delay_s": aws_default_bound,
            "in_sync_after": diff.code == 0,
        },
        "destroy_s": round(destroy_s, 2),
        "calls": calls,
    }


def table(result: dict[str, Any]) -> Table:
    grid = Table(title=f"Timeline: the seed under the realistic profile, AWS's durations × {result['scale']}")
    for column in ("run", "wall s", "execute s", "lower bound s", f"wall / bound ≤{TARGET}", "execute / bound"):
        grid.add_column(column, justify="left" if column == "run" else "right")
    for label, key in (("apply from empty", "apply"), ("deploy (new image, every service)", "deploy")):
        figures = result[key]
        mark = "✓" if figures["ratio"] <= TARGET else "✗"
        grid.add_row(
            label,
            f"{figures['wall_s']:.1f}",
            f"{figures['execute_s']:.1f}",
            f"{figures['bound_s']:.1f}",
            f"{figures['ratio']:.2f} {mark}",
            f"{figures['execute_s'] / figures['bound_s']:.2f}",
        )
    return grid


def markdown(result: dict[str, Any]) -> str:
    apply, deploy = result["apply"], result["deploy"]
    lines = [
        f"Timeline (`python -m bench --timeline`): the seed platform under the realistic profile, every AWS duration "
        f"× {result['scale']}, {result['latency_ms']:g} ms added to every call, the emulator warmed up by an "
        "unmeasured `diff`.",
        "",
        f"| run | wall s | execute s | lower bound s | wall / bound ≤{TARGET} | execute / bound |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, figures in (("apply from empty", apply), ("deploy (new image, every service)", deploy)):
        mark = "✓" if figures["ratio"] <= TARGET else "✗"
        wall, execute, bound = (f"{figures[key]:.1f}" for key in ("wall_s", "execute_s", "bound_s"))
        share = figures["execute_s"] / figures["bound_s"]
        lines.append(f"| {label} | {wall} | {execute} | {bound} | {figures['ratio']:.2f} {mark} | {share:.2f} |")
    lines += ["", "Chains of waits (seconds at this scale; the longest is apply's bound):", ""]
    lines += [f"- {label}: {seconds:.1f}" for label, seconds in result["chains"].items()]
    waits = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(apply["waits_s"].items()))
    lines += [
        "",
        f"Slowest operation of each waiting kind during apply (s): {waits}.",
        f"Deploy bound with AWS's default deregistration delay (300 s) instead of the spec's 30 s: "
        f"{deploy['bound_with_aws_default_delay_s']:.1f} s. Destroy: {result['destroy_s']:.1f} s.",
        "",
    ]
    return "\n".join(lines)


def main(work: Path, out: Path, latency_ms: float, console: Console, err: Console, scale: float = SCALE) -> int:
    try:
        result = run(work, latency_ms, lambda message: err.print(message, markup=False, highlight=False), scale)
    except measure.CommandFailed as exc:
        err.print(f"✗ {exc}", markup=False)
        err.print((exc.stderr.strip() or exc.stdout.strip())[-4000:], markup=False, highlight=False)
        return 1
    console.print(table(result))
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out.with_name("timeline.json"), out.with_name("timeline.md")
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(result), encoding="utf-8")
    err.print(f"wrote {json_path} and {md_path}")
    return 0
