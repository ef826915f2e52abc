"""The reconciler: desired graph → live state → plan → ordered, parallel execution.

Nothing in this package knows a resource kind by name; kinds plug in through platformctl.resources.
"""
