/**
 * The run bundle (application/vnd.dflow-nb.workflow+json) and pure helpers over it:
 * phase colours, phase counts, time formatting and the Graphviz DOT text of the DAG.
 */

/** The MIME type of a dflow_nb run summary. */
export const MIME_TYPE = 'application/vnd.dflow-nb.workflow+json';

/** A timestamp as the Python side sends it: epoch seconds, an ISO string, or nothing. */
export type Timestamp = number | string | null | undefined;

/** A collapsed fan-out: slices seen so far, slices planned, and their phases. */
export interface IGroup {
  count: number;
  planned?: number | null;
  done?: number | null;
  phases: { [phase: string]: number };
}

/** One drawn node of the run (an Argo-shaped step record, or a collapsed fan-out). */
export interface INode {
  id: string;
  name: string;
  displayName: string;
  type: string;
  phase: string;
  parent?: string | null;
  children?: string[];
  message?: string | null;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
  progress?: string | null;
  key?: string | null;
  templateName?: string | null;
  /** Known from the workflow model, not started yet: drawn greyed. */
  pending?: boolean;
  /** Outputs taken from an earlier run (Argo: memoized). */
  reused?: boolean;
  group?: IGroup | null;
}

/** The run's summary: a sidebar row and the `workflow` of a bundle. */
export interface IWorkflowSummary {
  id: string;
  name: string;
  phase: string;
  message?: string | null;
  labels?: { [key: string]: string } | null;
  createdAt?: Timestamp;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
  duration?: number | null;
  backend?: string;
  source?: string | null;
  workdir?: string | null;
  progress?: { done: number; planned: number } | null;
  counts?: { [phase: string]: number } | null;
  failed?: number | null;
  reused?: number | null;
  title?: string | null;
  openCell?: string | null;
}

/** A step as lists show it: a timeline row, a slice of a fan-out. */
export interface IStepSpan {
  id: string;
  displayName: string;
  key?: string | null;
  phase: string;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
}

/** One leaf step of the timeline. */
export interface ITimelineRow extends IStepSpan {
  group?: string | null;
}

/** A fan-out summarised in the timeline. */
export interface ITimelineGroup {
  id: string;
  name: string;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
  planned?: number | null;
  phases: { [phase: string]: number };
}

/** The Gantt data of a run. */
export interface ITimeline {
  start?: Timestamp;
  end?: Timestamp;
  rows: ITimelineRow[];
  groups: ITimelineGroup[];
  total?: number;
  truncated?: boolean;
}

/** The whole bundle. */
export interface IWorkflowBundle {
  version: number;
  workflow: IWorkflowSummary;
  nodes: INode[];
  edges: Array<[string, string]>;
  svg?: string | null;
  timeline?: ITimeline | null;
}

/** Fill colours by phase (Argo UI's palette, as the notebook's own SVG uses). */
export const PHASE_COLORS: { [phase: string]: string } = {
  Pending: '#8fa4b1',
  Running: '#0dadea',
  Succeeded: '#18be94',
  Failed: '#e96d76',
  Error: '#d1444d',
  Skipped: '#b5c2cc',
  Omitted: '#b5c2cc',
  Terminated: '#f0a04b'
};

/** The fill of a step that has not started yet (drawn greyed). */
export const PENDING_FILL = '#e4e9ec';

/** Phases in display order. */
export const PHASE_ORDER = [
  'Pending',
  'Running',
  'Succeeded',
  'Failed',
  'Error',
  'Skipped',
  'Omitted',
  'Terminated'
];

/** Node types that only hold other nodes (not counted as steps). */
export const CONTAINER_TYPES = new Set([
  'Steps',
  'DAG',
  'StepGroup',
  'TaskGroup'
]);

/** The fill colour of a phase (grey when unknown). */
export function phaseColor(phase: string | null | undefined): string {
  return PHASE_COLORS[phase ?? ''] ?? PHASE_COLORS.Pending;
}

/** True while a workflow or step may still change. */
export function isActive(phase: string | null | undefined): boolean {
  return phase === 'Pending' || phase === 'Running';
}

