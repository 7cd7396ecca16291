/**
 * The timeline (Gantt) of a run's steps, beside its DAG. A fan-out's slices are one aggregate
 * row (its span, and a bar of its slices' phases) until expanded, so 1,000 or 10,000 slices
 * stay a handful of rows; an expanded group shows its slices a page at a time.
 */
import { activatable, button, el } from './dom';
import {
  ITimeline,
  PENDING_FILL,
  countsText,
  formatDuration,
  isActive,
  phaseColor,
  toMillis,
  Timestamp
} from './model';

/** Slices of an expanded group drawn per page. */
export const GROUP_PAGE = 200;

/** One row of the laid-out timeline; x0/x1 are fractions of the time axis. */
export interface ITimelineLine {
  kind: 'step' | 'group' | 'more';
  id: string;
  label: string;
  phase: string;
  x0: number;
  x1: number;
  /** group rows: the phases of its slices, in display order, and whether it is open. */
  phases?: Array<[string, number]>;
  count?: number;
  expanded?: boolean;
  /** slices of an open group, and 'more' rows: the group it belongs to. */
  group?: string;
  title: string;
}

/** The laid-out timeline: its time span (ms) and rows. */
export interface ITimelineLayout {
  start: number;
  end: number;
  lines: ITimelineLine[];
}

const GROUP_PHASES = [
  'Failed',
  'Error',
  'Running',
  'Succeeded',
  'Skipped',
  'Omitted',
  'Pending'
];

/**
 * Lay out `tl`: steps outside a group one row each, each group one aggregate row (followed,
 * when `expanded` has it, by up to `shown.get(id) ?? GROUP_PAGE` of its slices and a 'more'
 * row), all ordered by start. Running steps end at `now` (ms).
 */
