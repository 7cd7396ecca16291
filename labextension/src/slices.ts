/**
 * A collapsed fan-out opened as a list of its slices: Failed first (the server's order),
 * filtered by phase, searched by key or item, a page at a time; a slice opens its own details
 * and log.
 */
import { IGroupPage, IGroupQuery } from './api';
import { activatable, el, phaseDot, renderPager } from './dom';
import { PHASE_ORDER, countsText, formatDuration } from './model';

/** Slices per page. */
export const SLICE_PAGE = 50;

/** Reads a page of a group's slices. */
export type GroupReader = (
  groupId: string,
  query: IGroupQuery
) => Promise<IGroupPage>;

/** The slice list of one group. */
export class SliceList {
  readonly node = el('div', 'dflow-nb-slices');
  private title = el('div', 'dflow-nb-slicestitle');
  private phase = el('select', 'dflow-nb-slicefilter');
  private search = el('input', 'dflow-nb-slicesearch');
  private list = el('ol', 'dflow-nb-slicelist');
  private pager = el('div', 'dflow-nb-pager');
  private query: IGroupQuery = { offset: 0, limit: SLICE_PAGE };
  private groupId: string | null = null;
  private token = 0;
  private timer: number | null = null;

  constructor(
    private read: GroupReader,
    private onOpen: (sliceId: string, label: string) => void
  ) {
    this.phase.setAttribute('aria-label', 'filter slices by phase');
    for (const p of ['', ...PHASE_ORDER]) {
      const opt = el('option', undefined, p || 'all phases');
      opt.value = p;
      this.phase.append(opt);
    }
    this.phase.addEventListener('change', () =>
      this.requery({ phase: this.phase.value })
    );
    this.search.type = 'search';
    this.search.placeholder = 'search key or item';
    this.search.setAttribute('aria-label', 'search slices by key or item');
    this.search.addEventListener('input', () => {
      if (this.timer !== null) {
        window.clearTimeout(this.timer);
      }
      this.timer = window.setTimeout(
        () => this.requery({ search: this.search.value }),
        200
      );
    });
    const bar = el('div', 'dflow-nb-slicebar');
    bar.append(this.phase, this.search);
    this.node.append(this.title, bar, this.list, this.pager);
    this.node.hidden = true;
  }

  /** Show the slices of `groupId` (the filters are kept when it is the same group). */
  open(groupId: string): Promise<void> {
    if (groupId !== this.groupId) {
      this.groupId = groupId;
      this.query = { offset: 0, limit: SLICE_PAGE };
      this.phase.value = '';
      this.search.value = '';
    }
    this.node.hidden = false;
    this.node.dataset.groupId = groupId;
    return this.load();
  }

  close(): void {
    this.groupId = null;
    this.node.hidden = true;
  }

  /** Reload the current page (a running group changes). */
  refresh(): Promise<void> {
    return this.groupId ? this.load() : Promise.resolve();
  }

  private requery(change: IGroupQuery): void {
    this.query = { ...this.query, ...change, offset: 0 };
    void this.load();
  }

  private async load(): Promise<void> {
    const groupId = this.groupId;
    if (!groupId) {
      return;
    }
    const token = ++this.token;
    let page: IGroupPage;
    try {
      page = await this.read(groupId, this.query);
    } catch (err) {
      if (token === this.token) {
        this.list.replaceChildren(
          el(
            'li',
            'dflow-nb-note',
            `slices unavailable: ${(err as Error).message ?? err}`
          )
        );
      }
      return;
    }
    if (token !== this.token) {
      return;
    }
    this.render(page);
  }

  private render(page: IGroupPage): void {
    const g = page.group;
    const counts = countsText(g.phases);
    this.title.textContent = `${g.name}: ${g.planned ?? g.count} slices (${counts})`;
    const hadFocus = this.list.contains(document.activeElement);
    this.list.replaceChildren();
    this.list.start = page.offset + 1;
    for (const s of page.items) {
      const li = el('li', 'dflow-nb-slice');
      li.dataset.nodeId = s.id;
      li.dataset.phase = s.phase;
      li.append(
        phaseDot(s.phase),
        el('span', 'dflow-nb-slicename', s.displayName),
        el('span', 'dflow-nb-slicekey', s.key ? ` ${s.key}` : ''),
        el(
          'span',
          'dflow-nb-slicephase',
          ` ${s.phase} ${formatDuration(s.startedAt, s.finishedAt)}`
        ),
        el('span', 'dflow-nb-msg', s.message ? ` — ${s.message}` : '')
      );
      activatable(
        li,
        () => this.onOpen(s.id, s.displayName),
        `${s.displayName}: ${s.phase}`
      );
      this.list.append(li);
    }
    if (!page.items.length) {
      this.list.append(el('li', 'dflow-nb-note', 'no slice matches'));
    }
    if (hadFocus) {
      (this.list.firstElementChild as HTMLElement | null)?.focus();
    }
    renderPager(this.pager, page, page.items.length, offset => {
      this.query = { ...this.query, offset };
      void this.load();
    });
  }
}
