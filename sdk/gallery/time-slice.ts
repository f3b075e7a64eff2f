/**
 * Cooperative time slicing for long main-thread loops: `if (slice.due()) await slice.yield();`
 * inside the loop gives the event loop (a frame loop, timers, I/O) a turn every `budgetMs`.
 */

/** Main-thread work between event-loop turns while preparing or adopting a bulk change (or a built index). */
export const SLICE_MS = 8;

export class TimeSlice {
  readonly budgetMs: number;
  #start = performance.now();
  #maxHeld = 0;

  constructor(budgetMs: number) {
    this.budgetMs = budgetMs;
  }

  due(): boolean {
    return performance.now() - this.#start >= this.budgetMs;
  }

  /** Starts a new slice after the caller awaited something else (the wait is not a stretch held). */
  restart(): void {
    this.#start = performance.now();
  }

  /** Longest stretch between two turns so far (wall time: includes being descheduled). */
  get maxHeldMs(): number {
    return Math.max(this.#maxHeld, performance.now() - this.#start);
  }

  async yield(): Promise<void> {
    this.#maxHeld = Math.max(this.#maxHeld, performance.now() - this.#start);
    await new Promise((resolve) => setImmediate(resolve));
    this.#start = performance.now();
  }
}
