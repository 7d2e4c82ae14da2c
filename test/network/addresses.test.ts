// Room: test (network). The one address check shared by `mutual peer`, the extension's settings and its Connect command.
import assert from 'node:assert/strict';
import { addressProblem } from '../../src/network/addresses.ts';

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
