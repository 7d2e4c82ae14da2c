// Room: network. May touch: @multiformats/multiaddr, @multiformats/multiaddr-matcher, @libp2p/peer-id (pure parsing,
// no I/O).
// One check of the addresses a user types (CLI flags, extension settings, the Connect command), so an address that
// one of them accepts is not refused by another, and a typo is named before libp2p sees it.
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { Circuit, TCP, WebSockets, WebSocketsSecure } from '@multiformats/multiaddr-matcher';

/** `listen`: an address to listen on; `dial`: a peer to reach (bootstrap, Connect), which must end in /p2p/<peer id>. */
export type AddressUse = 'listen' | 'dial';

export const DIAL_ADDRESS_EXAMPLE = '/ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...';

/** Why `text` cannot serve for `use`, in a phrase that reads after the address; undefined when it can. */
export function addressProblem(text: string, use: AddressUse): string | undefined {
  if (text.trim() !== text || text.length === 0) return 'is not a multiaddr (empty, or white space around it)';
  let address;
  try {
    address = multiaddr(text);
  } catch (error) {
    return `is not a multiaddr: ${(error as Error).message}`;
  }
  // What this node's transports can use (src/network/libp2p-network.ts: tcp, websockets, circuit relay): anything
  // else parses, and then fails in libp2p ("No transport was configured") after the data dir was written.
  if (use === 'listen') {
    if (![TCP, WebSockets, Circuit].some((matcher) => matcher.exactMatch(address))) return `is not an address Mutual can listen on: use /ip4|ip6|dns…/tcp/<port>, optionally /ws, or /p2p-circuit (e.g. /ip4/0.0.0.0/tcp/4001)`;
    return undefined;
  }
  const last = address.getComponents().at(-1);
  if (last?.name !== 'p2p' || last.value === undefined) return `must end with /p2p/<peer id>, e.g. ${DIAL_ADDRESS_EXAMPLE}`;
  try {
    peerIdFromString(last.value);
  } catch {
    return `ends with '/p2p/${last.value}', which is not a peer id`;
  }
  if (![TCP, WebSockets, WebSocketsSecure, Circuit].some((matcher) => matcher.exactMatch(address))) return `is not an address Mutual can dial: use /ip4|ip6|dns…/tcp/<port>[/ws|/wss]/p2p/<peer id>, or a relay's address with /p2p-circuit/p2p/<peer id>`;
  return undefined;
}

/** The peer id an address to dial ends with (/p2p/<id>); undefined when it names none. */
export function peerIdOfAddress(text: string): string | undefined {
  try {
    return multiaddr(text).getComponents().findLast((component) => component.name === 'p2p')?.value;
  } catch {
    return undefined;
  }
}

/**
 * Why a dial of `address` failed, said for a person: libp2p's text names identity keys, sockets and its own options
 * ("Payload identity key … does not match expected remote identity key …", "connect ECONNREFUSED", "Can not dial
 * self"), found by a usability pass. Other errors as they are.
 */
export function describeDialFailure(address: string, error: Error): string {
  const message = error.message;
  /** Where the address points, without the peer it names. */
  const where = address.replace(/\/p2p\/[^/]+$/, '');
  if (/does not match expected remote identity key/i.test(message)) return `the peer listening at ${where} is not ${peerIdOfAddress(address) ?? 'the peer this address names'}: check the peer id after /p2p/`;
  if (/ECONNREFUSED/.test(message)) return `nothing listens at ${where}: is the peer running, and are the host and port right?`;
  if (/dial self/i.test(message)) return 'that is your own address';
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|aborted|timed? ?out/i.test(message)) return `no answer from ${where}: is the host reachable from here (network, firewall)?`;
  return message;
}

/**
 * Where an inbound connection comes from, for the per-address connection cap (spec 9.5): an IPv4 address as it is; an
 * IPv6 address by its /64 (one host or home network holds a whole /64, so counting single addresses caps nothing);
 * an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, a dual-stack listener) as its IPv4 address. Undefined for a relayed
 * connection or one without an IP address.
 */
export function connectionSource(address: { getComponents(): readonly { readonly name: string; readonly value?: string }[] }): string | undefined {
  const components = address.getComponents();
  if (components.some((component) => component.name === 'p2p-circuit')) return undefined;
  const ip = components.find((component) => component.name === 'ip4' || component.name === 'ip6');
  if (ip?.value === undefined) return undefined;
  if (ip.name === 'ip4') return ip.value;
  const groups = ipv6Groups(ip.value);
  if (groups === undefined) return ip.value;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail read, a zone dropped). */
export function ipv6Groups(text: string): number[] | undefined {
  let address = text.split('%')[0]!.toLowerCase();
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : Number.NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 ? missing < 1 : missing !== 0) || [...head, ...tail].some(Number.isNaN)) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}
