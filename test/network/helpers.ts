// Room: test support (network). Bounded polling and outgoing records for the libp2p tests.

/** Polls `condition` every 25 ms; fails with `what` after the timeout. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An outgoing state record of `author` (the network signs it on publish). */
export function state(sequence: number, author: string, displayName: string) {
  return { kind: 'state' as const, sequence, clock: { [author]: sequence }, issuedAt: new Date().toISOString(), payload: { displayName, capacities: [], needs: [] } };
}

/** Resolves after `ms` (bounded waits in tests). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
