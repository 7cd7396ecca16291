/**
 * "Reuse from here", the notebook's reuse editor in the panel: tick the steps whose outputs a
 * new run takes, edit an output's value, resubmit.
 */
import { IReusableStep } from './api';
import { button, el } from './dom';

/**
 * The reuse editor: a row per reusable step (a checkbox, its outputs as text fields).
 * `submit` gets the ticked ids and the outputs edited from their shown value.
 */
export function renderReuseEditor(
  steps: IReusableStep[],
  submit: (
    ids: string[],
    outputs: { [id: string]: { [param: string]: string } }
  ) => void,
  close: () => void
): HTMLElement {
  const box = el('div', 'dflow-nb-reuseeditor');
  box.append(
    el(
      'div',
      'dflow-nb-dtitle',
      'Reuse from here: tick the steps whose outputs the new run takes'
    )
  );
  if (!steps.length) {
    box.append(
      el(
        'div',
        'dflow-nb-note',
        'no step with a key succeeded: nothing to reuse'
      )
    );
  }
  const rows: Array<{
    step: IReusableStep;
    tick: HTMLInputElement;
    fields: Map<string, [HTMLInputElement, string]>;
  }> = [];
  const list = el('ul', 'dflow-nb-reuselist');
  for (const step of steps) {
    const li = el('li', 'dflow-nb-reusestep');
    li.dataset.nodeId = step.id;
    const label = el('label');
    const tick = el('input');
    tick.type = 'checkbox';
    tick.checked = true;
    tick.className = 'dflow-nb-reusetick';
    label.append(
      tick,
      document.createTextNode(
        ` ${step.displayName}${step.key ? ` (${step.key})` : ''}`
      )
    );
    li.append(label);
    const fields = new Map<string, [HTMLInputElement, string]>();
    for (const p of step.outputs.parameters ?? []) {
      const row = el('label', 'dflow-nb-reuseparam');
      const input = el('input', 'dflow-nb-reusevalue');
      input.value = p.value;
      input.dataset.param = p.name;
      input.setAttribute('aria-label', `${step.displayName} output ${p.name}`);
      row.append(
        el(
          'span',
          'dflow-nb-pname',
          `${p.name}${p.type ? ` (${p.type})` : ''} = `
        ),
        input
      );
      fields.set(p.name, [input, p.value]);
      li.append(row);
    }
    for (const a of step.outputs.artifacts ?? []) {
      li.append(el('div', 'dflow-nb-note', `artifact ${a.name}: reused as is`));
    }
    rows.push({ step, tick, fields });
    list.append(li);
  }
  box.append(list);
  const bar = el('div', 'dflow-nb-reusebar');
  bar.append(
    button('Resubmit reusing the ticked steps', 'dflow-nb-reusesubmit', () => {
      const ids: string[] = [];
      const outputs: { [id: string]: { [param: string]: string } } = {};
      for (const { step, tick, fields } of rows) {
        if (!tick.checked) {
          continue;
        }
        ids.push(step.id);
        fields.forEach(([input, shown], name) => {
          if (input.value !== shown) {
            (outputs[step.id] ??= {})[name] = input.value;
          }
        });
      }
      submit(ids, outputs);
    }),
    button('Cancel', 'dflow-nb-reusecancel', close)
  );
  box.append(bar);
  return box;
}
