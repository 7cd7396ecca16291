/** The DAG's zoom and pan arithmetic: fit shows the whole graph, zoom keeps the pointed spot. */
import { describe, expect, it } from 'vitest';

import {
  MAX_SCALE,
  MIN_SCALE,
  centerOn,
  fitTransform,
  zoomAt
} from '../src/zoom';

describe('fitTransform', () => {
  it('shrinks a large graph into the viewport, centred', () => {
    const t = fitTransform(4000, 1000, 800, 400, 0);
    expect(t.k).toBeCloseTo(0.2);
    expect(t.x).toBeCloseTo(0);
    expect(t.y).toBeCloseTo(100);
  });

  it('never enlarges a small graph beyond actual size', () => {
    expect(fitTransform(100, 50, 800, 400).k).toBe(1);
  });

  it('keeps a 10,000-node strip above the minimum scale', () => {
    expect(fitTransform(1_000_000, 40, 800, 400).k).toBe(MIN_SCALE);
  });
});

describe('zoomAt', () => {
  it('keeps the content under the pointer in place', () => {
    const t0 = { x: 10, y: 20, k: 1 };
    const t1 = zoomAt(t0, 2, 110, 120);
    // content point (100, 100) was at (110, 120) and stays there
    expect(100 * t1.k + t1.x).toBeCloseTo(110);
    expect(100 * t1.k + t1.y).toBeCloseTo(120);
  });

  it('stops at the largest scale', () => {
    expect(zoomAt({ x: 0, y: 0, k: 3 }, 10, 0, 0).k).toBe(MAX_SCALE);
  });
});

describe('centerOn', () => {
  it('puts a content point in the middle of the viewport', () => {
    const t = centerOn({ x: 0, y: 0, k: 0.5 }, 1000, 600, 800, 400);
    expect(1000 * t.k + t.x).toBe(400);
    expect(600 * t.k + t.y).toBe(200);
  });
});
