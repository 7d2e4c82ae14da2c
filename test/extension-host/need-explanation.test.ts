// Room: test (extension host side, plain mocha). The panel's "Why" for a need of mine that is not fully met.
import assert from 'node:assert/strict';
import { explainUnmetNeed, type Me } from '../../src/extension/need-explanation.ts';
import type { PeerRow } from '../../src/extension/view-model.ts';
import { Slot } from '../../src/protocol/schemas.ts';

const ME = 'me';
const need = Slot.parse({ id: 'n', type: 'review', quantity: 4, skills: ['rust'], window: { kind: 'weekly', days: ['mon'], start: '09:00', end: '12:00', timeZone: 'UTC' }, location: { city: 'Berlin', country: 'DE' } });
const me = (extra: Partial<Me> = {}): Me => ({ id: ME, state: { displayName: 'Me', capacities: [], needs: [need] }, recognition: {}, converged: true, ...extra });

function peer(name: string, recognizesMe: number, capacities: unknown[] | undefined): PeerRow {
  return {
    id: `peer-${name}`,
    displayName: name,
    tier: 'secondary',
    active: true,
    myRecognition: 0,
    theirRecognition: recognizesMe,
    recognition: recognizesMe > 0 ? { [ME]: recognizesMe } : { someoneElse: 1 },
    state: capacities === undefined ? undefined : { displayName: name, capacities: capacities.map((capacity) => Slot.parse(capacity)), needs: [] },
    unmetNeeds: 0,
  };
}
const review = (extra: object = {}) => ({ id: 'c', type: 'review', quantity: 10, skills: ['rust'], ...extra });

describe('extension: why a need of mine is not met', function () {
  it('nobody recognizes me; or those who do have not sent their declarations yet', function () {
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 0, [review()])]), /^No teammate recognizes you yet/);
    assert.equal(explainUnmetNeed(need, me(), [peer('Ana', 1, undefined), peer('Ben', 0, [review()])]), 'Ana recognizes you, but their declarations have not arrived yet.');
  });

  it('those who recognize me offer other types, or nothing of this one', function () {
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 1, [{ id: 'c', type: 'pairing', quantity: 3 }]), peer('Ben', 0, [review()])]), /^No teammate who recognizes you declared a "review" capacity\.$/);
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ quantity: 0 })])]), /^No teammate who recognizes you declared a "review" capacity\.$/, 'a capacity of 0 gives nothing');
  });

  it('names the rule every capacity of the type misses: skills, time window, location', function () {
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ skills: ['go'] })])]), /^Ana offers "review", but none of them fits the skills rust\.$/);
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ window: { kind: 'weekly', days: ['tue'], start: '09:00', end: '12:00', timeZone: 'UTC' } })])]), /fits your time window\.$/);
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ location: { city: 'Paris', country: 'FR' } })]), peer('Ben', 2, [review({ location: { city: 'Munich', country: 'DE' } })])]), /^Ana and Ben offer "review", but none of them fits your location\.$/);
    // Each capacity misses a different rule: no single rule to name.
    assert.match(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ skills: ['go'] })]), peer('Ben', 1, [review({ location: { city: 'Paris' } })])]), /none of them fits its skills, time window and location together\.$/);
  });

  it('fitting capacities exist: given out once converged, on their way before', function () {
    const team = [peer('Ana', 1, [review({ location: { remote: true } })]), peer('Ben', 1, [review()]), peer('Chen', 1, [review()]), peer('Dara', 0, [review()])];
    const text = explainUnmetNeed(need, me(), team);
    assert.match(text, /^Ana, Ben and 1 other can serve it, but the fitting capacity is all given out: mutual recognition comes first/);
    assert.match(text, /More recognition between you, or more capacity, would change it\.$/);
    assert.equal(explainUnmetNeed(need, me({ converged: false }), team), 'Ana, Ben and 1 other can serve it; the allocation is still converging.');
  });

  it('counts my own capacity when I recognize myself (spec 7.1)', function () {
    const mine = me({ recognition: { [ME]: 1 }, state: { displayName: 'Me', capacities: [Slot.parse(review({ id: 'own', skills: ['go'] }))], needs: [need] } });
    assert.equal(explainUnmetNeed(need, mine, []), 'You offer "review", but none of them fits the skills rust.');
    assert.match(explainUnmetNeed(need, me({ state: mine.state }), []), /^No teammate recognizes you yet/, 'without self-recognition my capacity does not serve me');
  });
});
