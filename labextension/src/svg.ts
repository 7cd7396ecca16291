/**
 * SVG handling: lay out DOT with Graphviz compiled to WASM (loaded on first use), and
 * sanitise SVG text so that an untrusted notebook cannot run script through it.
 */

type GraphvizInstance = { dot(src: string, format?: 'svg'): string };

let graphviz: Promise<GraphvizInstance> | null = null;

/** The Graphviz WASM module, loaded once per page (its chunk is fetched lazily). */
function loadGraphviz(): Promise<GraphvizInstance> {
  if (graphviz === null) {
    graphviz = import('@hpcc-js/wasm-graphviz').then(
      mod => mod.Graphviz.load() as Promise<GraphvizInstance>
    );
    graphviz.catch(() => {
      graphviz = null;
    });
  }
  return graphviz;
}

/** SVG text of a DOT graph, laid out by Graphviz's dot in the browser. */
export async function layout(dot: string): Promise<string> {
  const gv = await loadGraphviz();
  return gv.dot(dot, 'svg');
}

const FORBIDDEN = new Set([
  'script',
  'foreignobject',
  'iframe',
  'object',
  'embed',
  'audio',
  'video',
  'animate',
  'set',
  'handler',
  'listener'
]);

/**
 * Parse SVG text into an element with scripts, event handlers, foreign content and
 * non-local links removed; null when the text is not an SVG document.
 */
export function sanitizeSvg(text: string): SVGSVGElement | null {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.nodeName.toLowerCase() !== 'svg' || doc.querySelector('parsererror')) {
    return null;
  }
  const walk = (el: Element) => {
    for (const child of Array.from(el.children)) {
      if (FORBIDDEN.has(child.nodeName.toLowerCase())) {
        child.remove();
      } else {
        walk(child);
      }
    }
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith('on')) {
        el.removeAttribute(attr.name);
      } else if ((name === 'href' || name.endsWith(':href')) && !value.startsWith('#')) {
        el.removeAttribute(attr.name);
      } else if (name === 'style' && /url\s*\(|expression|javascript:/.test(value)) {
        el.removeAttribute(attr.name);
      }
    }
  };
  walk(root);
  uniqueIds(root);
  return document.importNode(root, true) as unknown as SVGSVGElement;
}

let idSerial = 0;

/**
 * Give every id in the SVG a page-unique suffix and follow its references: several copies of
 * one picture (a cell output, the sidebar panel) would otherwise share `#marker` ids, and a
 * reference into a hidden copy draws nothing.
 */
function uniqueIds(root: Element): void {
  const suffix = `-dnb${++idSerial}`;
  const renamed = new Map<string, string>();
  root.querySelectorAll('[id]').forEach(el => {
    const id = el.getAttribute('id')!;
    renamed.set(id, id + suffix);
    el.setAttribute('id', id + suffix);
  });
  if (renamed.size === 0) {
    return;
  }
  const all = [root, ...Array.from(root.querySelectorAll('*'))];
  for (const el of all) {
    for (const attr of Array.from(el.attributes)) {
      const value = attr.value.replace(/url\(#([^)]+)\)/g, (m, id) =>
        renamed.has(id) ? `url(#${renamed.get(id)})` : m
      );
      const href = attr.name.endsWith('href') && value.startsWith('#') ? value.slice(1) : null;
      const next = href !== null && renamed.has(href) ? `#${renamed.get(href)}` : value;
      if (next !== attr.value) {
        el.setAttribute(attr.name, next);
      }
    }
  }
}
