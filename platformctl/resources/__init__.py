"""Every AWS resource kind platformctl manages: one module per kind, registered in `registry.py`.

This package's own import stays empty, so importing one module of it (the layers use a constant or a
policy helper) does not import all of them: `validate` makes no AWS call and should not pay for every kind.
"""
