/**
 * The live widget's front end (anywidget ESM; built by vite into dflow_nb/notebook/static/).
 * It is the same WorkflowView as the JupyterLab renderer and panel: Python syncs the drawn
 * `nodes`, `edges` and `svg` when the structure changes, `states` per refresh, `summary`,
 * `timeline` and the `details` of the node the front end `selected`; the slice list of a
 * group is asked for with `group_query`.
 */
import { IGroupPage, IGroupQuery, INodeDetails } from './api';
import { el } from './dom';
import { INode, ITimeline, IWorkflowBundle, IWorkflowSummary } from './model';
import { IViewSource, WorkflowView } from './view';

/** The part of anywidget's model the view uses. */
export interface IWidgetModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: () => void): void;
  off(event?: string | null, callback?: (() => void) | null): void;
}

/** A node's live state as Python patches it between structure changes. */
export interface INodeState {
  phase?: string;
  progress?: string | null;
  pending?: boolean;
  reused?: boolean;
  message?: string | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  count?: number;
  planned?: number;
  phases?: { [phase: string]: number };
}

/** The bundle the view draws, from the widget's traits. */
export function bundleFromTraits(model: IWidgetModel): IWorkflowBundle {
  const states: { [id: string]: INodeState } = model.get('states') ?? {};
  const summary: IWorkflowSummary | null = model.get('summary') || null;
  const nodes: INode[] = (model.get('nodes') ?? []).map((n: INode) =>
    mergeState(n, states[n.id])
  );
  return {
    version: 2,
    workflow: summary ?? { id: '', name: '', phase: 'Pending' },
    nodes,
    edges: model.get('edges') ?? [],
    svg: model.get('svg') || null,
    timeline: (model.get('timeline') as ITimeline) || null
  };
}

/** A drawn node with its latest state. */
export function mergeState(node: INode, s: INodeState | undefined): INode {
  if (!s) {
    return node;
  }
  const out: INode = { ...node };
  for (const key of [
    'phase',
    'progress',
    'pending',
    'reused',
    'message',
    'startedAt',
    'finishedAt'
  ] as const) {
    if (s[key] !== undefined) {
      (out as any)[key] = s[key];
    }
  }
  if (
    node.group &&
    (s.phases || s.count !== undefined || s.planned !== undefined)
  ) {
    out.group = {
      ...node.group,
      count: s.count ?? node.group.count,
      planned: s.planned ?? node.group.planned,
      phases: s.phases ?? node.group.phases
    };
  }
  return out;
}

/** Ask Python for something by writing traits; resolve with the `details` that answers it. */
function ask<T>(
  model: IWidgetModel,
  change: { [name: string]: unknown },
  fits: (d: any) => boolean
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(() => {
      model.off('change:details', listener);
      reject(new Error('no answer from the kernel (is it running?)'));
    }, 30000);
    const listener = () => {
      const d = model.get('details');
      if (d && fits(d)) {
        window.clearTimeout(timer);
        model.off('change:details', listener);
        resolve(d as T);
      }
    };
    model.on('change:details', listener);
    for (const [name, value] of Object.entries(change)) {
      model.set(name, value);
    }
    model.save_changes();
    listener(); // already there (the same node selected again)
  });
}

/** The view's source in a widget: details and slice lists through the kernel. */
export function widgetSource(model: IWidgetModel): IViewSource {
  return {
    details: (nodeId: string) =>
      ask<INodeDetails>(
        model,
        { selected: nodeId },
        d => d.id === nodeId && !d.group?.items
      ),
    group: (groupId: string, query: IGroupQuery) =>
      ask<{ group: IGroupPage }>(
        model,
        { selected: groupId, group_query: { ...query, group: groupId } },
        d =>
          Boolean(d.group?.items) &&
          d.group.group?.id === groupId &&
          (d.group.offset ?? 0) === (query.offset ?? 0)
      ).then(d => d.group)
  };
}

function render({
  model,
  el: host
}: {
  model: IWidgetModel;
  el: HTMLElement;
}): () => void {
  host.classList.add('dflow-nb-live');
  const status = el('div', 'dflow-nb-status');
  const view = new WorkflowView({ source: widgetSource(model), noLog: true });
  host.append(status, view.node);
  let frame: number | null = null;
  const redraw = () => {
    if (frame !== null) {
      return;
    }
    frame = window.requestAnimationFrame(() => {
      frame = null;
      void view.update(bundleFromTraits(model));
    });
  };
  const showStatus = () => {
    const text = String(model.get('status') ?? '');
    status.textContent = text;
    host.classList.toggle(
      'dflow-nb-disconnected',
      text.startsWith('disconnected')
    );
  };
  const names = ['svg', 'nodes', 'edges', 'states', 'summary', 'timeline'];
  names.forEach(n => model.on(`change:${n}`, redraw));
  model.on('change:status', showStatus);
  showStatus();
  model.set('want_timeline', true); // the timeline is drawn beside the DAG
  model.save_changes();
  void view.update(bundleFromTraits(model));
  return () => {
    names.forEach(n => model.off(`change:${n}`, redraw));
    model.off('change:status', showStatus);
    view.dispose();
  };
}

export default { render };
