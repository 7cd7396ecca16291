/**
 * The details of one step (Argo UI's node info, plus the executor's record): inputs and outputs
 * with types, artifacts with size, preview and download, message, times, each attempt of a
 * retried step, template, Argo node ids. Everything is text (dom.ts) or an <img> of our own
 * server's raw endpoint (served with a sandboxing CSP and nosniff).
 */
import { IArtifact, IArtifactPreview, INodeDetails, IParam } from './api';
import {
  activatable,
  button,
  downloadLink,
  el,
  formatBytes,
  phaseDot
} from './dom';
import { formatDuration, formatTime, phaseColor } from './model';

/** Where a preview and a download come from (the server extension; absent in a bare notebook). */
export interface IArtifactSource {
  artifact?(preview: string, path?: string): Promise<IArtifactPreview>;
  rawUrl?(preview: string, path?: string): string;
}

/** Kinds of artifact the pane can preview. */
export const PREVIEWABLE = new Set([
  'text',
  'json',
  'csv',
  'image',
  'directory'
]);

function section(title: string): HTMLElement {
  const box = el('section', 'dflow-nb-dsection');
  box.append(el('h4', 'dflow-nb-dtitle', title));
  return box;
}

/** A two-column list of label/value lines (values as text). */
function facts(rows: Array<[string, string | null | undefined]>): HTMLElement {
  const dl = el('dl', 'dflow-nb-facts');
  for (const [k, v] of rows) {
    if (v === null || v === undefined || v === '') {
      continue;
    }
    dl.append(el('dt', undefined, k), el('dd', undefined, v));
  }
  return dl;
}

function paramTable(params: IParam[]): HTMLTableElement {
  const table = el('table', 'dflow-nb-params');
  for (const p of params) {
    const tr = el('tr');
    tr.dataset.param = p.name;
    const value = el('td', 'dflow-nb-pvalue');
    value.append(el('code', undefined, p.value + (p.truncated ? ' …' : '')));
    tr.append(
      el('td', 'dflow-nb-pname', p.name),
      el('td', 'dflow-nb-ptype', p.type ?? ''),
      value
    );
    table.append(tr);
  }
  return table;
}

/** The preview of an artifact, built as text, a table, a file list or an image. */
export function renderPreview(
  p: IArtifactPreview,
  rawUrl?: (path?: string) => string,
  openFile?: (path: string) => void
): HTMLElement {
  const box = el('div', 'dflow-nb-preview');
  box.dataset.kind = p.kind;
  if (p.kind === 'image' && rawUrl) {
    const img = el('img', 'dflow-nb-previewimg');
    img.alt = p.name;
    img.src = rawUrl(p.path ?? undefined);
    box.append(img);
  } else if (p.kind === 'csv' && p.table) {
    const table = el('table', 'dflow-nb-csv');
    const head = el('tr');
    p.table.columns.forEach(c => head.append(el('th', undefined, c)));
    table.append(head);
    for (const row of p.table.rows) {
      const tr = el('tr');
      row.forEach(c => tr.append(el('td', undefined, c)));
      table.append(tr);
    }
    box.append(table);
  } else if (p.kind === 'directory' && p.files) {
    const ul = el('ul', 'dflow-nb-files');
    for (const f of p.files) {
      const li = el('li', 'dflow-nb-file', `${f.path}  ${formatBytes(f.size)}`);
      li.dataset.path = f.path;
      if (openFile) {
        activatable(li, () => openFile(f.path), `preview ${f.path}`);
      }
      ul.append(li);
    }
    box.append(ul);
  } else if (p.text !== null && p.text !== undefined) {
    box.append(el('pre', 'dflow-nb-previewtext', p.text));
  } else {
    box.append(el('div', 'dflow-nb-note', `${p.kind}: no preview`));
  }
  if (p.truncated || p.table?.truncated) {
    box.append(
      el(
        'div',
        'dflow-nb-note',
        'preview truncated: download for the whole artifact'
      )
    );
  }
  return box;
}

function artifactList(
  items: IArtifact[],
  source: IArtifactSource
): HTMLElement {
  const ul = el('ul', 'dflow-nb-artifacts');
  for (const a of items) {
    const li = el('li', 'dflow-nb-artifact');
    li.dataset.artifact = a.name;
    li.dataset.kind = a.kind;
    const what = [
      a.kind,
      formatBytes(a.size),
      a.files ? `${a.files} files` : ''
    ]
      .filter(Boolean)
      .join(', ');
    li.append(
      el('span', 'dflow-nb-aname', a.name),
      el('span', 'dflow-nb-ameta', ` ${what} `)
    );
    const preview = a.preview;
    if (preview && source.artifact && PREVIEWABLE.has(a.kind)) {
      const slot = el('div', 'dflow-nb-previewslot');
      const load = (path?: string) => {
        slot.replaceChildren(el('div', 'dflow-nb-note', 'loading…'));
        source.artifact!(preview, path)
          .then(p => {
            const view = renderPreview(
              p,
              sub => source.rawUrl!(preview, sub ?? path),
              load
            );
            if (path) {
              view.prepend(el('div', 'dflow-nb-previewpath', path));
            }
            slot.replaceChildren(view);
          })
          .catch(err =>
            slot.replaceChildren(
              el(
                'div',
                'dflow-nb-note',
                `preview failed: ${err?.message ?? err}`
              )
            )
          );
      };
      const show = button('Preview', 'dflow-nb-previewbtn', () => load());
      li.append(show);
      if (source.rawUrl && a.kind !== 'directory') {
        li.append(
          ' ',
          downloadLink(source.rawUrl(preview), 'Download', a.name)
        );
      }
      li.append(slot);
    } else if (
      preview &&
      source.rawUrl &&
      a.kind !== 'missing' &&
      a.kind !== 'directory'
    ) {
      li.append(downloadLink(source.rawUrl(preview), 'Download', a.name));
    } else if (a.previewData) {
      // the live widget: no server to ask, the kernel sent a small preview along
      const inline = a.previewData;
      const slot = el('div', 'dflow-nb-previewslot');
      li.append(
        button('Preview', 'dflow-nb-previewbtn', () =>
          slot.replaceChildren(renderPreview(inline))
        ),
        slot
      );
    }
    ul.append(li);
  }
  return ul;
}

