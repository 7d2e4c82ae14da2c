// Room: extension. May touch: vscode, ./service, ./settings (address checks), network/addresses (dial wording), ./slot-text, ./input-box, protocol (schemas).
// The command palette: every command in category "Mutual". Inputs are validated with the protocol schemas while the
// user types; a rejected input says why and changes nothing. Commands also accept their input as arguments (tests,
// keybindings, the webview), validated with the same schemas.
import * as vscode from 'vscode';
import { z } from 'zod';
import { PeerId, RecognitionWeights, Slot, SlotId, SlotType, type State } from '../protocol/schemas.ts';
import { describeFirstIssue } from '../protocol/validate.ts';
import type { MutualService, SlotKind } from './service.ts';
import { askText } from './input-box.ts';
import { describeDialFailure, peerIdOfAddress } from '../network/addresses.ts';
import { multiaddrSchema } from './settings.ts';
import { peerIdEnding } from './view-model.ts';
import { describeSlot, parseLocation, parseWindow, QuantityWithUnit, quantityProblem, readingOfLocation, readingOfWindow, sameUnit, slotAnswers, slotFromAnswers, splitQuantity, toNumber, toSkills, toType, windowIsOver, withUnit, zeroQuantityWarning, type ParsedText, type SlotAnswers } from './slot-text.ts';

/** Every command the extension contributes (scripts/check-commands.ts compares this with package.json). */
export const COMMANDS = {
  showPanel: 'mutual.showPanel',
  declareCapacity: 'mutual.declareCapacity',
  declareNeed: 'mutual.declareNeed',
  editDeclaration: 'mutual.editDeclaration',
  removeDeclaration: 'mutual.removeDeclaration',
  setRecognition: 'mutual.setRecognition',
  connectToPeer: 'mutual.connectToPeer',
  copyMyAddress: 'mutual.copyMyAddress',
  joinNetwork: 'mutual.joinNetwork',
  leaveNetwork: 'mutual.leaveNetwork',
  exportState: 'mutual.exportState',
  logProtocolState: 'mutual.debug.logProtocolState',
  computeResults: 'mutual.debug.computeResults',
  computeStabilityFactor: 'mutual.debug.computeStabilityFactor',
  inspectCausalClocks: 'mutual.debug.inspectCausalClocks',
  forcePhaseAdvancement: 'mutual.debug.forcePhaseAdvancement',
} as const;

/** The scheme of the read-only documents the debug commands open. */
export const DEBUG_SCHEME = 'mutual-debug';

export interface CommandContext {
  readonly service: MutualService;
  readonly log: vscode.LogOutputChannel;
  readonly showPanel: () => void;
  readonly join: () => Promise<void>;
}

/** The first Zod issue, phrased for an input box. */
export function describeIssue(error: z.ZodError): string {
  return describeFirstIssue(error);
}

function validator<T>(schema: z.ZodType<T>, transform: (text: string) => unknown = (text) => text) {
  return (text: string): string | undefined => {
    const parsed = schema.safeParse(transform(text));
    return parsed.success ? undefined : describeIssue(parsed.error);
  };
}

