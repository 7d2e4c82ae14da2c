// Room: test (network). The one address check shared by `mutual peer`, the extension's settings and its Connect command.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { multiaddr } from '@multiformats/multiaddr';
import { isIPv6 } from 'node:net';
import { addressProblem, connectionSource, describeDialFailure, ipv6Groups, peerIdOfAddress } from '../../src/network/addresses.ts';

const PEER_ID = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';

describe('network: address checks', function () {
  it('accepts listen addresses libp2p can parse, with or without a peer id', function () {
    for (const address of ['/ip4/0.0.0.0/tcp/0', '/ip4/127.0.0.1/tcp/0/ws', '/ip6/::1/tcp/4001', '/dns4/localhost/tcp/0', '/p2p-circuit', `/ip4/127.0.0.1/tcp/4001/p2p/${PEER_ID}`]) {
      assert.equal(addressProblem(address, 'listen'), undefined, address);
    }
  });

  it('accepts dial addresses that end in /p2p/<peer id>, relayed ones included', function () {
    for (const address of [`/ip4/192.168.1.20/tcp/4001/p2p/${PEER_ID}`, `/ip6/::1/tcp/4001/ws/p2p/${PEER_ID}`, `/dns4/team.example/tcp/443/wss/p2p/${PEER_ID}`, `/dns4/relay.example/tcp/443/wss/p2p/${PEER_ID}/p2p-circuit/p2p/${PEER_ID}`]) {
      assert.equal(addressProblem(address, 'dial'), undefined, address);
    }
  });

  it('names what is wrong with an address', function () {
    const cases: [string, 'listen' | 'dial', RegExp][] = [
      ['', 'listen', /is not a multiaddr \(empty/],
      [' /ip4/127.0.0.1/tcp/0', 'listen', /white space around it/],
      ['garbage', 'listen', /^is not a multiaddr: /],
      ['/ip4/999.1.1.1/tcp/0', 'listen', /^is not a multiaddr: Invalid IPv4 address/],
      ['/ip4/127.0.0.1/tcp/4001', 'dial', /^must end with \/p2p\/<peer id>, e.g. /],
      [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER_ID}/ws`, 'dial', /^must end with \/p2p\/<peer id>/],
      ['/ip4/127.0.0.1/tcp/4001/p2p/abc', 'dial', /^ends with '\/p2p\/abc', which is not a peer id$/],
      // They parse, but this node has no transport for them: libp2p would fail after the data dir was written.
      ['/ip4/127.0.0.1/udp/0/quic-v1', 'listen', /^is not an address Mutual can listen on/],
      ['/ip4/127.0.0.1', 'listen', /^is not an address Mutual can listen on/],
      ['/memory/x', 'listen', /^is not an address Mutual can listen on/],
      ['/dns4/example.org/tcp/443/wss', 'listen', /^is not an address Mutual can listen on/],
      [`/memory/x/p2p/${PEER_ID}`, 'dial', /^is not an address Mutual can dial/],
      [`/p2p/${PEER_ID}`, 'dial', /^is not an address Mutual can dial/],
      [`/ip4/127.0.0.1/udp/1/webrtc-direct/p2p/${PEER_ID}`, 'dial', /^is not an address Mutual can dial/],
    ];
    for (const [address, use, problem] of cases) assert.match(addressProblem(address, use) ?? 'accepted', problem, `${use} ${JSON.stringify(address)}`);
  });
});

describe('network: dial failures said for a person (found by a usability pass)', () => {
  const id = '12D3KooWLAtvnKwov8igkwEG3jDEHSgazW142L7DdD2ruCrv5mvm';
  const address = `/ip4/127.0.0.1/tcp/4001/p2p/${id}`;
  it('names what went wrong instead of libp2p\'s text', () => {
    assert.equal(peerIdOfAddress(address), id);
    assert.equal(peerIdOfAddress('not an address'), undefined);
    assert.equal(describeDialFailure(address, new Error('Payload identity key 12D3KooWMWZ9 does not match expected remote identity key 12D3KooWLa1v')), `the peer listening at /ip4/127.0.0.1/tcp/4001 is not ${id}: check the peer id after /p2p/`);
    assert.equal(describeDialFailure(address, new Error('connection error 127.0.0.1:4001: connect ECONNREFUSED 127.0.0.1:4001')), 'nothing listens at /ip4/127.0.0.1/tcp/4001: is the peer running, and are the host and port right?');
    assert.equal(describeDialFailure(address, new Error('Can not dial self')), 'that is your own address');
    assert.equal(describeDialFailure(address, new Error('something else')), 'something else');
  });

});

describe('network: connection sources (the per-address connection cap, spec 9.5)', function () {
  it('counts inbound connections by source: an IPv4 address, an IPv6 /64, an IPv4-mapped address as IPv4, nothing for a relayed one (found by a review)', function () {
    const source = (text: string) => connectionSource(multiaddr(text));
    assert.equal(source('/ip4/203.0.113.7/tcp/4001'), '203.0.113.7');
    // One home or host holds a whole /64: every address in it is one source.
    assert.equal(source('/ip6/2001:db8:1:2::1/tcp/4001'), '2001:db8:1:2::/64');
    assert.equal(source('/ip6/2001:db8:1:2:ffff:ffff:ffff:ffff/tcp/4001'), '2001:db8:1:2::/64');
    assert.notEqual(source('/ip6/2001:db8:1:3::1/tcp/4001'), source('/ip6/2001:db8:1:2::1/tcp/4001'));
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: the same source as on an IPv4 listener.
    assert.equal(source('/ip6/::ffff:127.0.0.1/tcp/4001'), '127.0.0.1');
    assert.equal(source('/ip6/::ffff:7f00:1/tcp/4001'), '127.0.0.1');
    assert.equal(source('/ip6/::1/tcp/4001'), '0:0:0:0::/64');
    assert.equal(source(`/ip4/203.0.113.7/tcp/4001/p2p/${PEER_ID}/p2p-circuit`), undefined);
    assert.equal(source('/dns4/example.com/tcp/4001'), undefined);
  });

  it('reads IPv6 addresses in every spelling: the groups of node:net\'s canonical form', function () {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const groups = ipv6Groups(address);
        assert.ok(groups !== undefined && groups.length === 8, address);
        // The same groups, spelled out in full, are the same address (node:net's URL parser canonicalizes both).
        const full = groups.map((group) => group.toString(16)).join(':');
        assert.ok(isIPv6(full));
        assert.equal(new URL(`http://[${full}]`).hostname, new URL(`http://[${address}]`).hostname, address);
      }),
      { numRuns: 300 },
    );
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3']) assert.equal(ipv6Groups(bad), undefined, bad);
  });
});
