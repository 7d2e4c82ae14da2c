// Room: extension. May touch: vscode only.
// An input box whose validation line shows from the moment it opens. `window.showInputBox` validates the prefilled
// value but shows the result only after the first keystroke, so an Edit box opened without its "Reads as …" line.
import * as vscode from 'vscode';

export type Validation = string | vscode.InputBoxValidationMessage | undefined;

export interface AskTextOptions {
  readonly title: string;
  readonly prompt: string;
  readonly value?: string | undefined;
  /** A string or an Error-severity message blocks Enter; Info and Warning lines only inform. */
  readonly validateInput: (text: string) => Validation;
  readonly ignoreFocusOut?: boolean;
}

function blocksAccept(validation: Validation): boolean {
  if (validation === undefined) return false;
  return typeof validation === 'string' ? validation.length > 0 : validation.severity === vscode.InputBoxValidationSeverity.Error;
}

/** The text the user accepted, or undefined when the box was closed (Escape, focus lost without ignoreFocusOut). */
export function askText(options: AskTextOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = options.title;
    box.prompt = options.prompt;
    box.value = options.value ?? '';
    box.ignoreFocusOut = options.ignoreFocusOut ?? true;
    const validate = (text: string): Validation => {
      const validation = options.validateInput(text);
      box.validationMessage = validation;
      return validation;
    };
    let settled = false;
    const finish = (value: string | undefined) => {
      if (settled) return;
      settled = true;
      for (const subscription of subscriptions) subscription.dispose();
      box.dispose();
      resolve(value);
    };
    const subscriptions = [
      box.onDidChangeValue(validate),
      box.onDidAccept(() => {
        if (!blocksAccept(validate(box.value))) finish(box.value);
      }),
      box.onDidHide(() => finish(undefined)),
    ];
    // A prefilled value says at once how it reads; an empty box keeps its prompt (what to type) until the first
    // keystroke, instead of opening on the error of an empty value.
    if (box.value !== '') validate(box.value);
    box.show();
  });
}