/** Asks for a slot step by step; undefined when the user cancels. */
async function promptSlot(kind: SlotKind, existing?: Slot, usedIds: ReadonlySet<string> = new Set(), unitsInUse: (type: string) => readonly string[] = () => []): Promise<Slot | undefined> {
  const noun = kind === 'capacity' ? 'capacity' : 'need';
  // The user's zone as the extension host sees it; on a remote host it may not be the user's, so the prompt names it.
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // What each Edit step shows. An answer left as shown keeps the field as declared (slotFromAnswers), so it is never
  // refused: a declared value may have no text that reads back as it (a skill holding a comma).
  const shown = existing === undefined ? undefined : slotAnswers(existing, timeZone);
  const unchanged = (key: keyof SlotAnswers, text: string): boolean => shown !== undefined && shown[key] === text;
  // Edit skips the id: its steps count from the type.
  const heading = (step: number) => (existing === undefined ? `Declare ${noun} (${step}/6)` : `Edit ${noun} "${existing.id}" (${step - 1}/5)`);
  const validateId = validator(SlotId);
  const id =
    existing?.id ??
    (await askText({
      title: heading(1),
      prompt: `Id of this ${noun}, e.g. review-hours`,
      // Slot ids are unique among my capacities and needs (spec 2); an edit goes through Edit Declaration.
      validateInput: (text) => validateId(text) ?? (usedIds.has(text) ? `"${text}" is already declared: use "Mutual: Edit Declaration" to change it` : undefined),
      ignoreFocusOut: true,
    }));
  if (id === undefined) return undefined;
  // Types are lower case on the wire (spec 2); "Review" means review.
  const typeText = await askText({ title: heading(2), prompt: 'Type (what kind of work), e.g. review, pairing, on-call', value: shown?.type, validateInput: (text) => (unchanged('type', text) ? undefined : validator(SlotType, toType)(text)), ignoreFocusOut: true });
  if (typeText === undefined) return undefined;
  // The type as it will be declared, for the units hint; kept as declared when the answer is left as shown.
  const type = unchanged('type', typeText) ? existing!.type : toType(typeText);
  const amount = await askText({
    title: heading(3),
    prompt: 'Quantity and its unit, e.g. "4 hours" or "2 sessions" (the unit is optional)',
    value: shown?.amount,
    validateInput: (text): string | vscode.InputBoxValidationMessage | undefined => {
      const problem = unchanged('amount', text) ? undefined : (quantityProblem(text) ?? validator(QuantityWithUnit, splitQuantity)(text));
      if (problem !== undefined) return problem;
      // 0 is legal (the schema's minimum) but gives or asks nothing: said, not refused (a usability pass found it silent).
      const zero = zeroQuantityWarning(kind, text);
      if (zero !== undefined) return { message: zero, severity: vscode.InputBoxValidationSeverity.Warning };
      // Units are labels (spec 2): numbers are compared as they are, so a need in days against capacity in hours
      // reads 0.5 hours as 0.5 days. Say which units the other side uses, while typing.
      const typed = (splitQuantity(text) as { unit?: string }).unit ?? '';
      const theirs = unitsInUse(type);
      if (theirs.length === 0 || theirs.some((unit) => sameUnit(unit, typed))) return undefined;
      const other = kind === 'need' ? 'capacities' : 'needs';
      return { message: `Teammates' ${other} of "${type}" count in ${theirs.map((unit) => (unit === '' ? 'no unit' : unit)).join(', ')}: amounts are compared as plain numbers, so use the same unit.`, severity: vscode.InputBoxValidationSeverity.Info };
    },
    ignoreFocusOut: true,
  });
  if (amount === undefined) return undefined;
  const skills = await askText({
    title: heading(4),
    prompt: kind === 'capacity' ? 'Skills you bring, comma separated (optional)' : 'Skills required, comma separated (optional)',
    value: shown?.skills,
    validateInput: (text): string | vscode.InputBoxValidationMessage | undefined => {
      if (unchanged('skills', text)) return undefined;
      const problem = validator(Slot.shape.skills, toSkills)(text);
      if (problem !== undefined) return problem;
      // A space does not separate skills ("rust go" is one skill, which no capacity's "rust" covers; a usability pass).
      const spaced = toSkills(text).find((skill) => /\s/.test(skill));
      return spaced === undefined ? undefined : { message: `"${spaced}" is one skill; separate skills with commas (${spaced.split(/\s+/).join(', ')}) if you meant several.`, severity: vscode.InputBoxValidationSeverity.Info };
    },
    ignoreFocusOut: true,
  });
  if (skills === undefined) return undefined;
  const when = await askText({
    title: heading(5),
    prompt: `When (optional; empty: any time). Weekly "mon-fri 09:00-12:00" or once "2026-12-01 14:00-16:00"; times in ${timeZone} unless you add a zone ("… Europe/Berlin")`,
    value: shown?.when,
    validateInput: (text) => {
      const parsed = unchanged('when', text) ? { ok: true as const, value: existing!.window } : parseWindow(text, timeZone);
      const message = feedback(text, parsed, (window) => `Reads as ${readingOfWindow(window, Date.now())}.`);
      // Over, it still takes part (an info line let a usability pass declare a past need that drew capacity).
      if (parsed.ok && windowIsOver(parsed.value, Date.now())) {
        return { message: `${message?.message ?? ''} It still counts in the allocation (windows are matched with each other, not with the clock): remove it once it is over.`, severity: vscode.InputBoxValidationSeverity.Warning };
      }
      return message;
    },
    ignoreFocusOut: true,
  });
  if (when === undefined) return undefined;
  const where = await askText({
    title: heading(6),
    prompt: 'Where (optional; empty: anywhere): "remote", a city ("Berlin, DE") or coordinates ("52.52, 13.40"); several joined with ";"',
    value: shown?.where,
    validateInput: (text) => feedback(text, unchanged('where', text) ? { ok: true, value: existing!.location } : parseLocation(text), (location) => `Reads as ${readingOfLocation(location)}.`),
    ignoreFocusOut: true,
  });
  if (where === undefined) return undefined;
  return slotFromAnswers({ id, type: typeText, amount, skills, when, where }, timeZone, existing);
}

