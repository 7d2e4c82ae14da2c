// Room: extension (host side, no vscode import). May touch: nothing (plain TypeScript).
// What a join that failed says, and which buttons its notification offers: only ones that can help with that failure.

/** Another VS Code window or peer process holds this identity's lock (network/process-lock.ts `DataDirInUse`). */
export class IdentityInUse extends Error {
  override readonly name = 'IdentityInUse';
  /** The pid that holds the lock, and the lock file. */
  readonly owner: number;
  readonly path: string;
  constructor(owner: number, path: string) {
    super(
      `this identity is already joined in another VS Code window or peer process (pid ${owner}): leave the network there ` +
        `("Mutual: Leave Network", or stop that peer), then join here again; both would otherwise publish as the same peer (lock ${path})`,
    );
    this.owner = owner;
    this.path = path;
  }
}

export type JoinFailureChoice = 'Try Again' | 'Open Log' | 'Open Settings';

/**
 * The buttons of a failed join's notification. A held identity lock is no matter of settings (it offered Open
 * Settings, which cannot help: found by a usability pass): the user leaves in the other window, then tries again here.
 */
export function joinFailureChoices(error: unknown): readonly JoinFailureChoice[] {
  return error instanceof IdentityInUse ? ['Try Again'] : ['Open Log', 'Open Settings'];
}

/**
 * The notification's text; a refusal of the settings says "not joining: …" already (not "joining … failed: not
 * joining"). `stillJoined`: a rejoin refused before leaving, while the status bar goes on showing the network (a
 * usability pass read the refusal as being offline).
 */
export function describeJoinFailure(error: unknown, stillJoined = false): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = message.startsWith('not joining: ') ? `Mutual: ${message}` : `Mutual: joining the network failed: ${message}`;
  return stillJoined ? `${text}${/[.!?]$/.test(text) ? '' : '.'} You stay joined with the settings of before.` : text;
}
