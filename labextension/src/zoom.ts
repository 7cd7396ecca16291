/**
 * Zoom, pan and fit for the DAG: the picture is moved with one CSS transform (no re-layout,
 * no re-render), so a large graph stays responsive. Buttons, Ctrl/⌘ + wheel, drag, and the
 * keys + - 0 (fit) and arrows when the canvas has focus.
 */
import { button, el } from './dom';

/** A view transform: screen = content * k + (x, y). */
export interface ITransform {
  x: number;
  y: number;
  k: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 4;

const clamp = (k: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));

/** The transform that shows the whole content (w × h) centred in the viewport (never > 1:1). */
export function fitTransform(
  w: number,
  h: number,
  vw: number,
  vh: number,
  pad = 8
): ITransform {
  if (w <= 0 || h <= 0 || vw <= 0 || vh <= 0) {
    return { x: 0, y: 0, k: 1 };
  }
  const k = clamp(Math.min((vw - 2 * pad) / w, (vh - 2 * pad) / h, 1));
  return { x: (vw - w * k) / 2, y: Math.max(pad, (vh - h * k) / 2), k };
}

/** Zoom by `factor` keeping the content point under (px, py) where it is. */
export function zoomAt(
  t: ITransform,
  factor: number,
  px: number,
  py: number
): ITransform {
  const k = clamp(t.k * factor);
  const f = k / t.k;
  return { x: px - (px - t.x) * f, y: py - (py - t.y) * f, k };
}

/** The transform that puts the content point (cx, cy) at the viewport's centre. */
export function centerOn(
  t: ITransform,
  cx: number,
  cy: number,
  vw: number,
  vh: number
): ITransform {
  return { x: vw / 2 - cx * t.k, y: vh / 2 - cy * t.k, k: t.k };
}

/** The natural size of an SVG: its viewBox, else its width and height. */
export function svgSize(svg: SVGSVGElement): { w: number; h: number } {
  const vb = (svg.getAttribute('viewBox') ?? '')
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (vb.length === 4 && vb.every(isFinite) && vb[2] > 0 && vb[3] > 0) {
    return { w: vb[2], h: vb[3] };
  }
  const num = (name: string) => parseFloat(svg.getAttribute(name) ?? '') || 0;
  return { w: num('width'), h: num('height') };
}

/** The DAG canvas: a viewport with a transformed picture and its toolbar. */
export class ZoomCanvas {
  readonly node = el('div', 'dflow-nb-canvas');
  readonly toolbar = el('div', 'dflow-nb-zoombar');
  private stage = el('div', 'dflow-nb-stage');
  private svg: SVGSVGElement | null = null;
  private size = { w: 0, h: 0 };
  private t: ITransform = { x: 0, y: 0, k: 1 };
  private fitted = true;

