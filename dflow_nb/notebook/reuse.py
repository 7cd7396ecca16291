"""Interactive reuse: pick keyed steps of a finished or failed run, edit their outputs, resubmit.

One row per keyed step: a tick box (ticked for Succeeded steps), its phase, a text box per output
parameter (its value: text as is, JSON for the rest; a slice's output is its own value, and an
edit is recorded as that slice's again) and per output artifact (a path). Resubmitting
applies the edits with ``StepRecord.modify_output_parameter/artifact`` and submits the run's model
again with ``reuse_step=`` the ticked records; the new run opens live below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Dict, List, Optional

import ipywidgets as widgets

from dflow_nb.hub.records import ArtifactRecord, StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.current_ops import use_current_ops
from dflow_nb.notebook.debug import stored_model
from dflow_nb.notebook.svg import color


@dataclass
class ReuseRow:
    """The controls of one keyed step."""

    step: StepRecord
    use: widgets.Checkbox
    params: Dict[str, widgets.Text] = field(default_factory=dict)
    artifacts: Dict[str, widgets.Text] = field(default_factory=dict)


def _art_text(a: ArtifactRecord) -> str:
    paths = a.paths
    return paths[0] if len(paths) == 1 else ",".join(paths)


class ReuseWidget:
    """The reuse form over one run; ``resubmit()`` does what the button does, for scripts."""

    def __init__(self, workflow: Workflow, show_live: bool = True) -> None:
        self.workflow = workflow
        self.show_live = show_live
        self.rows: Dict[str, ReuseRow] = {}
        self.new_workflow: Optional[Workflow] = None
        self.changes: List[str] = []   # the OPs the last resubmit took from the kernel as is
        self.live: Optional[Any] = None   # the live view of the run the button started
        boxes: List[Any] = []
        for step in workflow.query_step():
            if not step.key or step.key in self.rows:
                continue
            row = ReuseRow(step, widgets.Checkbox(value=step.phase == "Succeeded",
                                                  description=step.key, indent=False))
            line: List[Any] = [row.use, widgets.HTML(
                f'<span style="color:{color(step.phase)}">{escape(step.phase)}</span> '
                f"{escape(step.displayName)}")]
            for k, p in step.outputs.parameters.items():
                row.params[k] = widgets.Text(value=p.text, description=k)
                line.append(row.params[k])
            for k, a in step.outputs.artifacts.items():
                row.artifacts[k] = widgets.Text(value=_art_text(a), description=f"{k} (path)")
                line.append(row.artifacts[k])
            self.rows[step.key] = row
            boxes.append(widgets.HBox(line))
        self.button = widgets.Button(description="Resubmit", icon="refresh",
                                     button_style="primary")
        self.button.on_click(lambda _b: self._clicked())
        self.note = widgets.HTML()
        self.out = widgets.Output()
        title = widgets.HTML(f"<b>Reuse steps of {escape(str(workflow.id))}</b> — tick the steps to "
                             f"keep, edit their outputs, resubmit ({len(self.rows)} keyed steps)")
        self.widget = widgets.VBox([title, *boxes, widgets.HBox([self.button, self.note]),
                                    self.out])

    def selected(self) -> List[StepRecord]:
        """The ticked step records with the edits applied."""
        out = []
        for row in self.rows.values():
            if not row.use.value:
                continue
            step = row.step
            for k, box in row.params.items():
                if box.value != step.outputs.parameters[k].text:
                    step.modify_output_parameter(k, box.value)
            for k, box in row.artifacts.items():
                if box.value != _art_text(step.outputs.artifacts[k]):
                    paths = [p for p in box.value.split(",") if p]
                    step.modify_output_artifact(k, paths[0] if len(paths) == 1 else paths)
            out.append(step)
        return out

    def resubmit(self, wait: Optional[bool] = None) -> Workflow:
        """Submit the run's model again, reusing the ticked steps; returns the new Workflow."""
        model = stored_model(self.workflow)
        if model is self.workflow:   # never re-point the user's object at a new run
            import copy
            model = copy.copy(model)
        self.changes = use_current_ops(model)   # the OPs as the kernel defines them now
        model.submit(reuse_step=self.selected(), wait=wait)
        self.new_workflow = model
        return model

    def _clicked(self) -> None:
        try:
            new = self.resubmit(wait=False)
        except Exception as exc:  # the form stays; the reason is one line
            self.note.value = f"<b>resubmit failed:</b> {escape(str(exc))}"
            return
        self.note.value = f"resubmitted as <code>{escape(str(new.id))}</code>" + "".join(
            f"<br/>{escape(line)}" for line in self.changes)
        if self.show_live:
            # The live widget itself, which keeps itself up to date: an output displayed from
            # a button's handler cannot be updated once the handler has returned.
            from dflow_nb.notebook.widgets import LiveView
            self.live = LiveView(new)
            self.out.outputs = ()
            self.out.append_display_data(self.live.widget)
            self.live.start()

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.widget)
