/**
 * One run's view, shared by the notebook's cell output (mime.ts), the sidebar's panel
 * (sidebar.ts) and the live widget (widget.ts): header with progress, the DAG (zoom, pan, fit,
 * search) beside its timeline, a short step table, and for the selected node its details,
 * its slices (a collapsed fan-out) and its log. Run data reaches the page as text only
 * (dom.ts) and the DAG picture only through `sanitizeSvg`.
 */
import {
  IGroupQuery,
  IGroupPage,
  ILogChunk,
  ILogQuery,
  INodeDetails
} from './api';
import { IArtifactSource, renderDetails } from './details';
import { activatable, button, el, phaseDot } from './dom';
import { LogPane } from './logs';
import {
  BAR_ORDER,
  CONTAINER_TYPES,
  countsText,
  INode,
  ITimeline,
  IWorkflowBundle,
  PENDING_FILL,
  dotName,
  formatDuration,
  formatTime,
  isActive,
  layoutKey,
  matchesSearch,
  nodeLabel,
  phaseColor,
  phaseCounts,
  runProgress,
  subText,
  toDot,
  toMillis
} from './model';
import { SVG_NS, sanitizeSvg } from './sanitize';
import { SliceList } from './slices';
import { TimelineView } from './timeline';
import { ZoomCanvas } from './zoom';

/** Where a view reads what the bundle does not carry; every part is optional. */
export interface IViewSource extends IArtifactSource {
  details?(nodeId: string): Promise<INodeDetails>;
  group?(groupId: string, query: IGroupQuery): Promise<IGroupPage>;
  timeline?(): Promise<ITimeline>;
  log?(nodeId: string, query?: ILogQuery): Promise<ILogChunk>;
  logDownloadUrl?(nodeId: string): string;
}

/** Options of a run view: its source, fixed or made from each bundle (its run id and source). */
export interface IViewOptions {
  source?: IViewSource | ((bundle: IWorkflowBundle) => IViewSource);
  /** Draw no log pane (the live widget's log is its own pane). */
  noLog?: boolean;
  /** Lays out a bundle without a picture (Graphviz in the browser; svg.ts). */
  layout?: (dot: string) => Promise<string>;
}

/** Above this many nodes the browser skips the layout and shows the table only. */
const MAX_LAYOUT_NODES = 3000;
/** Rows of the step table before "show more", and how many more each press shows. */
export const TABLE_ROWS = 20;
const MORE_ROWS = 100;

/** The steps of the table: leaves and groups, by start time (not-started ones last). */
export function tableSteps(bundle: IWorkflowBundle): INode[] {
  const rows = bundle.nodes.filter(
    n =>
      n.group || (!CONTAINER_TYPES.has(n.type) && n.id !== bundle.workflow.id)
  );
  const start = (n: INode) => toMillis(n.startedAt) ?? Number.POSITIVE_INFINITY;
  return rows
    .map((n, i) => ({ n, i }))
    .sort((a, b) => start(a.n) - start(b.n) || a.i - b.i)
    .map(x => x.n);
}

/** A run view rendered into `node`; call `update` with each new bundle. */
export class WorkflowView {
  readonly node: HTMLDivElement;
  private header = el('div', 'dflow-nb-header');
  private summary = el('div', 'dflow-nb-summary');
  private searchBox = el('input', 'dflow-nb-dagsearch');
  private searchInfo = el('span', 'dflow-nb-searchinfo');
  private canvas = new ZoomCanvas();
  private timeline: TimelineView;
  private table = el('table', 'dflow-nb-steps');
  private more = el('div', 'dflow-nb-more');
  private side = el('div', 'dflow-nb-side');
  private detailsBox = el('div', 'dflow-nb-detailsbox');
  private slices: SliceList;
  private logPane: LogPane | null = null;
  private bundle: IWorkflowBundle | null = null;
  private source: IViewSource = {};
  private nodes = new Map<string, INode>();
  private key: string | null = null;
  private ownLayout = false;
  private renderToken = 0;
  private detailsToken = 0;
  private selected: string | null = null;
  private selectedPhase: string | null = null;
  private selectedLabel = '';
  private rowsShown = TABLE_ROWS;
  private matchIndex = -1;