  constructor() {
    this.node.tabIndex = 0;
    this.node.setAttribute(
      'aria-label',
      'workflow graph: + and - zoom, 0 fits, arrows pan'
    );
    this.node.append(this.stage);
    this.toolbar.append(
      button('+', 'dflow-nb-zoomin', () => this.zoom(1.25), 'zoom in'),
      button('−', 'dflow-nb-zoomout', () => this.zoom(0.8), 'zoom out'),
      button('Fit', 'dflow-nb-fit', () => this.fit(), 'fit the graph'),
      button(
        '1:1',
        'dflow-nb-actual',
        () => this.apply({ ...this.t, k: 1 }),
        'actual size'
      )
    );
    this.node.addEventListener(
      'wheel',
      ev => {
        if (!(ev.ctrlKey || ev.metaKey)) {
          return; // a plain wheel scrolls the notebook
        }
        ev.preventDefault();
        const r = this.node.getBoundingClientRect();
        this.apply(
          zoomAt(
            this.t,
            ev.deltaY < 0 ? 1.15 : 1 / 1.15,
            ev.clientX - r.left,
            ev.clientY - r.top
          )
        );
      },
      { passive: false }
    );
    let drag: { x: number; y: number; t: ITransform; moved: boolean } | null =
      null;
    this.node.addEventListener('pointerdown', ev => {
      if (ev.button === 0) {
        drag = { x: ev.clientX, y: ev.clientY, t: this.t, moved: false };
      }
    });
    this.node.addEventListener('pointermove', ev => {
      if (!drag) {
        return;
      }
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) {
        return;
      }
      drag.moved = true;
      this.node.classList.add('dflow-nb-dragging');
      this.apply({ ...drag.t, x: drag.t.x + dx, y: drag.t.y + dy });
    });
    const end = () => {
      if (drag?.moved) {
        // swallow the click that ends a drag, so it does not open a node
        this.node.addEventListener('click', e => e.stopPropagation(), {
          capture: true,
          once: true
        });
      }
      drag = null;
      this.node.classList.remove('dflow-nb-dragging');
    };
    this.node.addEventListener('pointerup', end);
    this.node.addEventListener('pointerleave', () => {
      drag = null;
      this.node.classList.remove('dflow-nb-dragging');
    });
    this.node.addEventListener('keydown', ev => {
      if (ev.target !== this.node) {
        return;
      }
      const step = 40;
      const moves: { [key: string]: () => void } = {
        '+': () => this.zoom(1.25),
        '=': () => this.zoom(1.25),
        '-': () => this.zoom(0.8),
        '0': () => this.fit(),
        ArrowLeft: () => this.apply({ ...this.t, x: this.t.x + step }),
        ArrowRight: () => this.apply({ ...this.t, x: this.t.x - step }),
        ArrowUp: () => this.apply({ ...this.t, y: this.t.y + step }),
        ArrowDown: () => this.apply({ ...this.t, y: this.t.y - step })
      };
      const move = moves[ev.key];
      if (move) {
        ev.preventDefault();
        move();
      }
    });
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        if (this.fitted) {
          this.fit();
        }
      }).observe(this.node);
    }
  }

  /** Show a new picture (fitted unless the user had zoomed or panned the previous one). */
  show(content: SVGSVGElement | HTMLElement | null): void {
    this.svg = content instanceof SVGSVGElement ? content : null;
    this.stage.replaceChildren(...(content ? [content] : []));
    if (this.svg) {
      this.size = svgSize(this.svg);
      this.svg.setAttribute('width', String(this.size.w));
      this.svg.setAttribute('height', String(this.size.h));
      if (this.fitted) {
        this.fit();
      } else {
        this.apply(this.t);
      }
    } else {
      this.stage.style.transform = '';
    }
  }

  fit(): void {
    const r = this.node.getBoundingClientRect();
    this.apply(fitTransform(this.size.w, this.size.h, r.width, r.height));
    this.fitted = true;
  }

  zoom(factor: number): void {
    const r = this.node.getBoundingClientRect();
    this.apply(zoomAt(this.t, factor, r.width / 2, r.height / 2));
  }

  /** Bring an element of the picture to the centre. */
  reveal(target: SVGGraphicsElement): void {
    if (!this.svg) {
      return;
    }
    let box: DOMRect;
    try {
      box = target.getBBox();
    } catch {
      return;
    }
    const r = this.node.getBoundingClientRect();
    const scale = this.svgScale();
    this.apply(
      centerOn(
        this.t,
        (box.x + box.width / 2) * scale.x + scale.dx,
        (box.y + box.height / 2) * scale.y + scale.dy,
        r.width,
        r.height
      )
    );
  }

  /** viewBox units -> picture pixels. */
  private svgScale(): { x: number; y: number; dx: number; dy: number } {
    const vb = (this.svg?.getAttribute('viewBox') ?? '')
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    if (vb.length === 4 && vb.every(isFinite) && vb[2] > 0 && vb[3] > 0) {
      return {
        x: this.size.w / vb[2],
        y: this.size.h / vb[3],
        dx: -vb[0] * (this.size.w / vb[2]),
        dy: -vb[1] * (this.size.h / vb[3])
      };
    }
    return { x: 1, y: 1, dx: 0, dy: 0 };
  }

  private apply(t: ITransform): void {
    this.t = t;
    this.fitted = false;
    this.stage.style.transform = `translate(${t.x}px, ${t.y}px) scale(${t.k})`;
    this.node.dataset.scale = t.k.toFixed(3);
  }
}