/**
 * While typing: why the text does not read (blocking), else how it reads (an information line, not blocking). Empty
 * text gets no line: the line would take the place of the prompt, which says what empty means and how to write a value.
 */
function feedback<T>(text: string, parsed: ParsedText<T>, reading: (value: T | undefined) => string): vscode.InputBoxValidationMessage | undefined {
  if (text.trim() === '' && parsed.ok) return undefined;
  if (!parsed.ok) return { message: parsed.problem, severity: vscode.InputBoxValidationSeverity.Error };
  return { message: reading(parsed.value), severity: vscode.InputBoxValidationSeverity.Info };
}

async function pickDeclaration(state: State, placeHolder: string): Promise<{ kind: SlotKind; slot: Slot } | undefined> {
  const items = [
    ...state.capacities.map((slot) => ({ label: slot.id, description: `capacity · ${describeSlot(slot)}`, slotKind: 'capacity' as const, slot })),
    ...state.needs.map((slot) => ({ label: slot.id, description: `need · ${describeSlot(slot)}`, slotKind: 'need' as const, slot })),
  ];
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Mutual: you have not declared any capacity or need yet.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder });
  return picked && { kind: picked.slotKind, slot: picked.slot };
}

const DeclarationArgument = z.object({ kind: z.enum(['capacity', 'need']), id: SlotId });
/** `{ peer, weight }` sets the weight; `{ peer }` alone (a click in the Peers view, `fromView`) asks for it. */
const RecognitionArgument = z.object({ peer: PeerId, weight: RecognitionWeights.valueType.optional(), fromView: z.literal(true).optional() });

/** What a Peers tree row's context menu passes: the row's element (views.ts), whose peer the command is about. */
const PeersTreeRow = z.object({ kind: z.literal('peer'), peer: z.object({ id: PeerId }) });
/** A Peers tree row's element read as a click on that row, `{ peer, fromView }`; any other argument as it is. */
const fromTreeRow = (argument: unknown): unknown => {
  const row = PeersTreeRow.safeParse(argument);
  return row.success ? { peer: row.data.peer.id, fromView: true } : argument;
};

/** Arguments that a view's item passes: the user clicked, so a failure is shown once, like the palette's. */
const isFromView = (argument: unknown): boolean => {
  const given = fromTreeRow(argument);
  return typeof given === 'object' && given !== null && (given as { fromView?: unknown }).fromView === true;
};