function ioSection(
  title: string,
  io: { parameters?: IParam[]; artifacts?: IArtifact[] } | undefined,
  source: IArtifactSource,
  extra: Array<[string, string | null | undefined]> = []
): HTMLElement | null {
  const params = io?.parameters ?? [];
  const arts = io?.artifacts ?? [];
  const more = extra.filter(
    ([, v]) => v !== null && v !== undefined && v !== ''
  );
  if (!params.length && !arts.length && !more.length) {
    return null;
  }
  const box = section(title);
  box.classList.add(`dflow-nb-${title.toLowerCase()}`);
  if (params.length) {
    box.append(paramTable(params));
  }
  if (arts.length) {
    box.append(artifactList(arts, source));
  }
  if (more.length) {
    box.append(facts(more));
  }
  return box;
}

/** Render a step's details; `onOpen` opens another node (an attempt) in the same pane. */
export function renderDetails(
  d: INodeDetails,
  source: IArtifactSource,
  onOpen?: (nodeId: string) => void
): HTMLElement {
  const box = el('div', 'dflow-nb-details');
  box.dataset.nodeId = d.id;
  box.dataset.phase = d.phase;
  const head = el('div', 'dflow-nb-dhead');
  const badge = el('span', 'dflow-nb-badge', d.phase);
  badge.style.background = phaseColor(d.phase);
  head.append(el('span', 'dflow-nb-dname', d.displayName), badge);
  if (d.reused) {
    head.append(el('span', 'dflow-nb-reusedtag', 'reused'));
  }
  box.append(head);
  if (d.message) {
    box.append(el('div', 'dflow-nb-dmessage', d.message));
  }
  const summary = section('Summary');
  summary.append(
    facts([
      ['name', d.name],
      ['id', d.id],
      ['type', d.type],
      ['key', d.key],
      ['template', d.templateName],
      [
        'group',
        d.group
          ? `${d.group.name} [${d.group.index ?? '?'} of ${d.group.planned ?? '?'}]`
          : null
      ],
      ['started', formatTime(d.startedAt)],
      ['finished', formatTime(d.finishedAt)],
      [
        'duration',
        d.startedAt ? formatDuration(d.startedAt, d.finishedAt) : null
      ],
      ['progress', d.progress]
    ])
  );
  box.append(summary);
  const inputs = ioSection('Inputs', d.inputs, source);
  const outputs = ioSection('Outputs', d.outputs, source, [
    ['result', d.outputs?.result],
    ['exit code', d.outputs?.exitCode]
  ]);
  for (const part of [inputs, outputs]) {
    if (part) {
      box.append(part);
    }
  }
  if (d.attempts && d.attempts.length) {
    const tries = section(`Attempts (${d.attempts.length})`);
    tries.classList.add('dflow-nb-attempts');
    const ol = el('ol', 'dflow-nb-attemptlist');
    for (const a of d.attempts) {
      const li = el('li', 'dflow-nb-attempt');
      li.dataset.nodeId = a.id;
      li.dataset.phase = a.phase;
      li.append(
        phaseDot(a.phase),
        el(
          'span',
          undefined,
          `${a.displayName} ${a.phase} ${formatDuration(a.startedAt, a.finishedAt)}`
        ),
        el('span', 'dflow-nb-msg', a.message ? ` — ${a.message}` : '')
      );
      if (onOpen) {
        activatable(li, () => onOpen(a.id), `attempt ${a.displayName}`);
      }
      ol.append(li);
    }
    tries.append(ol);
    box.append(tries);
  }
  const record = (
    title: string,
    data: { [key: string]: unknown } | null | undefined
  ) => {
    if (!data || !Object.keys(data).length) {
      return;
    }
    const part = section(title);
    part.classList.add(`dflow-nb-${title.split(' ')[0].toLowerCase()}`);
    part.append(
      facts(
        Object.entries(data).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v)
        ])
      )
    );
    box.append(part);
  };
  record('Executor record', d.executor);
  record('Argo', d.argo);
  return box;
}
