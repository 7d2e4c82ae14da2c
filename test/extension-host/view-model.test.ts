// Room: test (extension host side, plain mocha). Pure parts of the view model the panel and the Peers tree show.
import assert from 'node:assert/strict';
import { countUnmetNeeds, networkProgress, peerLabels, peerRowAccessibleLabel, peerRowNotes, type PeerRow } from '../../src/extension/view-model.ts';
import { Results, State } from '../../src/protocol/schemas.ts';

describe('extension: view model', function () {
  it('labels peers so that two of one name, or one of my name, can be told apart (found by a review)', function () {
    const ana1 = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAana111';
    const ana2 = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBana222';
    const bo = '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCbo333';
    const me = '12D3KooWDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDme444';
    const unnamed = '12D3KooWEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEnone55';
    const labels = peerLabels([{ id: ana1, displayName: 'Ana' }, { id: ana2, displayName: 'Ana' }, { id: bo, displayName: 'Bo' }, { id: me, displayName: 'Cy' }, { id: unnamed }], 'Cy');
    assert.deepEqual(Object.fromEntries(labels), { [ana1]: 'Ana (…ana111)', [ana2]: 'Ana (…ana222)', [bo]: 'Bo', [me]: 'Cy (…Dme444)', [unnamed]: '…none55' });
    // A name made to look like another's label is labelled as well (found by a second review).
    assert.equal(peerLabels([{ id: ana1, displayName: 'Ana' }, { id: bo, displayName: 'Ana (…ana111)' }]).get(bo), 'Ana (…ana111) (…Cbo333)');
  });

  it('does not call a network with no active peer converged (a typo in the network name read "0 peers · converged")', function () {
    const peer = (active: boolean) => ({ active }) as never;
    assert.equal(networkProgress({ converged: true, peers: [] }), 'no active peers');
    assert.equal(networkProgress({ converged: true, peers: [peer(false)] }), 'no active peers');
    assert.equal(networkProgress({ converged: true, peers: [peer(false), peer(true)] }), 'converged');
    assert.equal(networkProgress({ converged: false, peers: [peer(true)] }), 'syncing');
  });

  it('says a Peers tree row\'s tier to a screen reader, as its group and icon show it (found by a usability pass)', function () {
    const row = (tier: PeerRow['tier'], unmetNeeds: number, active: boolean): PeerRow => ({ id: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', label: 'Ana', tier, active, myRecognition: 1, theirRecognition: 1, recognition: {}, unmetNeeds });
    assert.equal(peerRowAccessibleLabel(row('primary', 0, true)), 'Ana, mutual recognition');
    assert.equal(peerRowAccessibleLabel(row('secondary', 2, false)), 'Ana, one-way recognition, 2 unmet needs, inactive');
    assert.equal(peerRowAccessibleLabel(row('none', 1, true)), 'Ana, no recognition either way, 1 unmet need');
    // The notes are the row's description on screen.
    assert.deepEqual(peerRowNotes(row('secondary', 2, false)), ['2 unmet needs', 'inactive']);
  });

  it("counts a peer's unmet needs from its own results (the Peers tree's badge and warning icons)", function () {
    const state = State.parse({ displayName: 'Ben', capacities: [], needs: [{ id: 'review', type: 'review', quantity: 5 }, { id: 'pairing', type: 'pairing', quantity: 2 }, { id: 'none', type: 'x', quantity: 0 }] });
    const results = Results.parse({
      round: 3,
      allocations: [],
      acceptance: [
        { provider: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', capacity: 'a', need: 'review', quantity: 3 },
        { provider: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', capacity: 'b', need: 'review', quantity: 1.42 },
        { provider: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', capacity: 'c', need: 'pairing', quantity: 2 - 1e-12 },
      ],
      stability: {},
      metrics: { residualNeedNorm: 0.58, maxDelta: 0 },
      converged: true,
    });
    assert.equal(countUnmetNeeds(state, results), 1, 'review: 4.42 of 5; pairing met within rounding; a need of 0 is met');
    assert.equal(countUnmetNeeds(state, undefined), 0, 'results not followed: nothing known');
    assert.equal(countUnmetNeeds(undefined, results), 0);
  });
});
