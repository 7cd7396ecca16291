/**
 * Requests to the dflow_nb server extension under /dflow-nb/api/ (Jupyter's own auth, XSRF on
 * POST/DELETE through ServerConnection) and the payload types of /work/notes' view contract.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IStepSpan,
  ITimeline,
  IWorkflowBundle,
  IWorkflowSummary,
  Timestamp
} from './model';

/** One row of GET /dflow-nb/api/workflows. */
export type IWorkflowListItem = IWorkflowSummary;

/** A page of the workflow list and where its runs come from. */
export interface IWorkflowPage {
  workflows: IWorkflowListItem[];
  total: number;
  offset: number;
  limit: number;
  sources?: Array<{
    source: string;
    kind: string;
    runs?: number;
    error?: string | null;
  }>;
}

/** What the sidebar asks the list for. */
export interface IListQuery {
  phase?: string[];
  name?: string;
  label?: string;
  search?: string;
  sort?: string;
  offset?: number;
  limit?: number;
}

/** A parameter as the views show it (decoded, plain text). */
export interface IParam {
  name: string;
  type?: string | null;
  value: string;
  truncated?: boolean;
}

/** An artifact of a step: size, kind, and the endpoint of its preview. */
export interface IArtifact {
  name: string;
  size?: number | null;
  files?: number | null;
  kind: string;
  preview?: string | null;
  /** A small preview inline (the live widget's details; no server to ask). */
  previewData?: IArtifactPreview | null;
}

/** One attempt of a retried step. */
export interface IAttempt extends IStepSpan {
  message?: string | null;
}

/** GET workflows/<id>/nodes/<node>: everything the details pane shows. */
export interface INodeDetails {
  id: string;
  name: string;
  displayName: string;
  key?: string | null;
  type: string;
  phase: string;
  templateName?: string | null;
  parent?: string | null;
  boundaryID?: string | null;
  group?: {
    id: string;
    name: string;
    planned?: number | null;
    index?: number | null;
  } | null;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
  duration?: number | null;
  message?: string | null;
  progress?: string | null;
  attempts?: IAttempt[];
  executor?: { [key: string]: unknown } | null;
  argo?: { [key: string]: string | null } | null;
  reused?: boolean;
  inputs?: { parameters?: IParam[]; artifacts?: IArtifact[] };
  outputs?: {
    parameters?: IParam[];
    artifacts?: IArtifact[];
    result?: string | null;
    exitCode?: string | null;
  };
}

/** One slice of a collapsed fan-out. */
export interface ISlice extends IStepSpan {
  message?: string | null;
  index?: number | null;
}

/** GET workflows/<id>/groups/<group>: a page of a fan-out's slices, Failed first. */
export interface IGroupPage {
  group: {
    id: string;
    name: string;
    planned?: number | null;
    count: number;
    phases: { [phase: string]: number };
  };
  items: ISlice[];
  total: number;
  offset: number;
  limit: number;
}

/** What the slice list asks for. */
export interface IGroupQuery {
  phase?: string;
  search?: string;
  offset?: number;
  limit?: number;
}

/** GET workflows/<id>/logs/<node>: a chunk of a step's log. */
export interface ILogChunk {
  log: string;
  offset?: number;
  next?: number;
  size?: number;
  truncated?: boolean;
  done?: boolean;
  matches?: Array<{ line: number; text: string }> | null;
  phase?: string;
}

/** What the log pane asks for. */
export interface ILogQuery {
  offset?: number;
  search?: string;
}

/** GET .../artifacts/<side>/<name>: a preview of an artifact. */
export interface IArtifactPreview {
  name: string;
  kind: string;
  size?: number | null;
  truncated?: boolean;
  path?: string | null;
  text?: string | null;
  table?: { columns: string[]; rows: string[][]; truncated?: boolean } | null;
  files?: Array<{ path: string; size?: number | null; kind?: string }> | null;
  contentType?: string | null;
}

/** POST workflows/<id>/actions/<action>: what happened. */
export interface IActionResult {
  ok: boolean;
  action: string;
  id: string;
  source?: string | null;
  message?: string | null;
}

/** A step the reuse editor offers (Succeeded, with a key) and its outputs. */
export interface IReusableStep {
  id: string;
  key?: string | null;
  displayName: string;
  phase: string;
  outputs: { parameters?: IParam[]; artifacts?: IArtifact[] };
}

/** The URL of an API path (relative to /dflow-nb/api/) with its query. */
export function apiUrl(
  path: string,
  query: { [key: string]: unknown } = {}
): string {
  const settings = ServerConnection.makeSettings();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    for (const v of Array.isArray(value) ? [value.join(',')] : [value]) {
      params.append(key, String(v));
    }
  }
  const qs = params.toString();
  return (
    URLExt.join(settings.baseUrl, 'dflow-nb', 'api', path) +
    (qs ? `?${qs}` : '')
  );
}

async function request(
  path: string,
  query: { [key: string]: unknown } = {},
  init: RequestInit = {}
): Promise<any> {
  const settings = ServerConnection.makeSettings();
  const response = await ServerConnection.makeRequest(
    apiUrl(path, query),
    init,
    settings
  );
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
  return response.json();
}

const enc = encodeURIComponent;

/** A page of runs (every work directory the server sees, and its Argo server). */
export function listWorkflows(query: IListQuery = {}): Promise<IWorkflowPage> {
  return request('workflows', { ...query });
}

/** The client of one run: every request carries the run's `source`. */
export class RunClient {
  constructor(
    readonly id: string,
    readonly source: string | null = null
  ) {}

  private path(...parts: string[]): string {
    return ['workflows', enc(this.id), ...parts.map(enc)].join('/');
  }

  /** A path the server handed out (a preview or log endpoint), with this run's source. */
  url(path: string, query: { [key: string]: unknown } = {}): string {
    return apiUrl(path, { ...query, source: this.source });
  }

  bundle(): Promise<IWorkflowBundle> {
    return request(this.path(), { source: this.source });
  }

  details(nodeId: string): Promise<INodeDetails> {
    return request(this.path('nodes', nodeId), { source: this.source });
  }

  group(groupId: string, query: IGroupQuery): Promise<IGroupPage> {
    return request(this.path('groups', groupId), {
      ...query,
      source: this.source
    });
  }

  timeline(): Promise<ITimeline> {
    return request(this.path('timeline'), { source: this.source });
  }

  log(nodeId: string, query: ILogQuery = {}): Promise<ILogChunk> {
    return request(this.path('logs', nodeId), {
      ...query,
      source: this.source
    });
  }

  logDownloadUrl(nodeId: string): string {
    return this.url(this.path('logs', nodeId), { download: 1 });
  }

  /** An artifact's preview (`preview` is the endpoint the details gave). */
  artifact(preview: string, path?: string): Promise<IArtifactPreview> {
    return request(preview, { source: this.source, path });
  }

  rawUrl(preview: string, path?: string): string {
    return this.url(preview, { raw: 1, path });
  }

  act(action: string, body?: unknown): Promise<IActionResult> {
    return request(
      this.path('actions', action),
      { source: this.source },
      {
        method: 'POST',
        body: body === undefined ? undefined : JSON.stringify(body)
      }
    );
  }

  remove(): Promise<{ deleted: string }> {
    return request(this.path(), { source: this.source }, { method: 'DELETE' });
  }

  reusable(): Promise<{ steps: IReusableStep[] }> {
    return request(this.path('reusable'), { source: this.source });
  }
}
