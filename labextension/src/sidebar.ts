/**
 * The Workflows sidebar: runs of every work directory the server sees and its Argo server,
 * filtered by phase, name, label or a search, sorted, a page at a time; each row shows its run
 * id, progress (done/planned) and failed count, and can be deleted.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IListQuery,
  IWorkflowListItem,
  IWorkflowPage,
  RunClient,
  listWorkflows
} from './api';
import { activatable, button, el, phaseDot, renderPager } from './dom';
import { formatDuration, formatTime, isActive, phaseColor } from './model';

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
/** Runs per page of the list. */
export const LIST_PAGE = 50;
/** Phases the filter offers. */
export const LIST_PHASES = [
  'Running',
  'Pending',
  'Succeeded',
  'Failed',
  'Error'
];
/** Sort orders the list offers: the server's `sort` value and its label. */
export const SORTS: Array<[string, string]> = [
  ['-createdAt', 'newest first'],
  ['createdAt', 'oldest first'],
  ['name', 'name'],
  ['phase', 'phase'],
  ['-duration', 'longest first'],
  ['-finishedAt', 'latest finished']
];

/** A row's one-line description: phase, start, duration, where it lives. */
export function rowMeta(wf: IWorkflowListItem): string {
  const where =
    wf.backend === 'argo'
      ? 'Argo'
      : wf.workdir && wf.workdir !== '.'
        ? wf.workdir
        : '';
  return [
    wf.phase,
    formatTime(wf.startedAt ?? wf.createdAt),
    formatDuration(wf.startedAt, wf.finishedAt),
    where
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The id of a run's panel (stable across reloads: the layout restorer finds it by it). */
export function panelId(id: string, source: string | null): string {
  return (
    'dflow-nb-run-' + `${source ?? ''}-${id}`.replace(/[^A-Za-z0-9_-]/g, '_')
  );
}

/** Opens a run's panel. */
export type OpenRun = (
  id: string,
  source: string | null,
  title: string
) => void;

/** The list of runs. Polls while it is visible. */
export class WorkflowsSidebar extends Widget {
  private list = el('ul', 'dflow-nb-wflist');
  private status = el('div', 'dflow-nb-sidebar-status');
  private search = el('input', 'dflow-nb-listsearch');
  private label = el('input', 'dflow-nb-listlabel');
  private sort = el('select', 'dflow-nb-listsort');
  private phases = el('div', 'dflow-nb-phasefilter');
  private pager = el('div', 'dflow-nb-pager');
  private query: IListQuery = {
    offset: 0,
    limit: LIST_PAGE,
    sort: '-createdAt'
  };
  private timer: number | null = null;
  private typing: number | null = null;
  private busy = false;
  private again = false;
  private shown = '';

  constructor(private onOpen: OpenRun) {
    super();
    this.id = 'dflow-nb-sidebar';
    this.addClass('dflow-nb-sidebar');
    this.title.icon = workflowsIcon;
    this.title.caption = 'dflow_nb workflows';
    const header = el('div', 'dflow-nb-sidebar-header');
    header.append(
      el('span', 'dflow-nb-sidebar-title', 'Workflows'),
      button('⟳', 'dflow-nb-refresh', () => void this.refresh(), 'Refresh')
    );
    this.search.type = 'search';
    this.search.placeholder = 'search id, name or message';
    this.search.setAttribute('aria-label', 'search workflows');
    this.label.type = 'search';
    this.label.placeholder = 'label k=v';
    this.label.setAttribute('aria-label', 'filter by label (key=value)');
    for (const input of [this.search, this.label]) {
      input.addEventListener('input', () => {
        if (this.typing !== null) {
          window.clearTimeout(this.typing);
        }
        this.typing = window.setTimeout(() => this.requery({}), 250);
      });
    }
    for (const [value, text] of SORTS) {
      const opt = el('option', undefined, text);
      opt.value = value;
      this.sort.append(opt);
    }
    this.sort.setAttribute('aria-label', 'sort workflows');
    this.sort.addEventListener('change', () =>
      this.requery({ sort: this.sort.value })
    );
    for (const phase of LIST_PHASES) {
      const chip = el('button', 'dflow-nb-phasechip', phase);
      chip.type = 'button';
      chip.dataset.phase = phase;
      chip.setAttribute('aria-pressed', 'false');
      chip.addEventListener('click', () => {
        chip.setAttribute(
          'aria-pressed',
          String(chip.getAttribute('aria-pressed') !== 'true')
        );
        this.requery({});
      });
      this.phases.append(chip);
    }
    const filters = el('div', 'dflow-nb-listfilters');
    filters.append(this.search, this.label, this.sort);
    this.node.append(
      header,
      filters,
      this.phases,
      this.status,
      this.list,
      this.pager
    );
  }

  /** The query of the filter controls, at `offset`. */
  private requery(change: IListQuery): void {
    const phase = Array.from(
      this.phases.querySelectorAll('[aria-pressed="true"]')
    ).map(c => (c as HTMLElement).dataset.phase!);
    this.query = {
      ...this.query,
      ...change,
      phase: phase.length ? phase : undefined,
      search: this.search.value.trim() || undefined,
      label: this.label.value.trim() || undefined,
      offset: change.offset ?? 0
    };
    void this.refresh();
  }

  /** Reload the list from the server. */
  async refresh(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      const page = await listWorkflows(this.query);
      this.render(page);
    } catch (err) {
      this.status.textContent = `cannot list workflows: ${(err as Error).message ?? err}`;
    } finally {
      this.busy = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  private render(page: IWorkflowPage): void {
    // an unchanged page keeps its rows (and the focus, hover and a click in progress)
    const key = JSON.stringify(page);
    if (key === this.shown) {
      return;
    }
    this.shown = key;
    const notes = (page.sources ?? [])
      .filter(s => s.error)
      .map(s => `${s.source}: ${s.error}`);
    const filtered = Boolean(
      this.query.phase || this.query.search || this.query.label
    );
    if (page.total === 0) {
      notes.unshift(
        filtered ? 'no workflow matches the filters' : 'no workflows yet'
      );
    }
    this.status.textContent = notes.join('\n');
    const hadFocus = this.list.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).dataset.workflowId
      : null;
    this.list.replaceChildren();
    for (const wf of page.workflows) {
      const li = this.row(wf);
      this.list.append(li);
      if (hadFocus && wf.id === hadFocus) {
        li.focus();
      }
    }
    renderPager(this.pager, page, page.workflows.length, offset =>
      this.requery({ offset })
    );
  }

  private row(wf: IWorkflowListItem): HTMLLIElement {
    const li = el('li', 'dflow-nb-wfitem');
    li.dataset.workflowId = wf.id;
    li.dataset.phase = wf.phase;
    li.dataset.failed = String(wf.failed ?? 0);
    li.title = wf.id + (wf.message ? `\n${wf.message}` : '');
    const top = el('div', 'dflow-nb-wftop');
    top.append(
      phaseDot(wf.phase),
      el('span', 'dflow-nb-wfname', wf.name),
      el('span', 'dflow-nb-wfid', wf.id)
    );
    if (wf.failed) {
      top.append(el('span', 'dflow-nb-failedcount', `${wf.failed} failed`));
    }
    const del = button(
      '×',
      'dflow-nb-delete',
      () => void this.remove(wf),
      `delete ${wf.id}`
    );
    del.disabled = wf.backend !== 'argo' && isActive(wf.phase);
    top.append(del);
    li.append(top);
    if (wf.progress) {
      const { done, planned } = wf.progress;
      const prog = el('div', 'dflow-nb-wfprogress');
      const meter = el('span', 'dflow-nb-meter');
      const fill = el('span', 'dflow-nb-meterfill');
      fill.style.width = `${planned ? ((100 * done) / planned).toFixed(1) : 0}%`;
      fill.style.background = phaseColor(wf.phase);
      meter.append(fill);
      prog.append(
        meter,
        el('span', 'dflow-nb-progresstext', `${done}/${planned}`)
      );
      li.append(prog);
    }
    li.append(el('span', 'dflow-nb-wfmeta', rowMeta(wf)));
    const title = wf.title || `${wf.name} · ${wf.id}`;
    activatable(
      li,
      () => this.onOpen(wf.id, wf.source ?? null, title),
      `${wf.name} ${wf.id} ${wf.phase}`
    );
    return li;
  }

  private async remove(wf: IWorkflowListItem): Promise<void> {
    const answer = await showDialog({
      title: 'Delete workflow',
      body: `Delete ${wf.name} (${wf.id}) and its records?`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await new RunClient(wf.id, wf.source ?? null).remove();
    } catch (err) {
      this.status.textContent = `delete failed: ${(err as Error).message ?? err}`;
    }
    await this.refresh();
  }

  protected onAfterShow(msg: Message): void {
    void this.refresh();
    if (this.timer === null) {
      this.timer = window.setInterval(
        () => void this.refresh(),
        LIST_INTERVAL_MS
      );
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
