/**
 * The run view shared by the MIME renderer and the sidebar's workflow panel: header,
 * phase summary, DAG coloured by phase, compact step table and a log pane.
 *
 * Every element that shows a phase carries `data-phase`, every step element
 * `data-node-id`, so tests and styles can follow a run as it changes.
 */
import {
  CONTAINER_TYPES,
  INode,
  IWorkflowBundle,
  dotName,
  formatDuration,
  formatTime,
  isActive,
  layoutKey,
  nodeLabel,
  phaseColor,
  phaseCounts,
  toDot,
  toMillis
} from './model';
import { sanitizeSvg } from './sanitize';
import { layout } from './svg';

/** Fetches the log text of one step (absent where no server can be asked). */
export type LogFetcher = (workflowId: string, nodeId: string) => Promise<string>;

/** Options of a run view. */
export interface IViewOptions {
  fetchLog?: LogFetcher;
}

/** Above this many nodes the browser skips the layout and shows the table only. */
const MAX_LAYOUT_NODES = 3000;
/** Rows shown in the step table. */
const MAX_ROWS = 500;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) {
    node.className = cls;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A run view rendered into `node`; call `update` with each new bundle. */
export class WorkflowView {
  readonly node: HTMLDivElement;
  private header = el('div', 'dflow-nb-header');
  private summary = el('div', 'dflow-nb-summary');
  private dag = el('div', 'dflow-nb-dag');
  private table = el('table', 'dflow-nb-steps');
  private more = el('div', 'dflow-nb-more');
  private logPane = el('div', 'dflow-nb-logpane');
  private logTitle = el('div', 'dflow-nb-logtitle');
  private logText = el('pre', 'dflow-nb-log');
  private bundle: IWorkflowBundle | null = null;
  private nodes = new Map<string, INode>();
  private key: string | null = null;
  private ownLayout = false;
  private renderToken = 0;
  private selected: string | null = null;
  private logPhase: string | null = null;
  private logBusy = false;

  constructor(private options: IViewOptions = {}) {
    this.node = el('div', 'dflow-nb-workflow');
    this.logPane.append(this.logTitle, this.logText);
    this.logPane.hidden = true;
    const tableBox = el('div', 'dflow-nb-tablebox');
    tableBox.append(this.table, this.more);
    this.node.append(this.header, this.summary, this.dag, tableBox, this.logPane);
  }

  /** Show `bundle`; the layout is redone only when the graph's shape changed. */
  async update(bundle: IWorkflowBundle): Promise<void> {
    if (!bundle || !bundle.workflow || !Array.isArray(bundle.nodes)) {
      this.node.textContent = 'dflow_nb: not a workflow bundle';
      return;
    }
    this.bundle = bundle;
    this.nodes = new Map(bundle.nodes.map(n => [n.id, n]));
    this.node.dataset.workflowId = bundle.workflow.id;
    this.node.dataset.phase = bundle.workflow.phase;
    this.renderHeader(bundle);
    this.renderSummary(bundle);
    this.renderTable(bundle);
    this.refreshLog();
    const key = layoutKey(bundle);
    if (key !== this.key) {
      this.key = key;
      await this.renderDag(bundle);
    } else {
      this.applyPhases();
    }
  }

  private renderHeader(bundle: IWorkflowBundle): void {
    const wf = bundle.workflow;
    this.header.replaceChildren();
    const name = el('span', 'dflow-nb-name', wf.name || wf.id);
    name.title = wf.id;
    const badge = el('span', 'dflow-nb-badge', wf.phase);
    badge.dataset.phase = wf.phase;
    badge.style.background = phaseColor(wf.phase);
    const times = el('span', 'dflow-nb-times');
    const started = formatTime(wf.startedAt);
    if (started) {
      times.textContent = `started ${started} · ${formatDuration(wf.startedAt, wf.finishedAt)}`;
    }
    const id = el('span', 'dflow-nb-id', wf.id);
    this.header.append(name, badge, id, times);
    if (wf.message) {
      this.header.append(el('div', 'dflow-nb-message', wf.message));
    }
  }

  private renderSummary(bundle: IWorkflowBundle): void {
    this.summary.replaceChildren();
    let total = 0;
    phaseCounts(bundle).forEach((n, phase) => {
      total += n;
      const chip = el('span', 'dflow-nb-chip', `${phase} ${n}`);
      chip.dataset.phase = phase;
      chip.style.background = phaseColor(phase);
      this.summary.append(chip);
    });
    this.summary.prepend(el('span', 'dflow-nb-total', `${total} step${total === 1 ? '' : 's'}`));
  }

  private steps(bundle: IWorkflowBundle): INode[] {
    const rows = bundle.nodes.filter(
      n => n.group || (!CONTAINER_TYPES.has(n.type) && n.id !== bundle.workflow.id)
    );
    const start = (n: INode) => toMillis(n.startedAt) ?? Number.POSITIVE_INFINITY;
    return rows
      .map((n, i) => ({ n, i }))
      .sort((a, b) => start(a.n) - start(b.n) || a.i - b.i)
      .map(x => x.n);
  }

  private renderTable(bundle: IWorkflowBundle): void {
    const rows = this.steps(bundle);
    this.table.replaceChildren();
    const head = el('tr');
    for (const title of ['Step', 'Key', 'Phase', 'Started', 'Duration', 'Message']) {
      head.append(el('th', undefined, title));
    }
    this.table.append(el('thead'));
    this.table.tHead!.append(head);
    const body = el('tbody');
    for (const n of rows.slice(0, MAX_ROWS)) {
      const tr = el('tr', 'dflow-nb-row');
      tr.dataset.nodeId = n.id;
      tr.dataset.phase = n.phase;
      if (n.id === this.selected) {
        tr.classList.add('dflow-nb-selected');
      }
      const phase = el('td', 'dflow-nb-phase');
      const dot = el('span', 'dflow-nb-dot');
      dot.style.background = phaseColor(n.phase);
      phase.append(dot, document.createTextNode(n.phase));
      if (n.group) {
        phase.append(
          el(
            'span',
            'dflow-nb-groupcounts',
            ' ' +
              Object.entries(n.group.phases)
                .map(([p, c]) => `${p} ${c}`)
                .join(', ')
          )
        );
      }
      const name = el('td', 'dflow-nb-stepname', n.group ? `${n.displayName} ×${n.group.count}` : n.displayName);
      name.title = n.name;
      tr.append(
        name,
        el('td', undefined, n.key ?? ''),
        phase,
        el('td', undefined, formatTime(n.startedAt)),
        el('td', undefined, formatDuration(n.startedAt, n.finishedAt)),
        el('td', 'dflow-nb-msg', n.message ?? '')
      );
      tr.addEventListener('click', () => this.select(n.id));
      body.append(tr);
    }
    this.table.append(body);
    this.more.textContent =
      rows.length > MAX_ROWS ? `… ${rows.length - MAX_ROWS} more steps not shown` : '';
  }

  private async renderDag(bundle: IWorkflowBundle): Promise<void> {
    const token = ++this.renderToken;
    let svg: SVGSVGElement | null = null;
    this.ownLayout = false;
    if (bundle.svg) {
      svg = sanitizeSvg(bundle.svg);
    } else if (bundle.nodes.length > MAX_LAYOUT_NODES) {
      this.dag.replaceChildren(
        el('div', 'dflow-nb-note', `${bundle.nodes.length} nodes: too many to draw, see the table`)
      );
      return;
    } else if (bundle.nodes.length > 0) {
      try {
        svg = sanitizeSvg(await layout(toDot(bundle)));
        this.ownLayout = true;
      } catch (err) {
        if (token === this.renderToken) {
          this.dag.replaceChildren(el('div', 'dflow-nb-note', `graph layout failed: ${err}`));
        }
        return;
      }
    }
    if (token !== this.renderToken) {
      return;
    }
    if (svg === null) {
      this.dag.replaceChildren();
      return;
    }
    svg.classList.add('dflow-nb-svg');
    this.annotate(svg);
    this.dag.replaceChildren(svg);
    this.applyPhases();
  }

  /**
   * Tie the SVG's node groups to bundle nodes: the notebook's picture marks them
   * `g.dn-node[data-id]`; Graphviz's carries the DOT name (or an id) in `<title>`.
   */
  private annotate(svg: SVGSVGElement): void {
    const bundle = this.bundle!;
    const byName = new Map<string, INode>();
    if (this.ownLayout) {
      bundle.nodes.forEach((n, i) => byName.set(dotName(i), n));
    } else {
      for (const n of bundle.nodes) {
        byName.set(n.displayName, n);
        byName.set(n.name, n);
        byName.set(n.id, n);
      }
    }
    const tie = (g: Element, n: INode | undefined) => {
      if (!n) {
        return;
      }
      g.setAttribute('data-node-id', n.id);
      g.classList.add('dflow-nb-node');
      g.addEventListener('click', () => this.select(n.id));
    };
    svg.querySelectorAll('g[data-id]').forEach(g => tie(g, this.nodes.get(g.getAttribute('data-id')!)));
    svg.querySelectorAll('g.node:not([data-node-id])').forEach(g =>
      tie(g, byName.get((g.querySelector('title')?.textContent ?? '').trim()))
    );
    svg.querySelector(':scope > g > title')?.remove();
  }

  /** Recolour the drawn nodes from the current bundle (no new layout). */
  private applyPhases(): void {
    this.dag.querySelectorAll('g[data-node-id]').forEach(g => {
      const n = this.nodes.get(g.getAttribute('data-node-id')!);
      if (!n) {
        return;
      }
      g.setAttribute('data-phase', n.phase);
      g.classList.toggle('dflow-nb-selected', n.id === this.selected);
      const title = g.querySelector('title');
      if (title) {
        title.textContent = `${n.displayName}: ${n.phase}${n.message ? ' — ' + n.message : ''}`;
      }
      if (!this.ownLayout) {
        // the notebook's picture: its box carries the phase colour, its sub-line the phase
        g.querySelectorAll('.dn-box').forEach(box => box.setAttribute('fill', phaseColor(n.phase)));
        return;
      }
      g.querySelectorAll('polygon, path, ellipse').forEach(shape => {
        if (shape.getAttribute('fill') !== 'none') {
          shape.setAttribute('fill', phaseColor(n.phase));
        }
      });
      if (n.group) {
        const texts = g.querySelectorAll('text');
        const lines = nodeLabel(n).split('\n');
        if (texts.length === lines.length) {
          texts.forEach((t, i) => (t.textContent = lines[i]));
        }
      }
    });
  }

  /** Select a step: highlight it and show its log. */
  select(nodeId: string): void {
    this.selected = nodeId;
    this.logPhase = null;
    this.table.querySelectorAll('tr.dflow-nb-row').forEach(tr =>
      tr.classList.toggle('dflow-nb-selected', (tr as HTMLElement).dataset.nodeId === nodeId)
    );
    this.applyPhases();
    this.refreshLog(true);
  }

  /** (Re)load the selected step's log when it may have grown. */
  private refreshLog(force = false): void {
    const bundle = this.bundle;
    const n = this.selected ? this.nodes.get(this.selected) : undefined;
    if (!bundle || !n) {
      return;
    }
    this.logPane.hidden = false;
    this.logPane.dataset.nodeId = n.id;
    this.logTitle.textContent = `Log of ${n.displayName} (${n.phase})`;
    if (n.group) {
      this.logText.textContent = `a collapsed group of ${n.group.count} steps: no single log`;
      return;
    }
    if (!this.options.fetchLog) {
      this.logText.textContent = 'logs are read through the Jupyter server (dflow-nb/api)';
      return;
    }
    const stale = force || this.logPhase === null || isActive(n.phase) || this.logPhase !== n.phase;
    if (!stale || this.logBusy) {
      return;
    }
    this.logBusy = true;
    const phase = n.phase;
    this.options
      .fetchLog(bundle.workflow.id, n.id)
      .then(text => {
        if (this.selected === n.id) {
          this.logText.textContent = text || '(empty log)';
          this.logPane.dataset.loaded = 'true';
          this.logPhase = phase;
        }
      })
      .catch(err => {
        if (this.selected === n.id) {
          this.logText.textContent = `log unavailable: ${err?.message ?? err}`;
          this.logPhase = phase;
        }
      })
      .finally(() => {
        this.logBusy = false;
      });
  }
}
