/**
 * Graphviz compiled to WASM (loaded on first use) lays out DOT in the browser when a bundle
 * carries no picture. Its SVG text, like a bundle's, is shown only through `sanitizeSvg`
 * (sanitize.ts).
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
