/** Requests to the dflow_nb server extension under /dflow-nb/api/ (Jupyter's own auth). */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IWorkflowBundle, Timestamp } from './model';

/** One row of GET /dflow-nb/api/workflows. */
export interface IWorkflowListItem {
  id: string;
  name: string;
  phase: string;
  message?: string | null;
  createdAt?: Timestamp;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
}

async function request(path: string): Promise<Response> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'dflow-nb', 'api', path);
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = body.message || body.reason || detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new Error(`${response.status} ${detail}`);
  }
  return response;
}

/** The runs in the server's work directory, newest first. */
export async function listWorkflows(): Promise<IWorkflowListItem[]> {
  const body = await (await request('workflows')).json();
  return body.workflows as IWorkflowListItem[];
}

/** The run bundle of one workflow. */
export async function getWorkflow(id: string): Promise<IWorkflowBundle> {
  return (await request(`workflows/${encodeURIComponent(id)}`)).json();
}

/** The log of one step. */
export async function getLog(workflowId: string, nodeId: string): Promise<string> {
  const path = `workflows/${encodeURIComponent(workflowId)}/logs/${encodeURIComponent(nodeId)}`;
  const body = await (await request(path)).json();
  return body.log as string;
}
