/** The Workflows sidebar (runs in the server's work directory) and a live panel per run. */
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IWorkflowListItem, getLog, getWorkflow, listWorkflows } from './api';
import { formatDuration, formatTime, isActive, phaseColor } from './model';
import { WorkflowView } from './view';

/** The sidebar's icon: three boxes joined as a small DAG. */
export const workflowsIcon = new LabIcon({
  name: 'dflow-nb:workflows',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
    '<g class="jp-icon3" fill="#616161"><rect x="5.5" y="1" width="5" height="3.5" rx="1"/>' +
    '<rect x="1" y="11.5" width="5" height="3.5" rx="1"/><rect x="10" y="11.5" width="5" ' +
    'height="3.5" rx="1"/><path d="M7.5 4.5h1v3h3.5v4h-1v-3h-6v3h-1v-4h3.5z"/></g></svg>'
});

const LIST_INTERVAL_MS = 2000;
const RUN_INTERVAL_MS = 1000;

/** Lists runs; clicking one calls `onOpen(id)`. Polls while it is visible. */
export class WorkflowsSidebar extends Widget {
  private list = document.createElement('ul');
  private status = document.createElement('div');
  private timer: number | null = null;
  private busy = false;

  constructor(private onOpen: (id: string, name: string) => void) {
    super();
    this.id = 'dflow-nb-sidebar';
    this.addClass('dflow-nb-sidebar');
    this.title.icon = workflowsIcon;
    this.title.caption = 'dflow_nb workflows';
    const header = document.createElement('div');
    header.className = 'dflow-nb-sidebar-header';
    const title = document.createElement('span');
    title.textContent = 'Workflows';
    const refresh = document.createElement('button');
    refresh.className = 'dflow-nb-refresh jp-Button';
    refresh.textContent = '⟳';
    refresh.title = 'Refresh';
    refresh.addEventListener('click', () => void this.refresh());
    header.append(title, refresh);
    this.status.className = 'dflow-nb-sidebar-status';
    this.list.className = 'dflow-nb-wflist';
    this.node.append(header, this.status, this.list);
  }

  /** Reload the list from the server. */
  async refresh(): Promise<void> {
    if (this.busy) {
      return;
    }
    this.busy = true;
    try {
      this.render(await listWorkflows());
      this.status.textContent = '';
    } catch (err) {
      this.status.textContent = `cannot list workflows: ${(err as Error).message ?? err}`;
    } finally {
      this.busy = false;
    }
  }

  private render(items: IWorkflowListItem[]): void {
    this.list.replaceChildren();
    if (items.length === 0) {
      this.status.textContent = 'no workflows in this work directory yet';
    }
    for (const wf of items) {
      const li = document.createElement('li');
      li.className = 'dflow-nb-wfitem';
      li.dataset.workflowId = wf.id;
      li.dataset.phase = wf.phase;
      li.title = wf.id + (wf.message ? `\n${wf.message}` : '');
      const dot = document.createElement('span');
      dot.className = 'dflow-nb-dot';
      dot.style.background = phaseColor(wf.phase);
      const name = document.createElement('span');
      name.className = 'dflow-nb-wfname';
      name.textContent = wf.name;
      const meta = document.createElement('span');
      meta.className = 'dflow-nb-wfmeta';
      meta.textContent = `${wf.phase} · ${formatTime(wf.startedAt ?? wf.createdAt)} · ${formatDuration(
        wf.startedAt,
        wf.finishedAt
      )}`;
      li.append(dot, name, meta);
      li.addEventListener('click', () => this.onOpen(wf.id, wf.name));
      this.list.append(li);
    }
  }

  protected onAfterShow(msg: Message): void {
    void this.refresh();
    if (this.timer === null) {
      this.timer = window.setInterval(() => void this.refresh(), LIST_INTERVAL_MS);
    }
  }

  protected onBeforeHide(msg: Message): void {
    this.stop();
  }

  protected onBeforeDetach(msg: Message): void {
    this.stop();
  }

  private stop(): void {
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/** One run in the main area, refreshed every second until it ends. */
export class WorkflowPanel extends Widget {
  private view = new WorkflowView({ fetchLog: getLog });
  private timer: number | null = null;
  private error = document.createElement('div');

  constructor(readonly workflowId: string, name: string) {
    super();
    this.id = 'dflow-nb-run-' + workflowId.replace(/[^A-Za-z0-9_-]/g, '_');
    this.addClass('dflow-nb-panel');
    this.title.label = name || workflowId;
    this.title.caption = workflowId;
    this.title.icon = workflowsIcon;
    this.title.closable = true;
    this.error.className = 'dflow-nb-note';
    this.node.append(this.error, this.view.node);
    void this.poll();
  }

  /** Fetch the bundle once; keep polling while the run is active. */
  async poll(): Promise<void> {
    this.timer = null;
    let active = true;
    try {
      const bundle = await getWorkflow(this.workflowId);
      this.error.textContent = '';
      await this.view.update(bundle);
      active = isActive(bundle.workflow.phase);
    } catch (err) {
      this.error.textContent = `disconnected: ${(err as Error).message ?? err} (retrying)`;
    }
    if (active && !this.isDisposed) {
      this.timer = window.setTimeout(() => void this.poll(), RUN_INTERVAL_MS);
    }
  }

  dispose(): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
    }
    super.dispose();
  }
}
