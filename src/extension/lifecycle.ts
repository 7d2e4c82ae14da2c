// Room: extension. May touch: vscode.
// A lifecycle base (as in vscode-pull-request-github): everything a component creates is registered here and
// disposed with it, in reverse order.
import type * as vscode from 'vscode';

export abstract class LifecycleDisposable implements vscode.Disposable {
  private readonly disposables: { dispose(): unknown }[] = [];
  private disposed = false;

  protected register<T extends { dispose(): unknown }>(disposable: T): T {
    if (this.disposed) disposable.dispose();
    else this.disposables.push(disposable);
    return disposable;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const disposable of this.disposables.splice(0).reverse()) {
      try {
        disposable.dispose();
      } catch {
        // One failing disposal must not keep the others alive.
      }
    }
  }
}
