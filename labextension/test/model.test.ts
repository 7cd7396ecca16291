/**
 * The run bundle's pure helpers: progress toward what a run plans (not only what started),
 * phase counts, search, and the DOT text that draws pending steps greyed and reused ones marked.
 */
import { describe, expect, it } from 'vitest';

import {
  INode,
  IWorkflowBundle,
  PENDING_FILL,
  groupProgress,
  matchesSearch,
  nodeLabel,
  phaseCounts,
  runProgress,
  subText,
  toDot
} from '../src/model';

const fanout: INode = {
  id: 'wf-g',
  name: 'wf.square',
  displayName: 'square',
  type: 'Group',
  phase: 'Running',
  group: {
    count: 462,
    planned: 1000,
    phases: { Succeeded: 455, Failed: 5, Running: 2 }
  }
};

function bundle(
  nodes: INode[],
  workflow: Partial<IWorkflowBundle['workflow']> = {}
): IWorkflowBundle {
  return {
    version: 2,
    workflow: { id: 'wf', name: 'fan', phase: 'Running', ...workflow },
    nodes: [
      {
        id: 'wf',
        name: 'wf',
        displayName: 'wf',
        type: 'Steps',
        phase: 'Running'
      },
      ...nodes
    ],
    edges: []
  };
}

describe('progress of a fan-out', () => {
  it('counts toward the planned slices, not only those started', () => {
    expect(groupProgress(fanout.group!)).toEqual({ done: 460, planned: 1000 });
    expect(nodeLabel(fanout)).toBe('square\n×1000  (460/1000 done)');
  });

  it('falls back to the slices seen when the plan is unknown', () => {
    expect(
      groupProgress({ count: 3, phases: { Succeeded: 2, Running: 1 } })
    ).toEqual({
      done: 2,
      planned: 3
    });
  });

  it("uses the run's own counts and progress when the server sends them", () => {
    const b = bundle([fanout], {
      progress: { done: 460, planned: 1003 },
      counts: { Succeeded: 456, Failed: 5, Running: 2, Pending: 540 }
    });
    expect(runProgress(b)).toEqual({ done: 460, planned: 1003 });
    expect([...phaseCounts(b).entries()]).toEqual([
      ['Pending', 540],
      ['Running', 2],
      ['Succeeded', 456],
      ['Failed', 5]
    ]);
  });

  it('counts a group as its members when the run sends no counts', () => {
    const leaf: INode = {
      id: 'a',
      name: 'a',
      displayName: 'a',
      type: 'Pod',
      phase: 'Succeeded'
    };
    const b = bundle([leaf, fanout]);
    expect(phaseCounts(b).get('Succeeded')).toBe(456);
    expect(runProgress(b)).toEqual({ done: 461, planned: 463 });
  });
});

describe('search by name, key or phase', () => {
  const slice: INode = {
    id: 's',
    name: 'wf[0].square(17:17)',
    displayName: 'square(17:17)',
    type: 'Pod',
    phase: 'Failed',
    key: 'square-17'
  };

  it('matches a substring of the name or key, ignoring case', () => {
    expect(matchesSearch(slice, 'SQUARE-17')).toBe(true);
    expect(matchesSearch(slice, '(17:')).toBe(true);
    expect(matchesSearch(slice, 'cube')).toBe(false);
  });

  it('reads a phase name as a phase filter, groups included', () => {
    expect(matchesSearch(slice, 'failed')).toBe(true);
    expect(matchesSearch(slice, 'running')).toBe(false);
    expect(matchesSearch(fanout, 'Failed')).toBe(true);
  });
});

describe('DOT text', () => {
  it('draws a pending step greyed and dashed, and a reused one with a bold outline', () => {
    const dot = toDot(
      bundle([
        {
          id: 'p',
          name: 'p',
          displayName: 'later',
          type: 'Pod',
          phase: 'Pending',
          pending: true
        },
        {
          id: 'r',
          name: 'r',
          displayName: 'cached',
          type: 'Pod',
          phase: 'Succeeded',
          reused: true
        }
      ])
    );
    expect(dot).toContain(`n1 [label="later", fillcolor="${PENDING_FILL}"`);
    expect(dot).toMatch(/n1 \[.*dashed/);
    expect(dot).toMatch(/n2 \[.*bold/);
  });

  it('quotes names so they cannot end the label', () => {
    const dot = toDot(
      bundle([
        {
          id: 'x',
          name: 'x',
          displayName: 'a"] ; evil [',
          type: 'Pod',
          phase: 'Running'
        }
      ])
    );
    expect(dot).toContain('label="a\\"] ; evil ["');
  });
});

describe("the notebook picture's second line", () => {
  const pod: INode = {
    id: 'p',
    name: 'p',
    displayName: 'p',
    type: 'Pod',
    phase: 'Running'
  };

  it('says what svg.py says: phase, progress, not started, reused, a group', () => {
    expect(subText(pod)).toBe('Running');
    expect(subText({ ...pod, progress: '2/5' })).toBe('Running 2/5');
    expect(subText({ ...pod, pending: true })).toBe('not started');
    expect(subText({ ...pod, phase: 'Succeeded', reused: true })).toBe(
      'Succeeded · reused'
    );
    expect(subText({ ...fanout, progress: '460/1000' })).toBe(
      '×462  460/1000  Running'
    );
    expect(subText({ ...pod, type: 'StepGroup' })).toBe('');
  });
});
