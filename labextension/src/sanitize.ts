/**
 * The only way SVG text reaches the page: a bundle's picture (which an untrusted notebook
 * controls, since this MIME renderer is marked safe) and the browser's own Graphviz layout.
 *
 * The text is parsed as XML in an inert document and a new picture is built from it with
 * `document.createElementNS`, element by element, copying only what is named here:
 *  - elements of the SVG namespace whose localName is in ELEMENTS (never judged by nodeName,
 *    whose prefix the author picks; everything else is dropped with its whole subtree);
 *  - attributes without a namespace whose localName has a rule in ATTRIBUTES and whose value
 *    fits that rule's grammar (numbers, path data, colours, keywords, font names): no URL, no
 *    CSS escape, no parenthesis but transform functions, rgb()/hsl() and `url(#id)` naming an
 *    element of the same picture; `data-*` attributes (inert); the picture's own class names;
 *  - text only inside <text>, <tspan> and <title>.
 * So: no <style> and no style attribute, no href, no event handler, no animation, no foreign
 * content, no reference outside the picture: nothing runs script or loads anything.
 */

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Drawing elements kept, below the root <svg> (what svg.py and Graphviz's dot emit). */
const ELEMENTS = new Set([
  'g',
  'defs',
  'marker',
  'title',
  'path',
  'rect',
  'circle',
  'ellipse',
  'line',
  'polyline',
  'polygon',
  'text',
  'tspan'
]);

/** Elements whose text is kept. */
const TEXT_PARENTS = new Set(['text', 'tspan', 'title']);

/** Deeper elements are dropped (the pictures nest a handful of levels). */
const MAX_DEPTH = 64;

/** Class names kept: Graphviz's and svg.py's own, so page styles cannot be borrowed. */
const CLASS_NAME =
  /^(?:node|edge|graph|cluster|dn-[A-Za-z0-9_-]+|dflow-nb-dag)$/;

/** An id that `url(#id)` can name. */
const ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** An inert data attribute. */
const DATA_ATTRIBUTE = /^data-[a-z][a-z0-9-]*$/;

/** Value grammars: character classes only, so matching is linear in the value's length. */
const NUMBERS = /^[-+0-9.eE,\s]*(?:px|pt|pc|mm|cm|in|em|ex|%)?$/;
const PATH_DATA = /^[MmZzLlHhVvCcSsQqTtAa0-9eE.,+\-\s]*$/;
const TRANSFORM_TEXT = /^[A-Za-z0-9.,+\-\s()]*$/;
const TRANSFORM_WORDS = new Set([
  'matrix',
  'translate',
  'scale',
  'rotate',
  'skewX',
  'skewY',
  'e',
  'E'
]);
const COLOR =
  /^(?:#[0-9a-fA-F]{3,8}|[A-Za-z]{1,32}|(?:rgb|rgba|hsl|hsla)\([-+0-9.,%\s]*\))$/;
const KEYWORDS = /^[A-Za-z0-9-]+(?: [A-Za-z0-9-]+)*$/;
const FONT_FAMILY = /^[A-Za-z0-9_ ,'"-]*$/;
const LOCAL_REF = /^url\(\s*#([A-Za-z_][A-Za-z0-9_.-]*)\s*\)$/;

/** What an attribute's value may be: kept as is, a reference to resolve, or refused. */
type Verdict = { value: string } | { ref: string } | null;
type Rule = (value: string) => Verdict;

const pattern =
  (re: RegExp): Rule =>
  value =>
    re.test(value) ? { value } : null;

/** A same-picture reference `url(#id)` (resolved once every id is known), or `none`. */
const reference: Rule = value => {
  const v = value.trim();
  if (v === 'none') {
    return { value: v };
  }
  const m = LOCAL_REF.exec(v);
  return m ? { ref: m[1] } : null;
};

/** A colour, or a same-picture reference. */
const paint: Rule = value =>
  COLOR.test(value.trim()) ? { value: value.trim() } : reference(value);

const transform: Rule = value =>
  TRANSFORM_TEXT.test(value) &&
  (value.match(/[A-Za-z]+/g) ?? []).every(w => TRANSFORM_WORDS.has(w))
    ? { value }
    : null;

const ATTRIBUTES = new Map<string, Rule>();
for (const name of [
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'cx',
  'cy',
  'r',
  'rx',
  'ry',
  'dx',
  'dy',
  'width',
  'height',
  'viewBox',
  'points',
  'refX',
  'refY',
  'markerWidth',
  'markerHeight',
  'stroke-width',
  'stroke-miterlimit',
  'stroke-dasharray',
  'stroke-dashoffset',
  'font-size',
  'opacity',
  'fill-opacity',
  'stroke-opacity',
  'textLength'
]) {
  ATTRIBUTES.set(name, pattern(NUMBERS));
}
for (const name of [
  'text-anchor',
  'dominant-baseline',
  'alignment-baseline',
  'font-weight',
  'font-style',
  'font-variant',
  'font-stretch',
  'text-decoration',
  'stroke-linecap',
  'stroke-linejoin',
  'fill-rule',
  'clip-rule',
  'visibility',
  'orient',
  'markerUnits',
  'preserveAspectRatio',
  'lengthAdjust',
  'vector-effect',
  'shape-rendering',
  'text-rendering',
  'pointer-events',
  'cursor'
]) {
  ATTRIBUTES.set(name, pattern(KEYWORDS));
}
for (const name of ['fill', 'stroke', 'color']) {
  ATTRIBUTES.set(name, paint);
}
for (const name of ['marker-start', 'marker-mid', 'marker-end']) {
  ATTRIBUTES.set(name, reference);
}
ATTRIBUTES.set('d', pattern(PATH_DATA));
ATTRIBUTES.set('transform', transform);
ATTRIBUTES.set('font-family', pattern(FONT_FAMILY));

let serial = 0;

/**
 * A new SVG element holding the allowed parts of the SVG text, or null when the text is not
 * a well-formed SVG document. Its ids carry a page-unique suffix (several copies of a picture,
 * in a cell and in the sidebar, would otherwise share `#marker` ids) and every reference
 * follows them; a reference to an id the picture does not keep is dropped.
 */
export function sanitizeSvg(text: string): SVGSVGElement | null {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const source = doc.documentElement;
  if (
    !source ||
    source.namespaceURI !== SVG_NS ||
    source.localName !== 'svg' ||
    doc.getElementsByTagName('parsererror').length > 0
  ) {
    return null;
  }
  const suffix = `-dnb${++serial}`;
  const ids = new Map<string, string>();
  const refs: Array<{ el: Element; name: string; id: string }> = [];

  const copyAttributes = (from: Element, to: Element) => {
    for (const attr of Array.from(from.attributes)) {
      if (attr.namespaceURI !== null || attr.prefix !== null) {
        continue;
      }
      const name = attr.localName;
      const value = attr.value;
      if (name === 'id') {
        if (ID.test(value)) {
          const id = ids.get(value) ?? value + suffix;
          ids.set(value, id);
          to.setAttribute('id', id);
        }
      } else if (name === 'class') {
        const kept = value.split(/\s+/).filter(c => CLASS_NAME.test(c));
        if (kept.length > 0) {
          to.setAttribute('class', kept.join(' '));
        }
      } else if (DATA_ATTRIBUTE.test(name)) {
        to.setAttribute(name, value);
      } else {
        const verdict = ATTRIBUTES.get(name)?.(value) ?? null;
        if (verdict && 'value' in verdict) {
          to.setAttribute(name, verdict.value);
        } else if (verdict) {
          refs.push({ el: to, name, id: verdict.ref });
        }
      }
    }
  };

  const copyChildren = (from: Element, to: Element, depth: number) => {
    const keepText = TEXT_PARENTS.has(from.localName);
    for (const child of Array.from(from.childNodes)) {
      if (child.nodeType === Node.ELEMENT_NODE) {
        const el = child as Element;
        if (
          el.namespaceURI !== SVG_NS ||
          !ELEMENTS.has(el.localName) ||
          depth >= MAX_DEPTH
        ) {
          continue;
        }
        const copy = document.createElementNS(SVG_NS, el.localName);
        copyAttributes(el, copy);
        copyChildren(el, copy, depth + 1);
        to.appendChild(copy);
      } else if (
        keepText &&
        (child.nodeType === Node.TEXT_NODE ||
          child.nodeType === Node.CDATA_SECTION_NODE)
      ) {
        to.appendChild(document.createTextNode((child as CharacterData).data));
      }
    }
  };

  const root = document.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  copyAttributes(source, root);
  copyChildren(source, root, 1);
  for (const { el, name, id } of refs) {
    const renamed = ids.get(id);
    if (renamed !== undefined) {
      el.setAttribute(name, `url(#${renamed})`);
    }
  }
  return root;
}
