/**
 * Runs async jobs one at a time, in call order. The frame loop and the console share one pipeline
 * (its model sessions reuse input buffers), so their calls go through one queue.
 */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => {});
    return next;
  }
}
