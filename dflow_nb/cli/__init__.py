"""``dflow-nb``: the command line, at the Argo CLI's level, for terminals, scripts and CI.

One module per group of verbs: ``_submit`` (submit), ``_runs`` (list, get, delete), ``_watch``
(watch, wait, and following a run), ``_logs``, ``_actions`` (retry, resubmit, resume, stop,
terminate, suspend), ``_manifest`` (lint, compile), ``_debug``, ``_completion``. Every verb acts
through ``dflow_nb.hub.workflow.Workflow`` and ``query_workflows``, so a command works the same
on the local engine and on an Argo Server. Exit codes: ``dflow_nb.cli.exit_codes``.
"""
from dflow_nb.cli._main import main
from dflow_nb.cli._output import step_table

__all__ = ["main", "step_table"]
