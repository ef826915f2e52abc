"""Benchmark of platformctl against the local emulator with real-AWS-like latency: `python -m bench`.

Why it exists: correctness is proven by the test suite, but whether `apply` really runs in parallel, whether a
no-op `diff` stays cheap as the platform grows, and whether the CLI starts fast are questions of numbers. This
package answers them repeatably: it generates spec sets of N services, drives the real CLI as a user would
(subprocess, wall clock from outside), counts every AWS call in the emulator's harness, and compares the figures
with targets. It is deliberately not part of the test suite: it takes minutes and its figures depend on the
machine.

Modules: `specgen` writes the spec sets, `measure` runs the emulator, the CLI and the in-process planner,
`report` renders the table, `__main__` ties them together.
"""
