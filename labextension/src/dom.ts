import { PENDING_FILL, phaseColor } from './model';

/**
 * The one way the views build DOM: elements whose text is set with `textContent`, never
 * markup. Run data (names, messages, parameter values, logs) only ever reaches the page here.
 */

/** A new element with a class and text (as text, never parsed). */
export function el<K extends keyof HTMLElementTagNameMap>(
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

/** A button that runs `onClick`; keyboard users reach and press it like any button. */
export function button(
  label: string,
  cls: string,
  onClick: () => void,
  title?: string
): HTMLButtonElement {
  const b = el('button', `dflow-nb-button ${cls}`, label);
  b.type = 'button';
  if (title) {
    b.title = title;
  }
  b.addEventListener('click', ev => {
    ev.stopPropagation();
    onClick();
  });
  return b;
}

/** Make `node` focusable and open it with Enter or Space as well as a click. */
export function activatable(
  node: HTMLElement | SVGElement,
  open: () => void,
  label?: string
): void {
  node.setAttribute('tabindex', '0');
  node.setAttribute('role', 'button');
  if (label) {
    node.setAttribute('aria-label', label);
  }
  node.addEventListener('click', () => open());
  node.addEventListener('keydown', ev => {
    const key = (ev as KeyboardEvent).key;
    if (key === 'Enter' || key === ' ') {
      ev.preventDefault();
      open();
    }
  });
}

/** A link that downloads `url` (an endpoint of our own server). */
export function downloadLink(
  url: string,
  label: string,
  filename?: string
): HTMLAnchorElement {
  const a = el('a', 'dflow-nb-download', label);
  a.href = url;
  a.setAttribute('download', filename ?? '');
  a.rel = 'noopener';
  return a;
}

/** Bytes as "1.2 kB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A dot in a phase's colour (a step not started yet: the greyed fill). */
export function phaseDot(phase: string, pending = false): HTMLSpanElement {
  const dot = el('span', 'dflow-nb-dot');
  dot.style.background = pending ? PENDING_FILL : phaseColor(phase);
  return dot;
}

/**
 * Fill `pager` with "first–last of total" and previous/next buttons that call `go(offset)`.
 */
export function renderPager(
  pager: HTMLElement,
  page: { offset: number; limit: number; total: number },
  shown: number,
  go: (offset: number) => void
): void {
  const last = Math.min(page.offset + shown, page.total);
  pager.replaceChildren(
    el(
      'span',
      'dflow-nb-pageinfo',
      `${page.total ? page.offset + 1 : 0}–${last} of ${page.total}`
    )
  );
  if (page.offset > 0) {
    pager.append(
      button(
        '‹',
        'dflow-nb-prev',
        () => go(Math.max(0, page.offset - page.limit)),
        'previous page'
      )
    );
  }
  if (last < page.total) {
    pager.append(button('›', 'dflow-nb-next', () => go(last), 'next page'));
  }
}
