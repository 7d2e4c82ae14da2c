// Room: test (extension host side, plain mocha). The panel's "Why" for a need of mine that is not fully met.
import assert from 'node:assert/strict';
import { explainUnmetNeed } from '../../src/extension/need-explanation.ts';
import type { PeerRow } from '../../src/extension/view-model.ts';
import { Slot } from '../../src/protocol/schemas.ts';

const ME = 'me';
const need = Slot.parse({ id: 'n', type: 'review', quantity: 4, skills: ['rust'], window: { kind: 'weekly', days: ['mon'], start: '09:00', end: '12:00', timeZone: 'UTC' }, location: { city: 'Berlin', country: 'DE' } });

function peer(name: string, recognizesMe: number, capacities: unknown[]): PeerRow {
  return {
    id: `peer-${name}`,
    displayName: name,
    tier: 'secondary',
    active: true,
    myRecognition: 0,
    theirRecognition: recognizesMe,
    recognition: recognizesMe > 0 ? { [ME]: recognizesMe } : { someoneElse: 1 },
    state: { displayName: name, capacities: capacities.map((capacity) => Slot.parse(capacity)), needs: [] },
    unmetNeeds: 0,
  };
}
const review = (extra: object = {}) => ({ id: 'c', type: 'review', quantity: 10, skills: ['rust'], ...extra });

describe('extension: why a need of mine is not met', function () {
  it('nobody recognizes me', function () {
    assert.match(explainUnmetNeed(need, ME, [peer('Ana', 0, [review()])]), /^No teammate recognizes you yet/);
  });

  it('those who recognize me offer other types', function () {
    assert.match(explainUnmetNeed(need, ME, [peer('Ana', 1, [{ id: 'c', type: 'pairing', quantity: 3 }]), peer('Ben', 0, [review()])]), /^No teammate who recognizes you declared a "review" capacity\.$/);
  });

  it('names the rule every capacity of the type misses: skills, time window, location', function () {
    assert.match(explainUnmetNeed(need, ME, [peer('Ana', 1, [review({ skills: ['go'] })])]), /^Ana offers "review", but none of them fits the skills rust\.$/);
    assert.match(explainUnmetNeed(need, ME, [peer('Ana', 1, [review({ window: { kind: 'weekly', days: ['tue'], start: '09:00', end: '12:00', timeZone: 'UTC' } })])]), /fits your time window\.$/);
    assert.match(explainUnmetNeed(need, ME, [peer('Ana', 1, [review({ location: { city: 'Paris', country: 'FR' } })]), peer('Ben', 2, [review({ location: { city: 'Munich', country: 'DE' } })])]), /^Ana and Ben offer "review", but none of them fits your location\.$/);
    // Each capacity misses a different rule: no single rule to name.
    assert.match(explainUnmetNeed(need, ME, [peer('Ana', 1, [review({ skills: ['go'] })]), peer('Ben', 1, [review({ location: { city: 'Paris' } })])]), /none of them fits its skills, time window and location together\.$/);
  });

  it('fitting capacities exist: they are given out, and says what would change it', function () {
    const text = explainUnmetNeed(need, ME, [peer('Ana', 1, [review({ location: { remote: true } })]), peer('Ben', 1, [review()]), peer('Chen', 1, [review()]), peer('Dara', 0, [review()])]);
    assert.match(text, /^Ana, Ben and 1 other can serve it, but their fitting capacity is all given out: mutual recognition comes first/);
    assert.match(text, /More recognition between you, or more capacity, would change it\.$/);
  });
});
