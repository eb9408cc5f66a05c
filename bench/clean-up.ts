// What a pass started, undone in reverse order however the pass ended: each step runs even when an
// earlier one failed, and a failure is reported, never thrown over the pass's own outcome.
import { progress } from './progress.js';

export type CleanUpStep = () => unknown;

export async function cleanUp(steps: CleanUpStep[], label: string): Promise<void> {
  for (const step of [...steps].reverse()) {
    await Promise.resolve()
      .then(step)
      .catch((error: unknown) => progress(`${label}: clean-up step failed: ${String(error)}`));
  }
}
