/**
 * The timeline's layout: a 1,000-slice fan-out is one aggregate row until opened, then its
 * slices a page at a time; bars sit where their times are on the run's axis.
 */
import { describe, expect, it } from 'vitest';

import { ITimeline } from '../src/model';
import { GROUP_PAGE, axisTicks, layoutTimeline } from '../src/timeline';

const T0 = 1_700_000_000;

function fanout(n: number, failed: number[] = []): ITimeline {
  const rows = [
    {
      id: 'prep',
      displayName: 'prep',
      phase: 'Succeeded',
      startedAt: T0,
      finishedAt: T0 + 1
    }
  ];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: `s${i}`,
      displayName: `square(${i})`,
      phase: failed.includes(i) ? 'Failed' : 'Succeeded',
      startedAt: T0 + 1 + i / 100,
      finishedAt: T0 + 2 + i / 100,
      group: 'g'
    } as any);
  }
  return {
    start: T0,
    end: T0 + 2 + n / 100,
    rows,
    groups: [
      {
        id: 'g',
        name: 'square',
        startedAt: T0 + 1,
        finishedAt: T0 + 2 + n / 100,
        planned: n,
        phases: { Succeeded: n - failed.length, Failed: failed.length }
      }
    ]
  };
}

describe('layoutTimeline', () => {
  it('shows a 1,000-slice fan-out as one row with its phases', () => {
    const lay = layoutTimeline(fanout(1000, [3, 99]), new Set(), 0);
    expect(lay.lines.map(l => l.kind)).toEqual(['step', 'group']);
    const g = lay.lines[1];
    expect(g.label).toBe('square ×1000');
    expect(g.phase).toBe('Failed');
    expect(g.phases).toEqual([
      ['Failed', 2],
      ['Succeeded', 998]
    ]);
    expect(g.x1).toBeCloseTo(1);
  });

  it('opens a group a page at a time, with a row for the rest', () => {
    const lay = layoutTimeline(fanout(1000), new Set(['g']), 0);
    expect(lay.lines.length).toBe(2 + GROUP_PAGE + 1);
    expect(lay.lines[2].group).toBe('g');
    expect(lay.lines.at(-1)).toMatchObject({
      kind: 'more',
      label: `${1000 - GROUP_PAGE} more slices`
    });
    const more = layoutTimeline(
      fanout(1000),
      new Set(['g']),
      0,
      new Map([['g', 1000]])
    );
    expect(more.lines.length).toBe(2 + 1000);
  });

  it('places bars by time and draws planned slices as pending', () => {
    const tl = fanout(10);
    tl.groups[0].planned = 40;
    const lay = layoutTimeline(tl, new Set(['g']), 0);
    const prep = lay.lines[0];
    expect(prep.x0).toBe(0);
    expect(prep.x1).toBeCloseTo(1 / 2.1);
    expect(lay.lines[1].phases).toContainEqual(['Pending', 30]);
    expect(lay.lines[1].label).toBe('square ×40');
  });

  it('runs a running step up to now', () => {
    const lay = layoutTimeline(
      {
        start: T0,
        end: null,
        rows: [{ id: 'r', displayName: 'r', phase: 'Running', startedAt: T0 }],
        groups: []
      },
      new Set(),
      (T0 + 10) * 1000
    );
    expect(lay.end).toBe((T0 + 10) * 1000);
    expect(lay.lines[0].x1).toBeCloseTo(1);
  });
});

describe('axisTicks', () => {
  it('picks round steps', () => {
    expect(axisTicks(0, 60_000).map(t => t.label)).toEqual([
      '0s',
      '10s',
      '20s',
      '30s',
      '40s',
      '50s',
      '1m'
    ]);
    expect(axisTicks(0, 3 * 3600e3).map(t => t.label)).toEqual([
      '0s',
      '30m',
      '1h',
      '1.5h',
      '2h',
      '2.5h',
      '3h'
    ]);
    expect(axisTicks(0, 90_000).map(t => t.label)).toContain('1m30s');
  });
});
