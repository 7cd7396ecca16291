/**
 * A step's log: followed while the step runs (each poll asks only for what was appended),
 * searched on the server (matching lines of the whole log), downloaded whole.
 */
import { ILogChunk, ILogQuery } from './api';
import { downloadLink, el } from './dom';

/** Reads a chunk of a step's log. */
export interface ILogSource {
  log(nodeId: string, query?: ILogQuery): Promise<ILogChunk>;
  logDownloadUrl?(nodeId: string): string;
}

/** Most characters kept on the page (the head is dropped beyond it; download has it all). */
export const MAX_LOG_CHARS = 2_000_000;
const FOLLOW_MS = 1000;

/** The log pane of one step at a time. */
export class LogPane {
  readonly node = el('div', 'dflow-nb-logpane');
  private title = el('div', 'dflow-nb-logtitle');
  private bar = el('div', 'dflow-nb-logbar');
  private follow = el('input');
  private search = el('input', 'dflow-nb-logsearch');
  private matches = el('ul', 'dflow-nb-logmatches');
  private text = el('pre', 'dflow-nb-log');
  private download = el('span', 'dflow-nb-logdownload');
  private nodeId: string | null = null;
  private next: number | undefined = undefined;
  private done = false;
  private timer: number | null = null;
  private token = 0;
  private searchTimer: number | null = null;

  constructor(private source: ILogSource) {
    this.follow.type = 'checkbox';
    this.follow.checked = true;
    this.follow.className = 'dflow-nb-logfollow';
    const followLabel = el('label', 'dflow-nb-logfollowlabel');
    followLabel.append(this.follow, document.createTextNode(' follow'));
    this.follow.addEventListener('change', () => this.schedule());
    this.search.type = 'search';
    this.search.placeholder = 'search the log';
    this.search.setAttribute('aria-label', 'search the log');
    this.search.addEventListener('input', () => {
      if (this.searchTimer !== null) {
        window.clearTimeout(this.searchTimer);
      }
      this.searchTimer = window.setTimeout(() => void this.runSearch(), 250);
    });
    this.bar.append(followLabel, this.search, this.download);
    this.text.tabIndex = 0;
    this.node.append(this.title, this.bar, this.matches, this.text);
    this.node.hidden = true;
  }

  /** Show the log of `nodeId` (`label` names the step). */
  open(nodeId: string, label: string): void {
    this.stop();
    this.token++;
    this.nodeId = nodeId;
    this.next = undefined;
    this.done = false;
    this.node.hidden = false;
    this.node.dataset.nodeId = nodeId;
    delete this.node.dataset.loaded;
    this.title.textContent = `Log of ${label}`;
    this.text.textContent = '';
    this.matches.replaceChildren();
    this.search.value = '';
    this.download.replaceChildren();
    if (this.source.logDownloadUrl) {
      this.download.append(
        downloadLink(
          this.source.logDownloadUrl(nodeId),
          'Download',
          `${label}.log`
        )
      );
    }
    void this.poll();
  }

  /** Show a note instead of a log (a group has none of its own). */
  note(label: string, text: string): void {
    this.stop();
    this.token++;
    this.nodeId = null;
    this.node.hidden = false;
    this.title.textContent = label;
    this.text.textContent = text;
    this.matches.replaceChildren();
    this.download.replaceChildren();
  }

  /** The step may have written more: poll now if the log is not complete. */
  poke(): void {
    if (this.nodeId && !this.done && this.timer === null) {
      void this.poll();
    }
  }

  stop(): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    this.stop();
    if (this.nodeId && !this.done && this.follow.checked) {
      this.timer = window.setTimeout(() => {
        this.timer = null;
        void this.poll();
      }, FOLLOW_MS);
    }
  }

  private async poll(): Promise<void> {
    const nodeId = this.nodeId;
    if (!nodeId) {
      return;
    }
    const token = this.token;
    let chunk: ILogChunk;
    try {
      chunk = await this.source.log(
        nodeId,
        this.next === undefined ? {} : { offset: this.next }
      );
    } catch (err) {
      if (token === this.token) {
        this.text.textContent = `log unavailable: ${(err as Error).message ?? err}`;
        this.done = true;
      }
      return;
    }
    if (token !== this.token) {
      return;
    }
    const atBottom =
      this.text.scrollHeight - this.text.scrollTop - this.text.clientHeight <
      24;
    if (this.next === undefined) {
      const head = chunk.truncated
        ? '… (earlier lines: download the whole log)\n'
        : '';
      this.text.textContent = head + (chunk.log || '');
    } else if (chunk.log) {
      let all = (this.text.textContent ?? '') + chunk.log;
      if (all.length > MAX_LOG_CHARS) {
        all = all.slice(all.length - MAX_LOG_CHARS);
      }
      this.text.textContent = all;
    }
    if (!this.text.textContent) {
      this.text.textContent =
        chunk.done === false ? '(no output yet)' : '(empty log)';
    }
    this.next = chunk.next ?? chunk.size ?? this.next;
    // an old server sends no offsets: then the log is read whole, once
    this.done = chunk.done ?? chunk.next === undefined;
    this.node.dataset.loaded = 'true';
    this.node.dataset.done = String(this.done);
    if (this.follow.checked && (atBottom || this.next === chunk.next)) {
      this.text.scrollTop = this.text.scrollHeight;
    }
    this.schedule();
  }

  private async runSearch(): Promise<void> {
    const nodeId = this.nodeId;
    const q = this.search.value.trim();
    this.matches.replaceChildren();
    if (!nodeId || !q) {
      return;
    }
    const token = this.token;
    try {
      const chunk = await this.source.log(nodeId, { search: q });
      if (token !== this.token || q !== this.search.value.trim()) {
        return;
      }
      const found = chunk.matches ?? [];
      this.matches.dataset.count = String(found.length);
      if (!found.length) {
        this.matches.append(el('li', 'dflow-nb-note', 'no line matches'));
      }
      for (const m of found) {
        const li = el('li', 'dflow-nb-logmatch');
        li.append(
          el('span', 'dflow-nb-lineno', `${m.line}: `),
          el('span', undefined, m.text)
        );
        this.matches.append(li);
      }
    } catch (err) {
      this.matches.append(
        el(
          'li',
          'dflow-nb-note',
          `search failed: ${(err as Error).message ?? err}`
        )
      );
    }
  }
}