export function layoutTimeline(
  tl: ITimeline,
  expanded: Set<string>,
  now: number,
  shown: Map<string, number> = new Map()
): ITimelineLayout {
  const ms = (t: Timestamp) => toMillis(t);
  let start = ms(tl.start) ?? Number.POSITIVE_INFINITY;
  let end = ms(tl.end) ?? Number.NEGATIVE_INFINITY;
  const consider = (a: Timestamp, b: Timestamp) => {
    const s = ms(a);
    if (s !== null) {
      start = Math.min(start, s);
      end = Math.max(end, ms(b) ?? now);
    }
  };
  tl.rows.forEach(r => consider(r.startedAt, r.finishedAt));
  tl.groups.forEach(g => consider(g.startedAt, g.finishedAt));
  if (!isFinite(start)) {
    start = now;
  }
  if (!isFinite(end) || ms(tl.end) === null) {
    end = Math.max(end, Math.min(now, start + 365 * 86400e3));
  }
  const span = Math.max(end - start, 1);
  const x = (t: Timestamp, fallback: number) => {
    const v = ms(t);
    return ((v === null ? fallback : v) - start) / span;
  };
  const byGroup = new Map<string, typeof tl.rows>();
  const entries: Array<{ at: number; lines: ITimelineLine[] }> = [];
  for (const r of tl.rows) {
    if (r.group) {
      const list = byGroup.get(r.group) ?? [];
      list.push(r);
      byGroup.set(r.group, list);
      continue;
    }
    entries.push({
      at: ms(r.startedAt) ?? Number.POSITIVE_INFINITY,
      lines: [stepLine(r)]
    });
  }
  function stepLine(
    r: ITimeline['rows'][number],
    group?: string
  ): ITimelineLine {
    const label = r.key ? `${r.displayName} (${r.key})` : r.displayName;
    return {
      kind: 'step',
      id: r.id,
      label,
      phase: r.phase,
      x0: Math.max(0, x(r.startedAt, end)),
      x1: Math.min(1, x(r.finishedAt, isActive(r.phase) ? now : end)),
      group,
      title: `${label}: ${r.phase} ${formatDuration(r.startedAt, r.finishedAt)}`
    };
  }
  for (const g of tl.groups) {
    const slices = byGroup.get(g.id) ?? [];
    byGroup.delete(g.id);
    const count = Object.values(g.phases).reduce((a, b) => a + b, 0);
    const planned = Math.max(g.planned ?? 0, count);
    const phases: Array<[string, number]> = GROUP_PHASES.filter(
      p => g.phases[p]
    ).map(p => [p, g.phases[p]]);
    for (const [p, n] of Object.entries(g.phases)) {
      if (n && !GROUP_PHASES.includes(p)) {
        phases.push([p, n]);
      }
    }
    if (planned > count) {
      const pending = phases.find(([p]) => p === 'Pending');
      if (pending) {
        pending[1] += planned - count;
      } else {
        phases.push(['Pending', planned - count]);
      }
    }
    const open = expanded.has(g.id);
    const phase = phases.some(([p]) => p === 'Running')
      ? 'Running'
      : phases.some(([p]) => p === 'Failed' || p === 'Error')
        ? 'Failed'
        : 'Succeeded';
    const summary = countsText(phases);
    const lines: ITimelineLine[] = [
      {
        kind: 'group',
        id: g.id,
        label: `${g.name} ×${planned}`,
        phase,
        x0: Math.max(0, x(g.startedAt, end)),
        x1: Math.min(1, x(g.finishedAt, now)),
        phases,
        count: planned,
        expanded: open,
        title: `${g.name}: ${planned} slices (${summary}) ${formatDuration(g.startedAt, g.finishedAt)}`
      }
    ];
    if (open) {
      const sorted = [...slices].sort(
        (a, b) => (ms(a.startedAt) ?? Infinity) - (ms(b.startedAt) ?? Infinity)
      );
      const limit = shown.get(g.id) ?? GROUP_PAGE;
      sorted.slice(0, limit).forEach(r => lines.push(stepLine(r, g.id)));
      if (sorted.length > limit) {
        lines.push({
          kind: 'more',
          id: `${g.id}-more`,
          label: `${sorted.length - limit} more slices`,
          phase: '',
          x0: 0,
          x1: 0,
          group: g.id,
          title: 'show more slices'
        });
      }
    }
    entries.push({ at: ms(g.startedAt) ?? Number.POSITIVE_INFINITY, lines });
  }
  // slices of a group the server did not summarise: plain rows
  byGroup.forEach(rows =>
    rows.forEach(r =>
      entries.push({ at: ms(r.startedAt) ?? Infinity, lines: [stepLine(r)] })
    )
  );
  entries.sort((a, b) => a.at - b.at);
  return { start, end, lines: entries.flatMap(e => e.lines) };
}