/**
 * Counts of leaf steps by phase: the run's own counts when the server sent them (they include
 * planned slices), else counted from the drawn nodes (a collapsed group counts as its members).
 */
export function phaseCounts(bundle: IWorkflowBundle): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (phase: string, n: number) =>
    counts.set(phase, (counts.get(phase) ?? 0) + n);
  if (bundle.workflow?.counts) {
    for (const [phase, n] of Object.entries(bundle.workflow.counts)) {
      add(phase, n);
    }
  } else {
    for (const node of bundle.nodes ?? []) {
      if (node.group) {
        for (const [phase, n] of Object.entries(node.group.phases ?? {})) {
          add(phase, n);
        }
      } else if (
        !CONTAINER_TYPES.has(node.type) &&
        node.id !== bundle.workflow?.id
      ) {
        add(node.phase, 1);
      }
    }
  }
  const ordered = new Map<string, number>();
  for (const phase of PHASE_ORDER) {
    if (counts.get(phase)) {
      ordered.set(phase, counts.get(phase)!);
    }
  }
  counts.forEach((n, phase) => {
    if (n && !ordered.has(phase)) {
      ordered.set(phase, n);
    }
  });
  return ordered;
}

/** Done and planned leaf steps of a run (the server's figures, else counted). */
export function runProgress(bundle: IWorkflowBundle): {
  done: number;
  planned: number;
} {
  const given = bundle.workflow?.progress;
  if (given) {
    return given;
  }
  let done = 0;
  let planned = 0;
  phaseCounts(bundle).forEach((n, phase) => {
    planned += n;
    if (!isActive(phase)) {
      done += n;
    }
  });
  return { done, planned };
}

/** Slices of a group that finished, and how many it will make (planned, else seen). */
export function groupProgress(group: IGroup): {
  done: number;
  planned: number;
} {
  const done =
    group.done ??
    Object.entries(group.phases ?? {})
      .filter(([p]) => !isActive(p))
      .reduce((sum, [, n]) => sum + n, 0);
  return {
    done,
    planned: Math.max(group.planned ?? group.count, group.count, done)
  };
}

/** The phases a search box understands as a phase filter (case-insensitive). */
const PHASE_WORDS = new Map(PHASE_ORDER.map(p => [p.toLowerCase(), p]));

/**
 * Whether a node matches a search text: a phase name matches that phase; any other text is a
 * case-insensitive substring of the display name, name or key.
 */
export function matchesSearch(node: INode, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) {
    return true;
  }
  const phase = PHASE_WORDS.get(q);
  if (phase) {
    return node.phase === phase || Boolean(node.group?.phases?.[phase]);
  }
  return [node.displayName, node.name, node.key ?? ''].some(t =>
    (t ?? '').toLowerCase().includes(q)
  );
}

/** Counts by phase as text: "11 Failed, 989 Succeeded". */
export function countsText(
  phases: { [phase: string]: number } | Array<[string, number]>
): string {
  const entries = Array.isArray(phases) ? phases : Object.entries(phases);
  return entries.map(([p, n]) => `${n} ${p}`).join(', ');
}

/** Milliseconds since the epoch, or null. */
export function toMillis(t: Timestamp): number | null {
  if (t === null || t === undefined || t === '') {
    return null;
  }
  if (typeof t === 'number') {
    return t > 1e11 ? t : t * 1000;
  }
  const ms = Date.parse(t);
  return isNaN(ms) ? null : ms;
}

