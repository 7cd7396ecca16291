/**
 * dflow_nb's JupyterLab plugin: the Workflows sidebar and a command that opens a run.
 * The MIME renderer is the package's mimeExtension (./mime).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { WorkflowPanel, WorkflowsSidebar } from './sidebar';

/** The command that opens a run by id. */
export const OPEN_COMMAND = 'dflow-nb:open-workflow';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'dflow-nb:sidebar',
  description: 'The dflow_nb Workflows sidebar',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null) => {
    const panels = new Map<string, WorkflowPanel>();
    app.commands.addCommand(OPEN_COMMAND, {
      label: 'Open dflow_nb workflow',
      execute: args => {
        const id = String(args.id ?? '');
        if (!id) {
          return;
        }
        let panel = panels.get(id);
        if (!panel || panel.isDisposed) {
          panel = new WorkflowPanel(id, String(args.name ?? id));
          panels.set(id, panel);
          app.shell.add(panel, 'main');
        } else {
          void panel.poll();
        }
        app.shell.activateById(panel.id);
      }
    });
    const sidebar = new WorkflowsSidebar((id, name) =>
      app.commands.execute(OPEN_COMMAND, { id, name })
    );
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
  }
};

export default plugin;
