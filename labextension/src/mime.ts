/**
 * The MIME renderer for application/vnd.dflow-nb.workflow+json. It is marked safe: it
 * builds its DOM from data: text nodes, and an SVG rebuilt from an allowlist of SVG elements
 * and attributes (sanitize.ts), so untrusted notebooks render it.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { RunClient } from './api';
import { IWorkflowBundle, MIME_TYPE } from './model';
import { layout } from './svg';
import { WorkflowView } from './view';

/** Renders one run bundle (a cell output or a document). */
export class WorkflowRenderer extends Widget implements IRenderMime.IRenderer {
  private view = new WorkflowView({
    source: bundle =>
      new RunClient(bundle.workflow.id, bundle.workflow.source ?? null),
    layout
  });

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('dflow-nb-renderer');
    this.node.appendChild(this.view.node);
  }

  /** Show the bundle of `model` (called again on display updates). */
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    await this.view.update(model.data[MIME_TYPE] as unknown as IWorkflowBundle);
  }

  dispose(): void {
    this.view.dispose();
    super.dispose();
  }
}

/** The factory: safe, preferred over the HTML/SVG/text fallbacks of the same output. */
export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: 0,
  createRenderer: options => new WorkflowRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'dflow-nb:workflow-renderer',
  rendererFactory,
  rank: 0,
  dataType: 'json'
};

export default extension;
