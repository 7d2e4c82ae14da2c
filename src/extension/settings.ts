// Room: extension (host side, no vscode import). May touch: engine (config), protocol (schemas, limits), network names and
// address checks, node:os.
// The extension's settings, parsed: what package.json declares (minimum, maximum, patterns) is checked again here,
// because VS Code only warns in the settings editor and passes any value through. A value that does not parse falls
// back to its default and the problem names the setting, so the user knows what to fix.
import { describeFirstIssue } from '../protocol/validate.ts';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../engine/engine.ts';
import { addressProblem, type AddressUse } from '../network/addresses.ts';
import { isLoopbackAddress } from '../network/names.ts';
import { PROTOCOL_MAJOR } from '../protocol/limits.ts';
import { NetworkName, State } from '../protocol/schemas.ts';

const DisplayName = State.shape.displayName;

/** Reads one setting below `mutual.` (vscode.WorkspaceConfiguration.get in the extension; a map in tests). */
export type SettingReader = (key: string) => unknown;

export interface NetworkSettings {
  readonly name: string;
  readonly transport: 'demo' | 'libp2p';
  readonly listenAddresses: readonly string[];
  readonly bootstrapPeers: readonly string[];
  readonly mdns: boolean;
}

export interface Parsed<T> {
  readonly value: T;
  /** One line per setting that did not parse, e.g. `mutual.engine.epsilon: must be > 0 (using 1e-6)`. */
  readonly problems: readonly string[];
}

/** The setting a problem names: `mutual.network.listenAddresses (item 1): …` is mutual.network.listenAddresses. */
export const settingOfProblem = (problem: string): string => /^[\w.]+/.exec(problem)?.[0] ?? 'mutual';

/**
 * The problems of settings already told (log and warning), so that each text is told once, not at every read: Rejoin
 * Now's comparison of the settings told them all again (found by a usability pass). A change of a setting forgets its
 * own problems only, so a value broken again is told again.
 */
export class ToldProblems {
  private readonly told = new Set<string>();

  /** The problems not told yet, in order; from now on they count as told. */
  untold(problems: readonly string[]): string[] {
    const fresh: string[] = [];
    for (const problem of problems) {
      if (this.told.has(problem)) continue;
      this.told.add(problem);
      fresh.push(problem);
    }
    return fresh;
  }

  /** Forgets the problems of each setting `changed` says changed (vscode's ConfigurationChangeEvent.affectsConfiguration). */
  forget(changed: (setting: string) => boolean): void {
    for (const problem of [...this.told]) if (changed(settingOfProblem(problem))) this.told.delete(problem);
  }
}

/** A multiaddr checked as `mutual peer` checks its flags (src/network/addresses.ts). */
export function multiaddrSchema(use: AddressUse) {
  return z.string().superRefine((text, context) => {
    const problem = addressProblem(text, use);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: `'${text}' ${problem}` });
  });
}

// Upper bounds as in package.json: above 2^31 - 1 ms, Node's timers fire after 1 ms instead, and a gossip interval of
// 3e9 ms became a loop taking 13 % of the extension host (found by a review).
const ENGINE_SETTINGS = {
  subscriptionDebounceMs: z.number().finite().min(0).max(60_000),
  coordinationGossipMs: z.number().finite().min(50).max(600_000),
  phaseThreshold: z.number().min(0).max(1),
  freshnessMs: z.number().finite().min(1000).max(86_400_000),
  epsilon: z.number().gt(0).lt(1),
} as const satisfies Partial<Record<keyof EngineConfig, z.ZodType>>;

const NETWORK_SETTINGS = {
  name: NetworkName,
  transport: z.enum(['demo', 'libp2p']),
  mdns: z.boolean(),
} as const;
/** Address lists: an invalid entry is left out, not the list (one typo put a loopback-only peer on every interface). */
const ADDRESS_SETTINGS = { listenAddresses: multiaddrSchema('listen'), bootstrapPeers: multiaddrSchema('dial') } as const;

