/**
 * One run in the main area: its view (view.ts), refreshed every second while it is active,
 * and its actions: retry, resubmit, stop, terminate, suspend/resume, reuse from here (tick
 * steps, edit an output, resubmit) and "open in a notebook".
 */
import { Widget } from '@lumino/widgets';

import { IReusableStep, RunClient } from './api';
import { renderReuseEditor } from './reuse';
import { button, el } from './dom';
import { IWorkflowSummary, isActive } from './model';
import { panelId, workflowsIcon } from './sidebar';
import { layout } from './svg';
import { WorkflowView } from './view';

const RUN_INTERVAL_MS = 1000;

/** The actions of the bar: server name, label, whether it needs a running run. */
export const ACTIONS: Array<[string, string, boolean | null]> = [
  ['retry', 'Retry', false],
  ['resubmit', 'Resubmit', null],
  ['suspend', 'Suspend', true],
  ['resume', 'Resume', true],
  ['stop', 'Stop', true],
  ['terminate', 'Terminate', true]
];

/** What a panel needs from the application. */
export interface IPanelHost {
  /** Open (or focus) the panel of another run: a resubmitted or reused one. */
  open(id: string, source: string | null, title: string): void;
  /** Put a cell with `text` into a notebook. */
  insertCell(text: string): Promise<void>;
}

/** A run's panel. */
export class WorkflowPanel extends Widget {
  readonly client: RunClient;
  private view: WorkflowView;
  private timer: number | null = null;
  private error = el('div', 'dflow-nb-note');
  private actions = el('div', 'dflow-nb-actions');
  private result = el('div', 'dflow-nb-actionresult');
  private reuse = el('div', 'dflow-nb-reuse');
  private summary: IWorkflowSummary | null = null;

  constructor(
    readonly workflowId: string,
    readonly source: string | null,
    title: string,
    private host: IPanelHost
  ) {
    super();
    this.client = new RunClient(workflowId, source);
    this.view = new WorkflowView({ source: this.client, layout });
    this.id = panelId(workflowId, source);
    this.addClass('dflow-nb-panel');
    this.title.label = title || workflowId;
    this.title.caption = `${title} (${workflowId})`;
    this.title.icon = workflowsIcon;
    this.title.closable = true;
    for (const [action, label] of ACTIONS) {
      const b = button(
        label,
        `dflow-nb-act dflow-nb-act-${action}`,
        () => void this.act(action)
      );
      b.dataset.action = action;
      this.actions.append(b);
    }
    this.actions.append(
      button(
        'Reuse from here…',
        'dflow-nb-act dflow-nb-act-reuse',
        () => void this.openReuse()
      ),
      button(
        'Open in a notebook',
        'dflow-nb-act dflow-nb-act-notebook',
        () => void this.openInNotebook()
      )
    );
    this.reuse.hidden = true;
    this.node.append(
      this.error,
      this.actions,
      this.result,
      this.reuse,
      this.view.node
    );
    void this.poll();
  }

  /** Fetch the bundle once; keep polling while the run is active. */
  async poll(): Promise<void> {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    let active = true;
    try {
      const bundle = await this.client.bundle();
      this.error.textContent = '';
      this.summary = bundle.workflow;
      if (bundle.workflow.title) {
        this.title.label = bundle.workflow.title;
      }
      await this.view.update(bundle);
      active = isActive(bundle.workflow.phase);
      this.enableActions(bundle.workflow.phase);
    } catch (err) {
      this.error.textContent = `disconnected: ${(err as Error).message ?? err} (retrying)`;
    }
    if (active && !this.isDisposed) {
      this.timer = window.setTimeout(() => void this.poll(), RUN_INTERVAL_MS);
    }
  }

  private enableActions(phase: string): void {
    const running = isActive(phase);
    this.actions
      .querySelectorAll<HTMLButtonElement>('button[data-action]')
      .forEach(b => {
        const needs = ACTIONS.find(([a]) => a === b.dataset.action)?.[2];
        b.disabled =
          needs === true ? !running : needs === false ? running : false;
      });
  }

  /** Run an action on the server; a new run (resubmit) opens in its own panel. */
  async act(action: string, body?: unknown): Promise<void> {
    this.result.textContent = `${action}…`;
    this.result.dataset.state = 'busy';
    try {
      const res = await this.client.act(action, body);
      this.result.textContent = res.message || `${action}: done`;
      this.result.dataset.state = 'ok';
      if (res.id && res.id !== this.workflowId) {
        this.host.open(
          res.id,
          res.source ?? this.source,
          `${this.summary?.name ?? ''} · ${res.id}`
        );
      }
    } catch (err) {
      this.result.textContent = `${action} refused: ${(err as Error).message ?? err}`;
      this.result.dataset.state = 'error';
    }
    void this.poll();
  }

  /** The reuse editor: tick the steps to reuse, edit their outputs, resubmit. */
  async openReuse(): Promise<void> {
    this.reuse.hidden = false;
    this.reuse.replaceChildren(
      el('div', 'dflow-nb-note', 'loading reusable steps…')
    );
    let steps: IReusableStep[];
    try {
      steps = (await this.client.reusable()).steps;
    } catch (err) {
      this.reuse.replaceChildren(
        el(
          'div',
          'dflow-nb-note',
          `reuse unavailable: ${(err as Error).message ?? err}`
        )
      );
      return;
    }
    this.reuse.replaceChildren(
      renderReuseEditor(
        steps,
        (ids, outputs) => void this.act('reuse', { steps: ids, outputs }),
        () => {
          this.reuse.hidden = true;
        }
      )
    );
  }

  private async openInNotebook(): Promise<void> {
    const text =
      this.summary?.openCell ??
      `from dflow_nb import Workflow\nwf = Workflow(id=${JSON.stringify(this.workflowId)})\nwf`;
    try {
      await this.host.insertCell(text);
      this.result.textContent =
        'a cell that reattaches to this run was added to the notebook';
    } catch (err) {
      this.result.textContent = `cannot insert the cell: ${(err as Error).message ?? err}`;
    }
  }

  dispose(): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
    }
    this.view.dispose();
    super.dispose();
  }
}