/** Ticks of the time axis: about `n` round steps (ms) from `start` to `end`. */
export function axisTicks(
  start: number,
  end: number,
  n = 6
): Array<{ at: number; label: string }> {
  const span = Math.max(end - start, 1);
  const steps = [
    1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3,
    3600e3, 7200e3, 21600e3, 86400e3
  ];
  const step =
    steps.find(s => span / s <= n) ?? Math.ceil(span / n / 86400e3) * 86400e3;
  const ticks = [];
  for (let t = 0; t <= span; t += step) {
    const s = t / 1000;
    const label =
      s < 60
        ? `${s}s`
        : s < 3600
          ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`
          : `${(s / 3600).toFixed(s % 3600 ? 1 : 0)}h`;
    ticks.push({ at: t / span, label });
  }
  return ticks;
}

/** The timeline pane; `onOpen` opens a step's details, groups expand in place. */
export class TimelineView {
  readonly node = el('div', 'dflow-nb-timeline');
  private expanded = new Set<string>();
  private shown = new Map<string, number>();
  private data: ITimeline | null = null;
  private focusId: string | null = null;

  constructor(private onOpen: (nodeId: string, label: string) => void) {}

  /** Show `tl` (called with every new bundle; expanded groups stay open). */
  update(tl: ITimeline | null | undefined): void {
    this.data = tl ?? null;
    this.render();
  }

  /** Open or close a group's slices. */
  toggle(groupId: string): void {
    if (this.expanded.has(groupId)) {
      this.expanded.delete(groupId);
    } else {
      this.expanded.add(groupId);
    }
    this.focusId = groupId;
    this.render();
  }

  private render(): void {
    const tl = this.data;
    if (!tl || (!tl.rows.length && !tl.groups.length)) {
      this.node.replaceChildren(
        el('div', 'dflow-nb-note', 'no step has started yet')
      );
      return;
    }
    const lay = layoutTimeline(tl, this.expanded, Date.now(), this.shown);
    const axis = el('div', 'dflow-nb-tlaxis');
    axis.append(el('span', 'dflow-nb-tllabel'));
    const scale = el('div', 'dflow-nb-tltrack');
    for (const t of axisTicks(lay.start, lay.end)) {
      const tick = el('span', 'dflow-nb-tltick', t.label);
      tick.style.left = `${(t.at * 100).toFixed(2)}%`;
      scale.append(tick);
    }
    axis.append(scale);
    const rows = el('div', 'dflow-nb-tlrows');
    let focus: HTMLElement | null = null;
    for (const line of lay.lines) {
      const row = el('div', `dflow-nb-tlrow dflow-nb-tl${line.kind}`);
      row.dataset.id = line.id;
      row.dataset.phase = line.phase;
      row.title = line.title;
      const label = el(
        'span',
        'dflow-nb-tllabel',
        line.kind === 'group'
          ? `${line.expanded ? '▾' : '▸'} ${line.label}`
          : line.label
      );
      const track = el('div', 'dflow-nb-tltrack');
      if (line.kind !== 'more') {
        const bar = el('div', 'dflow-nb-tlbar');
        bar.style.left = `${(line.x0 * 100).toFixed(3)}%`;
        bar.style.width = `max(2px, ${((line.x1 - line.x0) * 100).toFixed(3)}%)`;
        if (line.phases) {
          const total = line.phases.reduce((a, [, n]) => a + n, 0) || 1;
          for (const [p, n] of line.phases) {
            const part = el('span', 'dflow-nb-tlpart');
            part.dataset.phase = p;
            part.style.width = `${((n / total) * 100).toFixed(3)}%`;
            part.style.background =
              p === 'Pending' ? PENDING_FILL : phaseColor(p);
            bar.append(part);
          }
        } else {
          bar.style.background = phaseColor(line.phase);
        }
        track.append(bar);
      }
      row.append(label, track);
      if (line.kind === 'group') {
        row.setAttribute('aria-expanded', String(Boolean(line.expanded)));
        activatable(
          row,
          () => this.toggle(line.id),
          `${line.label}: show its slices`
        );
      } else if (line.kind === 'more') {
        row.replaceChildren(
          button(line.label, 'dflow-nb-tlmorebtn', () => {
            const g = line.group!;
            this.shown.set(g, (this.shown.get(g) ?? GROUP_PAGE) + GROUP_PAGE);
            this.focusId = null;
            this.render();
          })
        );
      } else {
        activatable(row, () => this.onOpen(line.id, line.label), line.title);
      }
      if (line.id === this.focusId) {
        focus = row;
      }
      rows.append(row);
    }
    const parts: HTMLElement[] = [axis, rows];
    if (tl.truncated) {
      parts.push(
        el(
          'div',
          'dflow-nb-note',
          `${tl.total ?? ''} steps: the latest are summarised in their groups`
        )
      );
    }
    const hadFocus = this.node.contains(document.activeElement);
    this.node.replaceChildren(...parts);
    if (focus && hadFocus) {
      focus.focus();
    }
  }
}