const NETWORK_DEFAULTS: NetworkSettings = {
  name: 'mutual',
  transport: 'libp2p',
  listenAddresses: ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'],
  bootstrapPeers: [],
  mdns: true,
};

/** What a problem says of a setting whose invalid value stops the join, where others say "(using <default>)". */
const NOT_JOINING = 'not joining until it is fixed';

/**
 * Network settings whose invalid value stops the join instead of falling back to the default, with what the refusal
 * says.
 */
const REFUSED_WHEN_INVALID: Readonly<Record<string, string>> = {
  // The default network would be strangers', who would get my declarations.
  name: 'mutual.network.name is not a valid network name',
  // Its default announces this peer on the LAN: a typo such as "false" (a string) must not turn it on.
  mdns: 'mutual.network.mdns is not true or false',
};

/**
 * A group of settings, each parsed alone; `invalid` names the keys that fell back to their defaults. An invalid key of
 * `refused` stops the join instead (parseNetworkSettings): its problem says so, not "(using <default>)", which a
 * usability pass saw beside the join's refusal.
 */
function parseGroup<T extends object>(prefix: string, schemas: Record<string, z.ZodType>, defaults: T, read: SettingReader, refused: ReadonlySet<string> = new Set()): Parsed<T> & { readonly invalid: ReadonlySet<string> } {
  const value: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  const problems: string[] = [];
  const invalid = new Set<string>();
  for (const [key, schema] of Object.entries(schemas)) {
    const raw = read(`${prefix}${key}`);
    if (raw === undefined || raw === null) continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) value[key] = parsed.data;
    else {
      invalid.add(key);
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` (item ${issue.path.join('.')})` : '';
      // In words ("must be more than 0"), not zod's "Too small: expected number to be >0" (a usability pass).
      const words = issue && issue.path.length > 0 ? issue.message : describeFirstIssue(parsed.error);
      const instead = refused.has(key) ? NOT_JOINING : `using ${JSON.stringify((defaults as Record<string, unknown>)[key])}`;
      problems.push(`mutual.${prefix}${key}${where}: ${words} (${instead})`);
    }
  }
  return { value: value as T, problems, invalid };
}

/** The engine's settings (`mutual.engine.*`); the rest of EngineConfig keeps the engine's defaults. */
export function parseEngineSettings(read: SettingReader): Parsed<Partial<EngineConfig>> {
  const defaults = Object.fromEntries(Object.keys(ENGINE_SETTINGS).map((key) => [key, DEFAULT_ENGINE_CONFIG[key as keyof EngineConfig]]));
  return parseGroup('engine.', ENGINE_SETTINGS, defaults as Partial<EngineConfig>, read);
}

/**
 * The network settings (`mutual.network.*`). `refusal` says why not to join at all: the default of an invalid network
 * name is a network of strangers, who would get my declarations, and an address list left empty by its typos would
 * listen on every interface where the user asked for less.
 */
export function parseNetworkSettings(read: SettingReader): Parsed<NetworkSettings> & { readonly refusal?: string } {
  const parsed = parseGroup('network.', NETWORK_SETTINGS, NETWORK_DEFAULTS, read, new Set(Object.keys(REFUSED_WHEN_INVALID)));
  const value: Record<string, unknown> = { ...parsed.value };
  const problems = [...parsed.problems];
  const refusals = Object.entries(REFUSED_WHEN_INVALID).flatMap(([key, refusal]) => (parsed.invalid.has(key) ? [refusal] : []));
  for (const [key, schema] of Object.entries(ADDRESS_SETTINGS)) {
    const raw = read(`network.${key}`);
    if (raw === undefined || raw === null) continue;
    if (!Array.isArray(raw)) {
      // One address written without the brackets listened on every interface (found by a second review).
      const refused = key === 'listenAddresses';
      problems.push(`mutual.network.${key}: expected a list of multiaddrs (${refused ? NOT_JOINING : `using ${JSON.stringify(NETWORK_DEFAULTS[key as keyof typeof ADDRESS_SETTINGS])}`})`);
      if (refused) refusals.push('mutual.network.listenAddresses is not a list');
      continue;
    }
    const kept: string[] = [];
    for (const [index, item] of raw.entries()) {
      const address = schema.safeParse(item);
      if (address.success) kept.push(address.data);
      else problems.push(`mutual.network.${key} (item ${index}): ${address.error.issues[0]?.message ?? `${JSON.stringify(item)} is not a multiaddr`} (left out)`);
    }
    value[key] = kept;
    if (key === 'listenAddresses' && raw.length > 0 && kept.length === 0) refusals.push('mutual.network.listenAddresses has no valid address left');
  }
  const refusal = refusals.length === 0 ? undefined : `not joining: ${refusals.join(', and ')} (see the warning; fix the setting and join again)`;
  return { value: value as unknown as NetworkSettings, problems, ...(refusal === undefined ? {} : { refusal }) };
}