/** A local time of day (with the date when it is not today). */
export function formatTime(t: Timestamp): string {
  const ms = toMillis(t);
  if (ms === null) {
    return '';
  }
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** A duration such as "3.2s" or "4m05s"; running steps count up to now. */
export function formatDuration(start: Timestamp, end: Timestamp): string {
  const a = toMillis(start);
  if (a === null) {
    return '';
  }
  const b = toMillis(end) ?? Date.now();
  const s = Math.max(0, (b - a) / 1000);
  if (s < 60) {
    return `${s.toFixed(1)}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  }
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Segment order of a group's progress bar in the notebook's picture (svg.py's BAR_ORDER). */
export const BAR_ORDER = [
  'Succeeded',
  'Failed',
  'Error',
  'Running',
  'Pending',
  'Skipped',
  'Omitted'
];

/**
 * The second line of a node in the notebook's picture, as svg.py's `sub_text` writes it: a
 * group's count, progress and phase; "not started"; a reused step; a Pod's progress.
 */
export function subText(node: INode): string {
  if (node.group) {
    return `×${node.group.count}  ${node.progress ?? ''}  ${node.phase}`;
  }
  if (node.pending) {
    return 'not started';
  }
  if (node.reused) {
    return `${node.phase} · reused`;
  }
  const prog = node.progress;
  if (node.type === 'Pod' && prog && prog !== '1/1' && prog !== '0/1') {
    return `${node.phase} ${prog}`;
  }
  return node.type === 'StepGroup' || node.type === 'TaskGroup'
    ? ''
    : node.phase;
}

/** A DOT string literal. */
function quote(text: string): string {
  return (
    '"' +
    text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') +
    '"'
  );
}

/** The label of a node: its name, plus count and progress for a collapsed group. */
export function nodeLabel(node: INode): string {
  const name = node.displayName || node.name || node.id;
  if (node.group) {
    const { done, planned } = groupProgress(node.group);
    return `${name}\n×${planned}  (${done}/${planned} done)`;
  }
  return name;
}

/** DOT node name of the i-th node; the SVG's <title> carries it back. */
export function dotName(index: number): string {
  return `n${index}`;
}

/**
 * The DOT text of the run's graph. Nodes are named n0, n1, ... in bundle order;
 * edges whose ends are unknown are dropped.
 */
export function toDot(bundle: IWorkflowBundle): string {
  const index = new Map<string, number>();
  bundle.nodes.forEach((n, i) => index.set(n.id, i));
  const lines = [
    'digraph workflow {',
    '  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, bgcolor="transparent"];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, ' +
      'fontcolor="#ffffff", height=0.3, margin="0.12,0.04", color="#ffffff", penwidth=0.8];',
    '  edge [color="#888888", arrowsize=0.6];'
  ];
  bundle.nodes.forEach((n, i) => {
    const attrs = [
      `label=${quote(nodeLabel(n))}`,
      `fillcolor=${quote(phaseColor(n.phase))}`
    ];
    if (n.pending) {
      attrs[1] = `fillcolor=${quote(PENDING_FILL)}`;
      attrs.push(
        'fontcolor="#5f6b73"',
        'style="rounded,filled,dashed"',
        'color="#8fa4b1"'
      );
    } else if (n.reused) {
      attrs.push(
        'style="rounded,filled,bold"',
        'color="#1c2b36"',
        'penwidth=1.6'
      );
    }
    if (n.group) {
      attrs.push('shape=box3d', 'style="filled"');
    } else if (n.type === 'StepGroup' || n.type === 'TaskGroup') {
      attrs[0] = 'label=""';
      attrs.push('shape=circle', 'width=0.16', 'height=0.16', 'fixedsize=true');
    }
    lines.push(`  ${dotName(i)} [${attrs.join(', ')}];`);
  });
  const seen = new Set<string>();
  for (const [from, to] of bundle.edges ?? []) {
    const a = index.get(from);
    const b = index.get(to);
    const key = `${a}>${b}`;
    if (a === undefined || b === undefined || seen.has(key)) {
      continue;
    }
    seen.add(key);
    lines.push(`  ${dotName(a)} -> ${dotName(b)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** What decides the layout: nodes, labels' shape and edges (not phases). */
export function layoutKey(bundle: IWorkflowBundle): string {
  const nodes = bundle.nodes.map(
    n => `${n.id}|${n.group ? groupProgress(n.group).planned : ''}`
  );
  return JSON.stringify([nodes, bundle.edges ?? [], bundle.svg ?? null]);
}