  constructor(private options: IViewOptions = {}) {
    this.node = el('div', 'dflow-nb-workflow');
    this.timeline = new TimelineView((id, label) => this.select(id, label));
    this.slices = new SliceList(
      (g, q) =>
        this.source.group
          ? this.source.group(g, q)
          : Promise.reject(new Error('needs the Jupyter server')),
      (id, label) => this.select(id, label)
    );
    if (!options.noLog) {
      this.logPane = new LogPane({
        log: (id, q) =>
          this.source.log
            ? this.source.log(id, q)
            : Promise.reject(
                new Error(
                  'logs are read through the Jupyter server (dflow-nb/api)'
                )
              ),
        logDownloadUrl: id => this.source.logDownloadUrl?.(id) ?? ''
      });
    }
    this.searchBox.type = 'search';
    this.searchBox.placeholder = 'find a step: name, key or phase';
    this.searchBox.setAttribute(
      'aria-label',
      'find a step by name, key or phase'
    );
    this.searchBox.addEventListener('input', () => {
      this.matchIndex = -1;
      this.applySearch();
    });
    this.searchBox.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.nextMatch(ev.shiftKey ? -1 : 1);
      }
    });
    const tools = el('div', 'dflow-nb-tools');
    tools.append(this.searchBox, this.searchInfo, this.canvas.toolbar);
    const graphs = el('div', 'dflow-nb-graphs');
    const dag = el('div', 'dflow-nb-dag');
    dag.append(this.canvas.node);
    graphs.append(dag, this.timeline.node);
    const tableBox = el('div', 'dflow-nb-tablebox');
    tableBox.append(this.table, this.more);
    this.side.append(this.detailsBox, this.slices.node);
    if (this.logPane) {
      this.side.append(this.logPane.node);
    }
    this.side.hidden = true;
    const lower = el('div', 'dflow-nb-lower');
    lower.append(tableBox, this.side);
    this.node.append(this.header, this.summary, tools, graphs, lower);
  }

  /** The bundle shown (null before the first update). */
  get current(): IWorkflowBundle | null {
    return this.bundle;
  }

  /** Show `bundle`; the layout is redone only when the graph's shape changed. */
  async update(bundle: IWorkflowBundle): Promise<void> {
    if (!bundle || !bundle.workflow || !Array.isArray(bundle.nodes)) {
      this.node.textContent = 'dflow_nb: not a workflow bundle';
      return;
    }
    const src = this.options.source;
    this.source = typeof src === 'function' ? src(bundle) : (src ?? {});
    this.bundle = bundle;
    this.nodes = new Map(bundle.nodes.map(n => [n.id, n]));
    this.node.dataset.workflowId = bundle.workflow.id;
    this.node.dataset.phase = bundle.workflow.phase;
    this.renderHeader(bundle);
    this.renderSummary(bundle);
    this.renderTable(bundle);
    this.updateTimeline(bundle);
    this.followSelection();
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
    const { done, planned } = runProgress(bundle);
    const progress = el('span', 'dflow-nb-progress');
    progress.dataset.done = String(done);
    progress.dataset.planned = String(planned);
    const meter = el('span', 'dflow-nb-meter');
    const fill = el('span', 'dflow-nb-meterfill');
    fill.style.width = `${planned ? ((100 * done) / planned).toFixed(1) : 0}%`;
    meter.append(fill);
    progress.append(
      meter,
      el('span', 'dflow-nb-progresstext', `${done}/${planned} done`)
    );
    this.header.append(
      name,
      badge,
      el('span', 'dflow-nb-id', wf.id),
      progress,
      times
    );
    if (wf.failed) {
      this.header.append(
        el('span', 'dflow-nb-failedcount', `${wf.failed} failed`)
      );
    }
    if (wf.reused) {
      this.header.append(
        el('span', 'dflow-nb-reusedtag', `${wf.reused} reused`)
      );
    }
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
      chip.style.background =
        phase === 'Pending' ? PENDING_FILL : phaseColor(phase);
      this.summary.append(chip);
    });
    this.summary.prepend(
      el('span', 'dflow-nb-total', `${total} step${total === 1 ? '' : 's'}`)
    );
  }

  private renderTable(bundle: IWorkflowBundle): void {
    const rows = tableSteps(bundle);
    this.table.replaceChildren();
    const head = el('tr');
    for (const title of [
      'Step',
      'Key',
      'Phase',
      'Started',
      'Duration',
      'Message'
    ]) {
      head.append(el('th', undefined, title));
    }
    this.table.append(el('thead'));
    this.table.tHead!.append(head);
    const body = el('tbody');
    for (const n of rows.slice(0, this.rowsShown)) {
      const tr = el('tr', 'dflow-nb-row');
      tr.dataset.nodeId = n.id;
      tr.dataset.phase = n.phase;
      tr.classList.toggle('dflow-nb-selected', n.id === this.selected);
      tr.classList.toggle('dflow-nb-pending', Boolean(n.pending));
      const phase = el('td', 'dflow-nb-phase');
      phase.append(
        phaseDot(n.phase, n.pending),
        document.createTextNode(n.phase)
      );
      if (n.reused) {
        phase.append(el('span', 'dflow-nb-reusedtag', 'reused'));
      }
      if (n.group) {
        phase.append(
          el('span', 'dflow-nb-groupcounts', ' ' + countsText(n.group.phases))
        );
      }
      const label = n.group
        ? `${n.displayName} ×${n.group.planned ?? n.group.count}`
        : n.displayName;
      const name = el('td', 'dflow-nb-stepname', label);
      name.title = n.name;
      tr.append(
        name,
        el('td', undefined, n.key ?? ''),
        phase,
        el('td', undefined, formatTime(n.startedAt)),
        el('td', undefined, formatDuration(n.startedAt, n.finishedAt)),
        el('td', 'dflow-nb-msg', n.message ?? '')
      );
      activatable(tr, () => this.select(n.id));
      tr.removeAttribute('role');
      body.append(tr);
    }
    this.table.append(body);
    this.more.replaceChildren();
    if (rows.length > this.rowsShown) {
      this.more.append(
        el('span', undefined, `${this.rowsShown} of ${rows.length} steps `),
        button('Show more', 'dflow-nb-showmore', () => {
          this.rowsShown += MORE_ROWS;
          this.renderTable(bundle);
        })
      );
    }
  }

  private updateTimeline(bundle: IWorkflowBundle): void {
    if (bundle.timeline) {
      this.timeline.update(bundle.timeline);
    } else if (this.source.timeline) {
      const wanted = bundle;
      this.source
        .timeline()
        .then(tl => {
          if (this.bundle === wanted) {
            this.timeline.update(tl);
          }
        })
        .catch(() => this.timeline.update(fallbackTimeline(bundle)));
    } else {
      this.timeline.update(fallbackTimeline(bundle));
    }
  }

  private async renderDag(bundle: IWorkflowBundle): Promise<void> {
    const token = ++this.renderToken;
    let svg: SVGSVGElement | null = null;
    this.ownLayout = false;
    if (bundle.svg) {
      svg = sanitizeSvg(bundle.svg);
    } else if (bundle.nodes.length > MAX_LAYOUT_NODES) {
      this.canvas.show(
        el(
          'div',
          'dflow-nb-note',
          `${bundle.nodes.length} nodes: too many to draw, see the table`
        )
      );
      return;
    } else if (bundle.nodes.length > 0 && this.options.layout) {
      try {
        svg = sanitizeSvg(await this.options.layout(toDot(bundle)));
        this.ownLayout = true;
      } catch (err) {
        if (token === this.renderToken) {
          this.canvas.show(
            el('div', 'dflow-nb-note', `graph layout failed: ${err}`)
          );
        }
        return;
      }
    }
    if (token !== this.renderToken) {
      return;
    }
    if (svg === null) {
      this.canvas.show(null);
      return;
    }
    svg.classList.add('dflow-nb-svg');
    this.annotate(svg);
    this.canvas.show(svg);
    this.applyPhases();
    this.applySearch();
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
      activatable(g as SVGElement, () => this.select(n.id), n.displayName);
    };
    svg
      .querySelectorAll('g[data-id]')
      .forEach(g => tie(g, this.nodes.get(g.getAttribute('data-id')!)));
    svg
      .querySelectorAll('g.node:not([data-node-id])')
      .forEach(g =>
        tie(g, byName.get((g.querySelector('title')?.textContent ?? '').trim()))
      );
    svg.querySelector(':scope > g > title')?.remove();
  }

  /** Recolour the drawn nodes from the current bundle (no new layout). */
  private applyPhases(): void {
    this.canvas.node.querySelectorAll('g[data-node-id]').forEach(g => {
      const n = this.nodes.get(g.getAttribute('data-node-id')!);
      if (!n) {
        return;
      }
      g.setAttribute('data-phase', n.phase);
      g.classList.toggle('dflow-nb-selected', n.id === this.selected);
      g.classList.toggle('dflow-nb-pending', Boolean(n.pending));
      g.classList.toggle('dflow-nb-reused', Boolean(n.reused));
      const fill = n.pending ? PENDING_FILL : phaseColor(n.phase);
      const title = g.querySelector('title');
      if (title) {
        const state = n.pending
          ? 'not started'
          : n.phase + (n.reused ? ' (reused)' : '');
        title.textContent = `${n.displayName}: ${state}${n.message ? ' — ' + n.message : ''}`;
      }
      if (!this.ownLayout) {
        // the notebook's picture: its box carries the phase colour, its second line the
        // phase (or progress), a group's bar the phases of its slices
        g.querySelectorAll('.dn-box').forEach(box =>
          box.setAttribute('fill', fill)
        );
        const sub = g.querySelector('.dn-sub');
        if (sub) {
          sub.textContent = subText(n);
        }
        const bar = g.querySelector('.dn-bar');
        if (bar && n.group) {
          paintBar(bar, n.group.phases);
        }
        return;
      }
      g.querySelectorAll('polygon, path, ellipse').forEach(shape => {
        if (shape.getAttribute('fill') !== 'none') {
          shape.setAttribute('fill', fill);
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

  /** The drawn nodes matching the search box, in bundle order. */
  private matches(): INode[] {
    const q = this.searchBox.value;
    return q.trim()
      ? (this.bundle?.nodes ?? []).filter(n => matchesSearch(n, q))
      : [];
  }

  private applySearch(): void {
    const q = this.searchBox.value.trim();
    const hits = new Set(this.matches().map(n => n.id));
    this.canvas.node.classList.toggle('dflow-nb-searching', Boolean(q));
    this.canvas.node
      .querySelectorAll('g[data-node-id]')
      .forEach(g =>
        g.classList.toggle(
          'dflow-nb-match',
          hits.has(g.getAttribute('data-node-id')!)
        )
      );
    this.searchInfo.textContent = q
      ? `${hits.size} match${hits.size === 1 ? '' : 'es'}`
      : '';
  }

  /** Centre and open the next (or previous) match of the search. */
  private nextMatch(step: number): void {
    const hits = this.matches();
    if (!hits.length) {
      return;
    }
    this.matchIndex = (this.matchIndex + step + hits.length) % hits.length;
    const n = hits[this.matchIndex];
    const g = this.canvas.node.querySelector(
      `g[data-node-id="${CSS.escape(n.id)}"]`
    );
    if (g) {
      this.canvas.reveal(g as SVGGraphicsElement);
    }
    this.searchInfo.textContent = `${this.matchIndex + 1} of ${hits.length}`;
    this.select(n.id);
  }

  /** Select a node: highlight it, show its details, its slices (a group) or its log. */
  select(nodeId: string, label?: string): void {
    this.selected = nodeId;
    this.selectedLabel = label ?? this.nodes.get(nodeId)?.displayName ?? nodeId;
    this.selectedPhase = null;
    this.side.hidden = false;
    this.table
      .querySelectorAll('tr.dflow-nb-row')
      .forEach(tr =>
        tr.classList.toggle(
          'dflow-nb-selected',
          (tr as HTMLElement).dataset.nodeId === nodeId
        )
      );
    this.applyPhases();
    this.followSelection(true);
  }

  /** Bring the details, slices and log of the selection up to date with the bundle. */
  private followSelection(force = false): void {
    const id = this.selected;
    if (!id || !this.bundle) {
      return;
    }
    const drawn = this.nodes.get(id);
    const phase = drawn?.phase ?? null;
    const changed =
      force ||
      phase === null ||
      isActive(phase) ||
      phase !== this.selectedPhase;
    this.selectedPhase = phase;
    if (!changed) {
      return;
    }
    if (drawn?.group) {
      const g = drawn.group;
      const counts = countsText(g.phases);
      const box = el('div', 'dflow-nb-details');
      box.dataset.nodeId = id;
      box.append(
        el(
          'div',
          'dflow-nb-dname',
          `${drawn.displayName}: a fan-out of ${g.planned ?? g.count} slices`
        ),
        el('div', 'dflow-nb-note', counts)
      );
      this.detailsBox.replaceChildren(box);
      if (this.source.group) {
        void this.slices.open(id);
      } else {
        this.slices.close();
      }
      this.logPane?.note(
        `${drawn.displayName}`,
        'a fan-out has no log of its own: open one of its slices'
      );
      return;
    }
    if (force) {
      this.slices.close();
    }
    this.loadDetails(id, drawn, force);
    if (force) {
      this.logPane?.open(id, this.selectedLabel);
    } else {
      this.logPane?.poke();
    }
  }

  private loadDetails(
    id: string,
    drawn: INode | undefined,
    force: boolean
  ): void {
    if (!this.source.details) {
      if (force && drawn) {
        // no server: what the bundle knows
        const box = el('div', 'dflow-nb-details');
        box.dataset.nodeId = id;
        box.dataset.phase = drawn.phase;
        box.append(
          el('div', 'dflow-nb-dname', `${drawn.displayName} (${drawn.phase})`)
        );
        if (drawn.message) {
          box.append(el('div', 'dflow-nb-dmessage', drawn.message));
        }
        this.detailsBox.replaceChildren(box);
      }
      return;
    }
    const token = ++this.detailsToken;
    if (force) {
      this.detailsBox.replaceChildren(
        el('div', 'dflow-nb-note', 'loading details…')
      );
    }
    this.source
      .details(id)
      .then(d => {
        if (token === this.detailsToken && this.selected === id) {
          this.detailsBox.replaceChildren(
            renderDetails(d, this.source, a => this.select(a))
          );
        }
      })
      .catch(err => {
        if (token === this.detailsToken && this.selected === id) {
          this.detailsBox.replaceChildren(
            el(
              'div',
              'dflow-nb-note',
              `details unavailable: ${(err as Error).message ?? err}`
            )
          );
        }
      });
    if (this.slices.node.hidden === false) {
      void this.slices.refresh();
    }
  }

  /** Stop the log's polling (the view is going away). */
  dispose(): void {
    this.logPane?.stop();
  }
}

/** Repaint a group's bar (`g.dn-bar` with its box in data-x/y/w/h) with its phases. */
export function paintBar(
  bar: Element,
  phases: { [phase: string]: number }
): void {
  const num = (name: string) =>
    parseFloat(bar.getAttribute(`data-${name}`) ?? '') || 0;
  const [x0, y, w, h] = [num('x'), num('y'), num('w'), num('h')];
  const total = Object.values(phases).reduce((a, b) => a + b, 0) || 1;
  let x = x0;
  bar.replaceChildren();
  for (const phase of BAR_ORDER) {
    const k = phases[phase] ?? 0;
    if (!k) {
      continue;
    }
    const sw = (w * k) / total;
    const r = document.createElementNS(SVG_NS, 'rect');
    r.setAttribute('x', x.toFixed(1));
    r.setAttribute('y', y.toFixed(1));
    r.setAttribute('width', sw.toFixed(2));
    r.setAttribute('height', h.toFixed(1));
    r.setAttribute('fill', phaseColor(phase));
    bar.append(r);
    x += sw;
  }
}

/** A timeline from the drawn nodes when the bundle carries none (a saved notebook). */
export function fallbackTimeline(bundle: IWorkflowBundle): ITimeline {
  const steps = tableSteps(bundle);
  return {
    start: bundle.workflow.startedAt,
    end: bundle.workflow.finishedAt,
    rows: steps
      .filter(n => !n.group)
      .map(n => ({
        id: n.id,
        displayName: n.displayName,
        key: n.key,
        phase: n.phase,
        startedAt: n.startedAt,
        finishedAt: n.finishedAt
      })),
    groups: steps
      .filter(n => n.group)
      .map(n => ({
        id: n.id,
        name: n.displayName,
        startedAt: n.startedAt,
        finishedAt: n.finishedAt,
        planned: n.group!.planned,
        phases: n.group!.phases
      }))
  };
}
