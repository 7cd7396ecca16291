/**
 * The live widget feeds the shared view from its traits: drawn nodes as Python last sent them,
 * patched with each refresh's small `states`.
 */
import { describe, expect, it } from 'vitest';

import { IWidgetModel, bundleFromTraits, mergeState } from '../src/widget';

function model(traits: { [name: string]: unknown }): IWidgetModel {
  return {
    get: name => traits[name],
    set: (name, value) => (traits[name] = value),
    save_changes: () => undefined,
    on: () => undefined,
    off: () => undefined
  };
}

describe('bundleFromTraits', () => {
  it('merges the latest states into the drawn nodes', () => {
    const b = bundleFromTraits(
      model({
        summary: { id: 'wf', name: 'fan', phase: 'Running' },
        nodes: [
          {
            id: 'a',
            name: 'a',
            displayName: 'a',
            type: 'Pod',
            phase: 'Pending',
            pending: true
          },
          {
            id: 'g',
            name: 'g',
            displayName: 'square',
            type: 'Group',
            phase: 'Pending',
            group: { count: 0, planned: 1000, phases: {} }
          }
        ],
        edges: [['a', 'g']],
        states: {
          a: { phase: 'Succeeded', pending: false },
          g: {
            phase: 'Running',
            count: 20,
            phases: { Succeeded: 18, Running: 2 }
          }
        },
        svg: '<svg/>'
      })
    );
    expect(b.workflow.name).toBe('fan');
    expect(b.nodes[0]).toMatchObject({ phase: 'Succeeded', pending: false });
    expect(b.nodes[1].group).toEqual({
      count: 20,
      planned: 1000,
      phases: { Succeeded: 18, Running: 2 }
    });
    expect(b.edges).toEqual([['a', 'g']]);
  });

  it('leaves a node without news as it was', () => {
    const n = {
      id: 'x',
      name: 'x',
      displayName: 'x',
      type: 'Pod',
      phase: 'Running'
    };
    expect(mergeState(n, undefined)).toBe(n);
  });
});
