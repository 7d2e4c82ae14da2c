// Room: test (extension host side, plain mocha). What a failed join says, and the buttons its notification offers.
import assert from 'node:assert/strict';
import { describeJoinFailure, IdentityInUse, joinFailureChoices } from '../../src/extension/join-failure.ts';

describe('extension: a failed join', function () {
  it('offers to try again, not Open Settings, when another window or peer holds the identity (found by a usability pass)', function () {
    const held = new IdentityInUse(4242, '/home/ana/.mutual/lock');
    assert.deepEqual(joinFailureChoices(held), ['Try Again']);
    // Said in words: where the identity is held, and what to do there and here.
    assert.equal(
      describeJoinFailure(held),
      'Mutual: joining the network failed: this identity is already joined in another VS Code window or peer process (pid 4242): leave the network there ("Mutual: Leave Network", or stop that peer), then join here again; both would otherwise publish as the same peer (lock /home/ana/.mutual/lock)',
    );
  });

  it('offers the log and the settings for other failures, and says a refusal of the settings once', function () {
    assert.deepEqual(joinFailureChoices(new Error('listen EADDRINUSE')), ['Open Log', 'Open Settings']);
    assert.equal(describeJoinFailure(new Error('listen EADDRINUSE')), 'Mutual: joining the network failed: listen EADDRINUSE');
    assert.equal(describeJoinFailure(new Error('not joining: mutual.network.name is not a valid network name')), 'Mutual: not joining: mutual.network.name is not a valid network name');
    // A Rejoin Now refused before leaving: the user is still joined, as the status bar shows (a usability pass).
    assert.equal(describeJoinFailure(new Error('not joining: mutual.network.name is not a valid network name'), true), 'Mutual: not joining: mutual.network.name is not a valid network name. You stay joined with the settings of before.');
  });
});
