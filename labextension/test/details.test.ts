/**
 * The node details pane and the reuse editor: values from a step are shown as text (markup in
 * them stays inert), each attempt of a retried step is listed, and the editor sends only what
 * the user changed.
 */
import { describe, expect, it } from 'vitest';

import { INodeDetails, IReusableStep } from '../src/api';
import { renderDetails, renderPreview } from '../src/details';
import { renderReuseEditor } from '../src/reuse';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

const failed: INodeDetails = {
  id: 'wf-s3',
  name: 'wf[0].square(3:3)',
  displayName: 'square(3:3)',
  key: 'square-3',
  type: 'Pod',
  phase: 'Failed',
  templateName: 'square',
  startedAt: 1_700_000_000,
  finishedAt: 1_700_000_004,
  message: `ValueError: ${HOSTILE}`,
  attempts: [
    {
      id: 'wf-s3-0',
      displayName: 'square(3:3)(0)',
      phase: 'Failed',
      message: 'boom'
    },
    {
      id: 'wf-s3-1',
      displayName: 'square(3:3)(1)',
      phase: 'Failed',
      message: 'boom again'
    }
  ],
  executor: { kind: 'slurm', job_id: '4242' },
  inputs: {
    parameters: [{ name: 'x', type: 'float', value: HOSTILE }],
    artifacts: []
  },
  outputs: {
    parameters: [],
    artifacts: [
      {
        name: 'table',
        kind: 'csv',
        size: 1234,
        preview: 'workflows/wf/nodes/wf-s3/artifacts/outputs/table'
      }
    ]
  }
};

describe('renderDetails', () => {
  it('shows message, inputs with types, attempts and the executor record as text', () => {
    const opened: string[] = [];
    const box = renderDetails(failed, {}, id => opened.push(id));
    expect(box.querySelector('.dflow-nb-dmessage')!.textContent).toBe(
      `ValueError: ${HOSTILE}`
    );
    expect(box.querySelector('img')).toBeNull();
    const row = box.querySelector('tr[data-param="x"]')!;
    expect(row.querySelector('.dflow-nb-ptype')!.textContent).toBe('float');
    expect(row.querySelector('code')!.textContent).toBe(HOSTILE);
    const attempts = box.querySelectorAll('.dflow-nb-attempt');
    expect(attempts.length).toBe(2);
    attempts[1].dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(opened).toEqual(['wf-s3-1']);
    expect(box.querySelector('.dflow-nb-executor')!.textContent).toContain(
      '4242'
    );
    expect(
      box.querySelector('.dflow-nb-artifact[data-artifact="table"]')!
        .textContent
    ).toContain('1.2 kB');
  });

  it('offers a preview and a download when a server can give them', () => {
    const box = renderDetails(failed, {
      artifact: async () => ({ name: 'table', kind: 'csv' }),
      rawUrl: p => `/api/${p}?raw=1`
    });
    expect(box.querySelector('.dflow-nb-previewbtn')).not.toBeNull();
    expect(box.querySelector('a.dflow-nb-download')!.getAttribute('href')).toBe(
      '/api/workflows/wf/nodes/wf-s3/artifacts/outputs/table?raw=1'
    );
  });
});

describe('an inline preview (the live widget)', () => {
  it('shows the preview the kernel sent, as text', () => {
    const box = renderDetails(
      {
        ...failed,
        outputs: {
          artifacts: [
            {
              name: 'notes',
              kind: 'text',
              size: 20,
              previewData: { name: 'notes', kind: 'text', text: HOSTILE }
            }
          ]
        }
      },
      {}
    );
    box
      .querySelector<HTMLButtonElement>(
        '.dflow-nb-outputs .dflow-nb-previewbtn'
      )!
      .click();
    expect(box.querySelector('.dflow-nb-previewtext')!.textContent).toBe(
      HOSTILE
    );
    expect(box.querySelector('img')).toBeNull();
  });
});

describe('renderPreview', () => {
  it('builds a CSV table from cells as text', () => {
    const box = renderPreview({
      name: 't',
      kind: 'csv',
      table: {
        columns: ['a', HOSTILE],
        rows: [['1', '<b>2</b>']],
        truncated: true
      }
    });
    expect(box.querySelectorAll('th')[1].textContent).toBe(HOSTILE);
    expect(box.querySelector('td + td')!.textContent).toBe('<b>2</b>');
    expect(box.querySelector('b, img')).toBeNull();
    expect(box.textContent).toContain('preview truncated');
  });

  it('shows an image only through the raw endpoint', () => {
    const box = renderPreview(
      { name: 'plot.png', kind: 'image', path: 'plot.png' },
      p => `/raw?path=${p}`
    );
    expect(box.querySelector('img')!.getAttribute('src')).toBe(
      '/raw?path=plot.png'
    );
  });
});

describe('renderReuseEditor', () => {
  const steps: IReusableStep[] = [
    {
      id: 'a',
      key: 'prep',
      displayName: 'prep',
      phase: 'Succeeded',
      outputs: { parameters: [{ name: 'n', type: 'int', value: '3' }] }
    },
    {
      id: 'b',
      key: 'fit',
      displayName: 'fit',
      phase: 'Succeeded',
      outputs: { parameters: [{ name: 'r', value: '0.5' }] }
    }
  ];

  it('sends the ticked steps and only the outputs that were edited', () => {
    let sent: unknown = null;
    const box = renderReuseEditor(
      steps,
      (ids, outputs) => (sent = { ids, outputs }),
      () => undefined
    );
    const [first, second] = Array.from(
      box.querySelectorAll<HTMLInputElement>('.dflow-nb-reusetick')
    );
    expect(first.checked && second.checked).toBe(true);
    second.checked = false;
    box.querySelector<HTMLInputElement>('input[data-param="n"]')!.value = '7';
    box.querySelector<HTMLButtonElement>('.dflow-nb-reusesubmit')!.click();
    expect(sent).toEqual({ ids: ['a'], outputs: { a: { n: '7' } } });
  });
});
