/**
 * dflow_nb's JupyterLab plugin: the Workflows sidebar, a command that opens a run, and a
 * tracker whose panels the layout restorer reopens after a page reload.
 * The MIME renderer is the package's mimeExtension (./mime).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { WorkflowPanel } from './panel';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- the sidebar is shown at start
import { WorkflowsSidebar, panelId } from './sidebar';

/** The command that opens a run by id (and source). */
export const OPEN_COMMAND = 'dflow-nb:open-workflow';

/** Put `text` into a new cell of the notebook in use (a new notebook when none is open). */
async function insertCell(app: JupyterFrontEnd, text: string): Promise<void> {
  const isNotebook = (w: Widget | null | undefined) =>
    Boolean(w && w.hasClass('jp-NotebookPanel'));
  let notebook: any = null;
  for (const w of app.shell.widgets('main')) {
    if (isNotebook(w)) {
      notebook = w; // the last one opened
    }
  }
  let fresh = false;
  if (!notebook) {
    notebook = await app.commands.execute('notebook:create-new', {
      kernelName: 'python3'
    });
    fresh = true;
  }
  await notebook.context?.ready;
  await notebook.revealed;
  app.shell.activateById(notebook.id);
  if (!fresh) {
    await app.commands.execute('notebook:insert-cell-below');
  }
  const cell = notebook.content?.activeCell;
  if (!cell) {
    throw new Error('the notebook has no active cell');
  }
  cell.model.sharedModel.setSource(text);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'dflow-nb:sidebar',
  description: 'The dflow_nb Workflows sidebar',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null) => {
    const tracker = new WidgetTracker<WorkflowPanel>({
      namespace: 'dflow-nb-run'
    });
    const open = (id: string, source: string | null, title: string) =>
      app.commands.execute(OPEN_COMMAND, { id, source, title });
    const host = { open, insertCell: (text: string) => insertCell(app, text) };
    app.commands.addCommand(OPEN_COMMAND, {
      label: 'Open dflow_nb workflow',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            id: { type: 'string', description: 'the run id' },
            source: {
              type: ['string', 'null'],
              description: "where the run lives (a list row's source)"
            },
            title: { type: 'string', description: 'the tab title' }
          },
          required: ['id']
        }
      },
      execute: async args => {
        const id = String(args.id ?? '');
        if (!id) {
          return;
        }
        const source = args.source ? String(args.source) : null;
        let panel = tracker.find(p => p.id === panelId(id, source));
        if (!panel) {
          const { WorkflowPanel } = await import('./panel');
          panel = new WorkflowPanel(
            id,
            source,
            String(args.title ?? args.name ?? id),
            host
          );
          void tracker.add(panel);
          app.shell.add(panel, 'main');
        } else {
          void panel.poll();
        }
        app.shell.activateById(panel.id);
        return panel;
      }
    });
    const sidebar = new WorkflowsSidebar(open);
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
      void restorer.restore(tracker, {
        command: OPEN_COMMAND,
        args: p => ({
          id: p.workflowId,
          source: p.source,
          title: p.title.label
        }),
        name: p => p.id
      });
    }
  }
};

export default plugin;
