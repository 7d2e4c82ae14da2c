// Room: engine. May touch: nothing but timers. Time for the engine comes only through a Scheduler, so tests and
// `mutual simulate --async` run on a virtual clock: deterministic and as fast as the work allows.

export interface Scheduler {
  /** Milliseconds (epoch for the real scheduler, from 0 for a virtual one). */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A virtual clock: timers fire in (time, creation) order when the test advances time. */
export class VirtualScheduler implements Scheduler {
  private time = 0;
  private counter = 0;
  private readonly heap: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { at: this.time + Math.max(0, ms), order: this.counter++, callback, cancelled: false };
    this.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle !== undefined && handle !== null) (handle as Timer).cancelled = true;
  }

  /** Timers still pending (cancelled ones excluded). */
  get pending(): number {
    return this.heap.filter((timer) => !timer.cancelled).length;
  }

  /** Runs every timer due up to now + ms, then sets the clock to now + ms. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let top = this.heap[0]; top !== undefined && top.at <= until; top = this.heap[0]) {
      this.pop();
      if (top.cancelled) continue;
      this.time = Math.max(this.time, top.at);
      top.callback();
    }
    this.time = until;
  }

  /**
   * Runs timers until none is left or `limitMs` of virtual time has passed (bounded: periodic timers never end on
   * their own). Returns the virtual time spent.
   */
  runUntilIdle(limitMs: number, maxTimers = 10_000_000): number {
    const start = this.time;
    let fired = 0;
    for (let top = this.heap[0]; top !== undefined && top.at - start <= limitMs && fired < maxTimers; top = this.heap[0]) {
      this.pop();
      if (top.cancelled) continue;
      this.time = Math.max(this.time, top.at);
      fired++;
      top.callback();
    }
    return this.time - start;
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

/** Debounce on a scheduler: the call runs once, `ms` after the last request (a function: drawn anew per request). */
export function debounced(scheduler: Scheduler, ms: number | (() => number), callback: () => void): { request(): void; flush(): void; cancel(): void } {
  let handle: unknown;
  let waiting = false;
  return {
    request() {
      if (waiting) scheduler.clearTimeout(handle);
      waiting = true;
      handle = scheduler.setTimeout(() => {
        waiting = false;
        callback();
      }, typeof ms === 'number' ? ms : ms());
    },
    flush() {
      if (!waiting) return;
      scheduler.clearTimeout(handle);
      waiting = false;
      callback();
    },
    cancel() {
      if (waiting) scheduler.clearTimeout(handle);
      waiting = false;
    },
  };
}

/**
 * Runs `callback` once, `ms` after the first request of a burst; requests while one is pending join it. Unlike a
 * debounce it cannot be postponed forever by requests that keep coming.
 */
export function throttled(scheduler: Scheduler, ms: number, callback: () => void): { request(): void; cancel(): void } {
  let handle: unknown;
  let waiting = false;
  return {
    request() {
      if (waiting) return;
      waiting = true;
      handle = scheduler.setTimeout(() => {
        waiting = false;
        callback();
      }, ms);
    },
    cancel() {
      if (waiting) scheduler.clearTimeout(handle);
      waiting = false;
    },
  };
}
