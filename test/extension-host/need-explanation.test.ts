// Room: test (extension host side, plain mocha). The panel's "Why" for a need of mine that is not fully met.
import assert from 'node:assert/strict';
import { explainUnmetNeed, unitMismatch, type Me } from '../../src/extension/need-explanation.ts';
import type { PeerRow } from '../../src/extension/view-model.ts';
import { Slot } from '../../src/protocol/schemas.ts';

const ME = 'me';
const need = Slot.parse({ id: 'n', type: 'review', quantity: 4, skills: ['rust'], window: { kind: 'weekly', days: ['mon'], start: '09:00', end: '12:00', timeZone: 'UTC' }, location: { city: 'Berlin', country: 'DE' } });
const me = (extra: Partial<Me> = {}): Me => ({ id: ME, state: { displayName: 'Me', capacities: [], needs: [need] }, recognition: {}, converged: true, received: [], ...extra });

function peer(name: string, recognizesMe: number, capacities: unknown[] | undefined): PeerRow {
  return {
    id: `peer-${name}`,
    displayName: name,
    label: name,
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

  it('those who recognize me offer other types (named), or nothing of this one', function () {
    assert.equal(explainUnmetNeed(need, me(), [peer('Ana', 1, [{ id: 'c', type: 'pairing', quantity: 3 }, { id: 'd', type: 'on-call', quantity: 1 }]), peer('Ben', 0, [review()])]), 'No teammate who recognizes you declared a "review" capacity (they offer on-call, pairing).');
    assert.equal(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ quantity: 0 })])]), 'No teammate who recognizes you declared a "review" capacity.', 'a capacity of 0 gives nothing');
  });

  it('says, per provider, what its closest capacity of the type misses: skills, time window, location', function () {
    assert.equal(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ skills: ['go'] })])]), 'No "review" capacity fits: Ana\'s lacks rust.');
    assert.equal(explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ window: { kind: 'weekly', days: ['tue'], start: '09:00', end: '12:00', timeZone: 'UTC' } })])]), 'No "review" capacity fits: Ana\'s is only tue 09:00-12:00 UTC.');
    assert.equal(
      explainUnmetNeed(need, me(), [peer('Ana', 1, [review({ skills: ['go'], location: { city: 'Paris', country: 'FR' } }), review({ id: 'd', location: { city: 'Paris', country: 'FR' } })]), peer('Ben', 2, [review({ skills: [], location: { city: 'Munich', country: 'DE' } })])]),
      'No "review" capacity fits: Ana\'s is only at Paris, FR; Ben\'s lacks rust and is only at Munich, DE.',
    );
    const many = ['Ana', 'Ben', 'Chen', 'Dara', 'Eli'].map((name) => peer(name, 1, [review({ skills: [] })]));
    assert.equal(explainUnmetNeed(need, me(), many), 'No "review" capacity fits: Ana\'s, Ben\'s and 3 more lack rust.');
    const mixed = [peer('Ana', 1, [review({ skills: [] })]), peer('Ben', 1, [review({ skills: [] })]), peer('Chen', 1, [review({ location: { city: 'Paris' } })])];
    assert.equal(explainUnmetNeed(need, me(), mixed), 'No "review" capacity fits: Ana\'s and Ben\'s lack rust; Chen\'s is only at Paris.');
  });

  it('fitting capacities exist: before convergence on their way; after, given out, and recognizing them is the way in', function () {
    const team = [peer('Ana', 1, [review({ location: { remote: true } })]), peer('Ben', 1, [review()]), peer('Chen', 1, [review()]), peer('Dara', 0, [review()])];
    assert.equal(explainUnmetNeed(need, me({ converged: false }), team), 'Ana, Ben and 1 other can serve it; the allocation is still converging.');
    assert.equal(explainUnmetNeed(need, me(), team), "You don't recognize Ana, Ben or 1 other: their capacity is given out, and mutual recognition is served first. Set Recognition makes it mutual.");
    const recognizingAll = me({ recognition: { 'peer-Ana': 1, 'peer-Ben': 1, 'peer-Chen': 1 } });
    const text = explainUnmetNeed(need, recognizingAll, team);
    assert.match(text, /^Ana, Ben and 1 other can serve it, but the fitting capacity is all given out: mutual recognition comes first/);
    assert.match(text, /More recognition between you, or more capacity, would change it\.$/);
  });

  it('fitting capacity that all comes to me already: only more capacity helps, not recognition (found by a review)', function () {
    const ana = peer('Ana', 1, [review({ quantity: 1 })]);
    assert.equal(explainUnmetNeed(need, me({ received: [{ provider: 'peer-Ana', capacity: 'c', quantity: 0.5 }, { provider: 'peer-Ana', capacity: 'c', quantity: 0.5 }] }), [ana]), 'All the fitting capacity (Ana) already comes to you: only more capacity, from them or others, would fill this need.');
    assert.match(explainUnmetNeed(need, me({ received: [{ provider: 'peer-Ana', capacity: 'c', quantity: 0.4 }] }), [ana]), /^You don't recognize Ana:/);
  });

  it('does not list my own capacity among what teammates offer', function () {
    const mine = me({ recognition: { [ME]: 1 }, state: { displayName: 'Me', capacities: [Slot.parse({ id: 'd', type: 'design', quantity: 2 })], needs: [need] } });
    assert.equal(explainUnmetNeed(need, mine, [peer('Ana', 1, [{ id: 'p', type: 'pairing', quantity: 1 }])]), 'No teammate who recognizes you declared a "review" capacity (they offer pairing).');
  });

  it('counts my own capacity when I recognize myself (spec 7.1)', function () {
    const mine = me({ recognition: { [ME]: 1 }, state: { displayName: 'Me', capacities: [Slot.parse(review({ id: 'own', skills: ['go'] }))], needs: [need] } });
    assert.equal(explainUnmetNeed(need, mine, []), 'No "review" capacity fits: yours lacks rust.');
    assert.match(explainUnmetNeed(need, me({ state: mine.state }), []), /^No teammate recognizes you yet/, 'without self-recognition my capacity does not serve me');
  });

  it('says when a need and the capacity giving to it count in different units (found by a usability review)', function () {
    const units: Record<string, string | undefined> = { 'ana/c': 'hours', 'chen/c': 'hours', 'ben/c': undefined, 'dara/c': 'day' };
    const unitOf = (provider: string, capacity: string) => units[`${provider}/${capacity}`];
    const inDays = Slot.parse({ id: 'n', type: 'review', quantity: 1, unit: 'day' });
    assert.equal(unitMismatch(inDays, [{ provider: 'ana', capacity: 'c' }, { provider: 'chen', capacity: 'c' }, { provider: 'dara', capacity: 'c' }], unitOf), 'Units differ: this need counts in "day", capacity giving to it in "hours"; amounts are compared as plain numbers.');
    assert.equal(unitMismatch(inDays, [{ provider: 'dara', capacity: 'c' }], unitOf), undefined);
    assert.equal(unitMismatch(Slot.parse({ id: 'n', type: 'review', quantity: 1 }), [{ provider: 'ben', capacity: 'c' }, { provider: 'ana', capacity: 'c' }], unitOf), 'Units differ: this need counts in no unit, capacity giving to it in "hours"; amounts are compared as plain numbers.');
    // The singular and plural of a known unit are one unit, as the panel shows them ("1 hour", "2 hours"; a review
    // found "Units differ" between "hour" and "hours").
    assert.equal(unitMismatch(Slot.parse({ id: 'n', type: 'review', quantity: 1, unit: 'hour' }), [{ provider: 'ana', capacity: 'c' }], unitOf), undefined);
  });
});
