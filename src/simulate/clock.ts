/**
 * The virtual clock and its event queue: a binary min-heap ordered by (time, sequence number). The sequence number
 * makes events at the same instant run in the order they were scheduled, so a run is deterministic.
 */

type Action = () => void;

export class EventQueue {
  public now = 0;
  private times: number[] = [];
  private seqs: number[] = [];
  private actions: Action[] = [];
  private seq = 0;

  public get size(): number {
    return this.times.length;
  }

  /** Runs `action` at virtual time `at` (never before now). */
  public at(at: number, action: Action): void {
    const t = at > this.now ? at : this.now;
    const times = this.times;
    let i = times.length;
    times.push(t);
    this.seqs.push(this.seq++);
    this.actions.push(action);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Runs events in order until none is left or the next is after `until`. */
  public run(until: number): void {
    while (this.times.length > 0 && this.times[0] <= until) {
      this.now = this.times[0];
      const action = this.pop();
      action();
    }
  }

  private pop(): Action {
    const top = this.actions[0];
    const last = this.times.length - 1;
    this.swap(0, last);
    this.times.pop();
    this.seqs.pop();
    this.actions.pop();
    const n = this.times.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(r, l) ? r : l;
      if (!this.less(c, i)) break;
      this.swap(i, c);
      i = c;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a];
    const tb = this.times[b];
    return ta < tb || (ta === tb && this.seqs[a] < this.seqs[b]);
  }

  private swap(a: number, b: number): void {
    const t = this.times[a];
    this.times[a] = this.times[b];
    this.times[b] = t;
    const s = this.seqs[a];
    this.seqs[a] = this.seqs[b];
    this.seqs[b] = s;
    const x = this.actions[a];
    this.actions[a] = this.actions[b];
    this.actions[b] = x;
  }
}