/**
 * The name teammates see: `mutual.displayName`, else the OS user name, else "Me". An invalid setting gives no name
 * (undefined): teammates keep the one declared before. Falling back to the OS user name published the very name a
 * user may have set the setting to avoid (found by a review).
 */
export function parseDisplayName(read: SettingReader): Parsed<string | undefined> {
  const raw = read('displayName');
  if (typeof raw === 'string' && raw.trim() !== '') {
    // Well-formed UTF-16, as every text on the wire (a lone surrogate failed the whole join, without naming the setting).
    const parsed = DisplayName.refine((name) => name.isWellFormed(), 'holds a lone UTF-16 surrogate').safeParse(raw.trim());
    if (parsed.success) return { value: parsed.data, problems: [] };
    return { value: undefined, problems: [`mutual.displayName: ${describeFirstIssue(parsed.error)} (not declared: teammates keep the name you had)`] };
  }
  return { value: fallbackDisplayName(), problems: [] };
}

function fallbackDisplayName(): string {
  try {
    const name = userInfo().username.trim();
    if (DisplayName.safeParse(name).success) return name;
  } catch {
    // No user entry (some containers): the protocol's neutral default.
  }
  return 'Me';
}

/** Addresses a teammate can dial first: libp2p lists loopback first when it listens on every interface. */
export function dialableFirst(addresses: readonly string[]): string[] {
  return [...addresses.filter((address) => !isLoopbackAddress(address)), ...addresses.filter(isLoopbackAddress)];
}

/**
 * What the user is told when a peer turns out to be on another network or protocol MAJOR (the network closes the
 * connection): without it, a typo in either side's network name shows only as having no peers.
 */
export function describeOtherNetwork(mine: string, theirs: { readonly network: string; readonly major: string }): string {
  if (theirs.major !== String(PROTOCOL_MAJOR)) return `a peer you reached runs version ${theirs.major} of the Mutual protocol, this extension version ${PROTOCOL_MAJOR}: nothing is shared with it. Whichever side is older needs an update.`;
  return `a peer you reached is on network "${theirs.network}", yours is "${mine}" (mutual.network.name): nothing is shared with it. If it is a teammate, one of you has a typo in the network name.`;
}

/**
 * Which Settings editor tab to open for a setting: the Workspace tab when the workspace sets it (the User tab showed it
 * "Modified in Workspace", and a value typed there changed nothing: found by a usability pass), else the User tab.
 */
export function settingsEditorFor(inspected: { readonly workspaceValue?: unknown; readonly workspaceFolderValue?: unknown } | undefined): 'workbench.action.openWorkspaceSettings' | 'workbench.action.openSettings' {
  return inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined ? 'workbench.action.openWorkspaceSettings' : 'workbench.action.openSettings';
}

/** The settings read when joining: a change while joined takes a rejoin (package.json contributes each). */
export const REJOIN_SETTINGS = [
  'network.name',
  'network.transport',
  'network.listenAddresses',
  'network.bootstrapPeers',
  'network.mdns',
  'network.listenInUntrustedWorkspaces',
  'engine.subscriptionDebounceMs',
  'engine.coordinationGossipMs',
  'engine.phaseThreshold',
  'engine.freshnessMs',
  'engine.epsilon',
] as const;