export function registerCommands(context: CommandContext): vscode.Disposable[] {
  const { service, log } = context;

  /**
   * Runs a command; a failure is logged and shown. Run from the palette, a keybinding or a menu (no arguments), it
   * resolves: VS Code would otherwise show the same error a second time, in a modal dialog; so does a click in a
   * view (its arguments say `fromView`). Callers that pass other arguments (tests, other extensions) get the rejection.
   */
  const guarded =
    <A extends unknown[]>(name: string, body: (...args: A) => Promise<unknown> | unknown) =>
    async (...args: A): Promise<unknown> => {
      try {
        return await body(...args);
      } catch (error) {
        const message = error instanceof z.ZodError ? describeIssue(error) : error instanceof Error ? error.message : String(error);
        log.error(`${name}: ${message}`);
        void vscode.window.showErrorMessage(`Mutual: ${message}`);
        if (args.some((argument) => argument !== undefined && !isFromView(argument))) throw error instanceof Error ? error : new Error(message);
        return undefined;
      }
    };

  /** The units teammates' slots of the other kind use for a type (capacities for my need, needs for my capacity). */
  const unitsInUse = (kind: SlotKind) => (type: string) =>
    [...new Set(service.viewModel().peers.flatMap((peer) => (kind === 'need' ? peer.state?.capacities : peer.state?.needs) ?? []).filter((slot) => slot.type === type).map((slot) => slot.unit ?? ''))].sort();

  // These commands need the network (declaring publishes), so they join first; said, since a declaration joined
  // silently, even right after Leave Network (found by a usability pass).
  const ensureJoined = async () => {
    if (service.joined) return;
    await context.join();
    void vscode.window.showInformationMessage('Mutual: joined the network (Leave Network stops sharing).');
  };

  const declare = (kind: SlotKind) =>
    guarded(`declare ${kind}`, async (argument?: unknown) => {
      // Before the steps, not after: the user would type a whole slot for nothing (joined; offline, the declaration
      // is checked when it is made).
      service.assertRoomForSlot();
      const state = service.myState();
      const slot = argument === undefined ? await promptSlot(kind, undefined, new Set([...state.capacities, ...state.needs].map((declared) => declared.id)), unitsInUse(kind)) : Slot.parse(argument);
      if (!slot) return undefined;
      // Joined once the steps are done: a declaration cancelled offline left the user joined, having declared nothing
      // (a usability pass).
      await ensureJoined();
      await service.declare(kind, slot);
      log.info(`declared ${kind} ${slot.id}`);
      return slot;
    });

  // Debug output opens as read-only documents of their own scheme: untitled editors asked to be saved on close, one
  // per command run (found by a usability pass). Each title keeps its latest content.
  const debugDocuments = new Map<string, string>();
  const debugDocumentChanged = new vscode.EventEmitter<vscode.Uri>();
  const debugProvider = vscode.workspace.registerTextDocumentContentProvider(DEBUG_SCHEME, {
    onDidChange: debugDocumentChanged.event,
    provideTextDocumentContent: (uri) => debugDocuments.get(uri.path) ?? '',
  });
  const showJson = async (title: string, value: unknown) => {
    const uri = vscode.Uri.from({ scheme: DEBUG_SCHEME, path: `/${title.replace(/[^\w-]+/g, '-')}.json` });
    debugDocuments.set(uri.path, JSON.stringify(value, null, 2));
    debugDocumentChanged.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'json');
    await vscode.window.showTextDocument(document, { preview: true });
    log.info(title);
    return value;
  };

  const requireSnapshot = () => {
    const snapshot = service.snapshot();
    if (!snapshot) throw new Error('not joined to a network: run "Mutual: Join Network" first');
    return snapshot;
  };

  const handlers: Record<(typeof COMMANDS)[keyof typeof COMMANDS], (...args: never[]) => unknown> = {
    [COMMANDS.showPanel]: guarded('show panel', () => context.showPanel()),
    [COMMANDS.declareCapacity]: declare('capacity'),
    [COMMANDS.declareNeed]: declare('need'),
    [COMMANDS.editDeclaration]: guarded('edit declaration', async (argument?: unknown) => {
      await ensureJoined();
      const state = service.myState();
      let target: { kind: SlotKind; slot: Slot } | undefined;
      if (argument !== undefined) {
        const { kind, slot } = z.object({ kind: z.enum(['capacity', 'need']), slot: Slot }).parse(argument);
        await service.declare(kind, slot, { replace: true });
        log.info(`edited ${kind} ${slot.id}`);
        return slot;
      }
      target = await pickDeclaration(state, 'Declaration to edit');
      if (!target) return undefined;
      const slot = await promptSlot(target.kind, target.slot, undefined, unitsInUse(target.kind));
      if (!slot) return undefined;
      await service.declare(target.kind, slot, { replace: true });
      log.info(`edited ${target.kind} ${slot.id}`); // the log said declarations and removals, not edits
      return slot;
    }),
    [COMMANDS.removeDeclaration]: guarded('remove declaration', async (argument?: unknown) => {
      await ensureJoined();
      let target: { kind: SlotKind; id: string } | undefined;
      if (argument !== undefined) target = DeclarationArgument.parse(argument);
      else {
        const picked = await pickDeclaration(service.myState(), 'Declaration to remove');
        if (!picked) return undefined;
        // Nothing undoes a removal but declaring the slot again: ask first.
        const confirmed = await vscode.window.showWarningMessage(
          `Remove your ${picked.kind} "${picked.slot.id}" (${picked.slot.type}, ${withUnit(String(picked.slot.quantity), picked.slot.unit)})? Your teammates' allocations change with it.`,
          { modal: true },
          'Remove',
        );
        if (confirmed !== 'Remove') return undefined;
        target = { kind: picked.kind, id: picked.slot.id };
      }
      await service.removeDeclaration(target.kind, target.id);
      log.info(`removed ${target.kind} ${target.id}`);
      return target.id;
    }),
    [COMMANDS.setRecognition]: guarded('set recognition', async (argument?: unknown) => {
      await ensureJoined();
      const given = argument === undefined ? undefined : RecognitionArgument.parse(fromTreeRow(argument));
      if (given?.weight !== undefined) {
        await service.setRecognition(given.peer, given.weight);
        return given.weight;
      }
      const peers = service.knownPeers();
      const mine = service.myRecognition();
      const toPick = (peer: { id: string; label: string }) => ({ label: peer.label, description: peer.id, detail: `my recognition: ${mine[peer.id] ?? 0}`, peer: peer.id });
      let picked: ReturnType<typeof toPick> | undefined;
      if (given !== undefined) picked = toPick(peers.find((peer) => peer.id === given.peer) ?? { id: given.peer, label: peerIdEnding(given.peer) });
      else {
        if (peers.length === 0) {
          void vscode.window.showInformationMessage('Mutual: no peers known yet. Connect to a peer or wait for the network.');
          return undefined;
        }
        picked = await vscode.window.showQuickPick(peers.map(toPick), { placeHolder: 'Whose contribution to your work do you recognize?', matchOnDescription: true });
      }
      if (!picked) return undefined;
      const weight = await askText({
        title: `Recognition of ${picked.label}`,
        prompt: 'Weight, relative to your other recognitions (2 is twice as much as 1; 0 removes)',
        value: String(mine[picked.peer] ?? 1),
        // In words, not the schema's ("Too small: expected number to be >=0", "expected number, received NaN").
        validateInput: (text) => (validator(RecognitionWeights.valueType, toNumber)(text) === undefined ? undefined : 'a weight is a number of 0 or more, e.g. 1 or 2.5 (0 stops recognizing)'),
        ignoreFocusOut: true,
      });
      if (weight === undefined) return undefined;
      const value = Number(weight);
      await service.setRecognition(picked.peer, value);
      // Said where the user looks after a palette command (found by a usability pass: nothing was said or logged).
      const all = Object.values(service.myRecognition()).reduce((sum, each) => sum + each, 0);
      const share = all > 0 && value > 0 ? ` (${Math.round((100 * value) / all)} % of your recognition)` : '';
      log.info(`recognition of ${picked.label} (${picked.peer}): ${value}`);
      vscode.window.setStatusBarMessage(`Mutual: ${value === 0 ? `you no longer recognize ${picked.label}` : `you recognize ${picked.label} with ${value}${share}`}`, 8_000);
      return value;
    }),
    [COMMANDS.connectToPeer]: guarded('connect to peer', async (argument?: unknown) => {
      await ensureJoined();
      const Multiaddr = multiaddrSchema('dial');
      const address = argument !== undefined ? Multiaddr.parse(argument) : await askText({ title: 'Connect to peer', prompt: 'Multiaddr of the peer', validateInput: validator(Multiaddr), ignoreFocusOut: true });
      if (address === undefined) return undefined;
      const id = peerIdOfAddress(address);
      const known = service.viewModel().peers.find((peer) => peer.id === id);
      const name = known?.displayName ?? id ?? address;
      // libp2p answers a dial of a peer already connected with that connection, whatever the address: say so rather
      // than 'connected' for an address where nothing may listen (found by a usability pass).
      if (known?.active === true) {
        void vscode.window.showInformationMessage(`Mutual: already connected to ${name}; the address was not dialled.`);
        return address;
      }
      try {
        await service.connect(address);
      } catch (error) {
        throw new Error(describeDialFailure(address, error as Error), { cause: error });
      }
      log.info(`connected to ${address}`);
      void vscode.window.showInformationMessage(`Mutual: connected to ${name}.`);
      return address;
    }),
    [COMMANDS.copyMyAddress]: guarded('copy my address', async () => {
      await ensureJoined();
      const addresses = service.myAddresses();
      if (addresses.length === 0) throw new Error('this peer has no address yet');
      // Listening on every interface gives one address per interface: the user knows which one the teammate reaches.
      const address =
        addresses.length === 1
          ? addresses[0]
          : (await vscode.window.showQuickPick(addresses.map((candidate) => ({ label: candidate })), { placeHolder: 'Which address can your teammate reach? (loopback ones only from this machine)' }))?.label;
      if (address === undefined) return undefined;
      await vscode.env.clipboard.writeText(address);
      void vscode.window.showInformationMessage(`Mutual: copied ${address}`);
      return address;
    }),
    [COMMANDS.joinNetwork]: guarded('join network', () => context.join()),
    [COMMANDS.leaveNetwork]: guarded('leave network', async () => {
      if (!service.joined) {
        vscode.window.setStatusBarMessage('Mutual: not joined to a network', 5_000);
        return;
      }
      await service.leave();
      log.info('left the network');
      vscode.window.setStatusBarMessage('Mutual: left the network; your declarations stay for the next join', 8_000);
    }),
    [COMMANDS.exportState]: guarded('export state', async (argument?: unknown) => {
      const snapshot = requireSnapshot();
      // Everything the panel shows, not only my own slots: the teammates' declarations and recognition, every flow,
      // the convergence history and coordination (a usability pass found the export held my state and an empty
      // history while the panel showed rounds).
      const { peers, allocations, needs, capacities, history, coordination, round, phaseName, converged } = service.viewModel();
      const exported = {
        exportedAt: new Date().toISOString(),
        self: snapshot.self,
        state: service.myState(),
        recognition: service.myRecognition(),
        round,
        phaseName,
        converged,
        peers: peers.map(({ id, displayName, tier, active, state, recognition }) => ({ id, displayName, tier, active, state, recognition })),
        allocations,
        needs,
        capacities,
        history,
        coordination,
      };
      if (argument === 'return') return exported;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({ filters: { JSON: ['json'] }, ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'mutual-state.json') } : {}) });
      if (!target) return undefined;
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(exported, null, 2)));
      log.info(`exported state to ${target.fsPath}`);
      void vscode.window.showInformationMessage(`Mutual: exported to ${target.fsPath}`, 'Open').then((choice) => choice && vscode.window.showTextDocument(target));
      return exported;
    }),
    [COMMANDS.logProtocolState]: guarded('log protocol state', () => {
      const snapshot = requireSnapshot();
      log.info('protocol state', snapshot);
      log.show(true);
      return snapshot;
    }),
    [COMMANDS.computeResults]: guarded('compute results', async (argument?: unknown) => {
      requireSnapshot();
      // A dry run from the records a round would use (the providers' offers included), published nowhere. Computed
      // here from the panel's copies without them, it showed every need unmet beside a converged panel.
      const results = service.dryRunResults();
      return argument === 'return' ? results : showJson('dry-run results', results);
    }),
    [COMMANDS.computeStabilityFactor]: guarded('compute stability factor', async (argument?: unknown) => {
      requireSnapshot();
      // Keyed by peer id: keyed by display name, two teammates of one name were one entry.
      const factors = Object.fromEntries(service.viewModel().coordination.map((row) => [row.peer, { ...(row.displayName === undefined ? {} : { displayName: row.displayName }), stabilityFactor: row.stabilityFactor }]));
      return argument === 'return' ? factors : showJson('stability factors', factors);
    }),
    [COMMANDS.inspectCausalClocks]: guarded('inspect causal clocks', async (argument?: unknown) => {
      requireSnapshot();
      const clocks = service.causalClocks();
      return argument === 'return' ? clocks : showJson('causal clocks', clocks);
    }),
    [COMMANDS.forcePhaseAdvancement]: guarded('force phase advancement', () => {
      // The engine's snapshot, not the panel's whole view model, twice.
      const before = requireSnapshot();
      service.forcePhaseAdvancement();
      const after = requireSnapshot();
      log.info('forced phase advancement');
      // Said either way: forcing a converged peer changes nothing, which looked like a command that did not run.
      const what =
        after.phase === before.phase && after.round === before.round
          ? `nothing to advance: phase ${after.phaseName}, round ${after.round}${after.phaseName === 'Converged' ? ' (converged: a change of declarations starts the next round)' : ''}`
          : `phase ${before.phaseName} (round ${before.round}) -> ${after.phaseName} (round ${after.round})`;
      void vscode.window.showInformationMessage(`Mutual: ${what}.`);
      return what;
    }),
  };

  return [debugProvider, debugDocumentChanged, ...Object.entries(handlers).map(([id, handler]) => vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown))];
}
