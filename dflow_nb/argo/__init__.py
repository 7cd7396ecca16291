"""Argo Workflows backend: the compiler (model -> manifest), the loader (manifest -> model),
schema checks, and (elsewhere in this package) the REST client and the Argo backend.

Import the parts you need (``dflow_nb.argo.compile``, ``dflow_nb.argo.load``,
``dflow_nb.argo.schema``, ``dflow_nb.argo.memoize``); this package module imports nothing so
that authoring code can use the compiler without pulling in the HTTP client. Modules whose name
starts with ``_`` are the compiler's parts (see ``compile``), internal to this package.
"""
