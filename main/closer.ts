/**
 * Cleanups in the reverse order of what they undo, run once: the composition root registers each
 * part's cleanup as the part comes up, so a failure half-way and a normal close undo the same
 * things. Every step runs even when an earlier one throws; the first error is rethrown.
 */
export class Closer {
  private readonly steps: Array<() => unknown> = [];
  private closing: Promise<void> | undefined;

  /** Registers `step` to run before everything registered earlier. */
  defer(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Registers the cleanup of `part` and hands the part back. */
  own<T>(part: T, close: (part: T) => unknown): T {
    this.defer(() => close(part));
    return part;
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      const failures: unknown[] = [];
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step();
        } catch (err) {
          failures.push(err);
        }
      }
      if (failures.length) throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
    })());
  }
}
