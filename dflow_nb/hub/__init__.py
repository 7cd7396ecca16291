"""What every face talks to: ``Workflow``, the ``Backend`` protocol, step and workflow records,
and artifact helpers. Engines are reached through ``_registry.py`` by name, never imported.
"""
