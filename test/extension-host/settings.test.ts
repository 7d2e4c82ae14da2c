// Room: test (extension host side, no vscode). The settings parser and the scoped record cache.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeOtherNetwork, parseDisplayName, REJOIN_SETTINGS, settingOfProblem, settingsEditorFor, parseEngineSettings, parseNetworkSettings, dialableFirst, ToldProblems } from '../../src/extension/settings.ts';
import { mementoStorage, storageScope, type MementoLike } from '../../src/extension/storage.ts';

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

describe('extension settings', function () {
  it('names every network and engine setting package.json contributes among those a rejoin applies', function () {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { contributes: { configuration: { properties: Record<string, unknown> } | { properties: Record<string, unknown> }[] } };
    const sections = [manifest.contributes.configuration].flat();
    const contributed = sections.flatMap((section) => Object.keys(section.properties)).filter((key) => /^mutual\.(network|engine)\./.test(key));
    assert.deepEqual([...REJOIN_SETTINGS].map((key) => `mutual.${key}`).sort(), contributed.sort());
  });

  it('opens the Settings tab whose value applies: the workspace\'s when it sets one', function () {
    assert.equal(settingsEditorFor({ workspaceValue: 'mutual-demoo' }), 'workbench.action.openWorkspaceSettings');
    assert.equal(settingsEditorFor({ workspaceFolderValue: 'x' }), 'workbench.action.openWorkspaceSettings');
    assert.equal(settingsEditorFor({}), 'workbench.action.openSettings');
    assert.equal(settingsEditorFor(undefined), 'workbench.action.openSettings');
  });

  it('tells a peer of another network (a typo) apart from a peer of another protocol version', function () {
    assert.equal(describeOtherNetwork('my-team', { network: 'my-teem', major: '1' }), 'a peer you reached is on network "my-teem", yours is "my-team" (mutual.network.name): nothing is shared with it. If it is a teammate, one of you has a typo in the network name.');
    assert.match(describeOtherNetwork('my-team', { network: 'my-team', major: '2' }), /^a peer you reached runs version 2 of the Mutual protocol, this extension version 1: .*needs an update\.$/);
  });

  it('passes valid engine settings and falls back, naming the setting, on values package.json forbids', function () {
    const valid = parseEngineSettings(reader({ 'engine.coordinationGossipMs': 500, 'engine.epsilon': 1e-9 }));
    assert.deepEqual(valid.problems, []);
    assert.equal(valid.value.coordinationGossipMs, 500);
    assert.equal(valid.value.epsilon, 1e-9);
    assert.equal(valid.value.freshnessMs, 30_000);

    const invalid = parseEngineSettings(reader({ 'engine.coordinationGossipMs': 0, 'engine.epsilon': 0, 'engine.phaseThreshold': 'half' }));
    assert.equal(invalid.value.coordinationGossipMs, 1000);
    assert.equal(invalid.value.epsilon, 1e-6);
    assert.equal(invalid.value.phaseThreshold, 0.5);
    assert.equal(invalid.problems.length, 3);
    assert.match(invalid.problems.join('\n'), /^mutual\.engine\.coordinationGossipMs: .*\(using 1000\)$/m);
    assert.match(invalid.problems.join('\n'), /^mutual\.engine\.epsilon: .*\(using 0\.000001\)$/m);
    // In words, not zod's "Too small: expected number to be >0" (found by a usability pass).
    assert.match(invalid.problems.join('\n'), /^mutual\.engine\.epsilon: must be greater than 0 \(using/m);
    assert.doesNotMatch(invalid.problems.join('\n'), /Too small|Too big|expected/);
    const name = parseDisplayName(reader({ displayName: 'x'.repeat(200) }));
    assert.match(name.problems.join('\n'), /^mutual\.displayName: must be at most 128 characters long \(not declared/);
  });

  it('checks the network name with the protocol rule and each multiaddr; an invalid name refuses the join, a bad address is left out', function () {
    const valid = parseNetworkSettings(reader({ 'network.name': 'team.a_b-1' }));
    assert.deepEqual(valid.problems, []);
    assert.equal(valid.refusal, undefined);
    const parsed = parseNetworkSettings(reader({ 'network.name': 'My Team', 'network.listenAddresses': ['/ip4/127.0.0.1/tcp/0', 'garbage'], 'network.transport': 'carrier-pigeon' }));
    assert.equal(parsed.value.transport, 'libp2p');
    // Only the typo is left out: falling back to the default listened on every interface (found by a review).
    assert.deepEqual(parsed.value.listenAddresses, ['/ip4/127.0.0.1/tcp/0']);
    assert.match(parsed.problems.join('\n'), /^mutual\.network\.name: must be lower case/m);
    // Refused, not replaced: it said '(using "mutual")' beside the join's refusal (a usability pass).
    assert.match(parsed.problems.join('\n'), /^mutual\.network\.name: .*\(not joining until it is fixed\)$/m);
    assert.doesNotMatch(parsed.problems.join('\n'), /name: .*using/);
    assert.match(parsed.problems.join('\n'), /^mutual\.network\.listenAddresses \(item 1\): 'garbage' is not a multiaddr.*\(left out\)$/m);
    assert.match(parsed.problems.join('\n'), /^mutual\.network\.transport: /m);
    // The default network would be strangers', who would get my declarations.
    assert.match(parsed.refusal ?? '', /^not joining: mutual\.network\.name is not a valid network name/);
    const noAddress = parseNetworkSettings(reader({ 'network.listenAddresses': ['garbage'] }));
    assert.match(noAddress.refusal ?? '', /mutual\.network\.listenAddresses has no valid address left/);
    assert.equal(parseNetworkSettings(reader({ 'network.listenAddresses': [] })).refusal, undefined, 'an empty list is a choice (relay only, or dial only)');
    assert.match(parseNetworkSettings(reader({ 'network.bootstrapPeers': 'not a list' })).problems[0] ?? '', /expected a list of multiaddrs \(using \[\]\)/);
    // Found by a second review: one address without brackets, and mDNS as the string "false".
    const notAList = parseNetworkSettings(reader({ 'network.listenAddresses': '/ip4/127.0.0.1/tcp/4001' }));
    assert.match(notAList.refusal ?? '', /mutual\.network\.listenAddresses is not a list/);
    assert.deepEqual(notAList.problems, ['mutual.network.listenAddresses: expected a list of multiaddrs (not joining until it is fixed)'], 'not "(using <the default>)" beside the refusal');
    assert.match(parseNetworkSettings(reader({ 'network.mdns': 'false' })).refusal ?? '', /mutual\.network\.mdns is not true or false/);
  });

  it('bounds the engine intervals: above 2^31 - 1 ms a timer fires at once (found by a review)', function () {
    const parsed = parseEngineSettings(reader({ 'engine.coordinationGossipMs': 3_000_000_000, 'engine.subscriptionDebounceMs': 1e12, 'engine.freshnessMs': 1e10 }));
    assert.equal(parsed.problems.length, 3);
    assert.deepEqual([parsed.value.coordinationGossipMs, parsed.value.subscriptionDebounceMs, parsed.value.freshnessMs], [1000, 100, 30_000]);
  });

  it('checks bootstrap peers as `mutual peer --bootstrap` does: a multiaddr ending in /p2p/<a real peer id>', function () {
    const peerId = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';
    const good = [`/ip4/192.168.1.20/tcp/4001/p2p/${peerId}`, `/dns4/relay.example/tcp/443/wss/p2p/${peerId}/p2p-circuit/p2p/${peerId}`];
    assert.deepEqual(parseNetworkSettings(reader({ 'network.bootstrapPeers': good })), { value: { ...parseNetworkSettings(reader({})).value, bootstrapPeers: good }, problems: [] });
    // Before, the settings and the Connect command accepted the first two and `mutual peer` all three.
    for (const [address, problem] of [
      [`/ip4/999.1.1.1/tcp/4001/p2p/${peerId}`, /is not a multiaddr: Invalid IPv4 address/],
      ['/ip4/127.0.0.1/tcp/4001/p2p/abc', /ends with '\/p2p\/abc', which is not a peer id/],
      [`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}/ws`, /must end with \/p2p\/<peer id>/],
    ] as const) {
      const parsed = parseNetworkSettings(reader({ 'network.bootstrapPeers': [address] }));
      assert.deepEqual(parsed.value.bootstrapPeers, [], address);
      assert.match(parsed.problems[0] ?? '', new RegExp(`^mutual\\.network\\.bootstrapPeers \\(item 0\\): '.*' ${problem.source}`), address);
    }
  });

  it('takes the display name from the setting, else a non-empty default', function () {
    assert.deepEqual(parseDisplayName(reader({ displayName: '  Ana Lima ' })), { value: 'Ana Lima', problems: [] });
    const fallback = parseDisplayName(reader({}));
    assert.ok((fallback.value ?? '').length > 0);
    // Invalid: no name at all, not the OS user name the user may have set the setting to avoid (found by a review).
    const tooLong = parseDisplayName(reader({ displayName: 'x'.repeat(200) }));
    assert.equal(tooLong.value, undefined);
    assert.match(tooLong.problems[0] ?? '', /^mutual\.displayName: .*\(not declared: teammates keep the name you had\)$/);
    const loneSurrogate = parseDisplayName(reader({ displayName: 'Ana \ud800' }));
    assert.equal(loneSurrogate.value, undefined);
    assert.match(loneSurrogate.problems[0] ?? '', /lone UTF-16 surrogate/);
  });

  it('tells a setting\'s problem once, until that setting changes (Rejoin Now told every problem again: a usability pass)', function () {
    const epsilon = parseEngineSettings(reader({ 'engine.epsilon': 0 })).problems[0]!;
    const address = parseNetworkSettings(reader({ 'network.listenAddresses': ['/ip4/127.0.0.1/tcp/0', 'garbage'] })).problems[0]!;
    assert.equal(settingOfProblem(epsilon), 'mutual.engine.epsilon');
    assert.equal(settingOfProblem(address), 'mutual.network.listenAddresses');
    const told = new ToldProblems();
    assert.deepEqual(told.untold([epsilon, address]), [epsilon, address]);
    assert.deepEqual(told.untold([epsilon, address]), [], 'read again (the comparison of Rejoin Now, the join itself)');
    // Another setting changed (the one Rejoin Now is offered for): the unchanged problems stay told.
    told.forget((setting) => setting === 'mutual.network.name');
    assert.deepEqual(told.untold([epsilon, address]), []);
    // Its own setting changed, to a value as broken: told again.
    told.forget((setting) => setting === 'mutual.engine.epsilon');
    assert.deepEqual(told.untold([epsilon, address]), [epsilon]);
  });

  it('lists addresses a teammate can dial before loopback ones', function () {
    assert.deepEqual(dialableFirst(['/ip4/127.0.0.1/tcp/1', '/ip6/::1/tcp/1', '/ip4/192.168.1.20/tcp/1', '/dns4/host.lan/tcp/2']), [
      '/ip4/192.168.1.20/tcp/1',
      '/dns4/host.lan/tcp/2',
      '/ip4/127.0.0.1/tcp/1',
      '/ip6/::1/tcp/1',
    ]);
  });
});

describe('extension record cache', function () {
  const memento = (): MementoLike & { data: Map<string, unknown> } => {
    const data = new Map<string, unknown>();
    return { data, get: <T>(key: string) => data.get(key) as T | undefined, update: async (key, value) => void (value === undefined ? data.delete(key) : data.set(key, value)) };
  };

  it('keeps one scope per transport, network and identity', async function () {
    const store = memento();
    const teamA = mementoStorage(store, storageScope('libp2p', 'team-a', 'peer1'), { self: 'peer1' });
    const teamB = mementoStorage(store, storageScope('libp2p', 'team-b', 'peer1'), { self: 'peer1' });
    await teamA.save('state', ['a']);
    assert.deepEqual(await teamA.load('state'), ['a']);
    assert.equal(await teamB.load('state'), undefined);
    assert.equal(await mementoStorage(store, storageScope('demo', 'team-a', 'peer1')).load('state'), undefined);
  });

  it('hands my own records of the cache of earlier versions to the first libp2p scope only, and no one else\'s', async function () {
    const store = memento();
    const mine = { author: 'peer1', kind: 'state' };
    const demoTeammate = { author: 'ana-of-an-old-demo', kind: 'state' };
    store.data.set('engine.state', [demoTeammate, mine]);
    assert.equal(await mementoStorage(store, storageScope('demo', 'mutual-demo', 'peer1')).load('state'), undefined);
    const first = mementoStorage(store, storageScope('libp2p', 'mutual', 'peer1'), { self: 'peer1' });
    assert.deepEqual(await first.load('state'), [mine]);
    assert.equal(store.data.has('engine.state'), false);
    assert.deepEqual(await first.load('state'), [mine]);
    assert.equal(await mementoStorage(store, storageScope('libp2p', 'other', 'peer1'), { self: 'peer1' }).load('state'), undefined);
  });
});
