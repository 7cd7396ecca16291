"""The workflow model: templates, steps, Steps/DAG, references and build-time validation.

One-to-one with Argo's Workflow spec; building it runs nothing. Imports nothing from the hub,
the backends or the faces (checked by ``lint-imports``). Users import these names from
``dflow_nb`` itself, as in Dflow.
"""
