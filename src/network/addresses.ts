// Room: network. May touch: @multiformats/multiaddr, @libp2p/peer-id (pure parsing, no I/O).
// One check of the addresses a user types (CLI flags, extension settings, the Connect command), so an address that
// one of them accepts is not refused by another, and a typo is named before libp2p sees it.
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';

/** `listen`: an address to listen on; `dial`: a peer to reach (bootstrap, Connect), which must end in /p2p/<peer id>. */
export type AddressUse = 'listen' | 'dial';

export const DIAL_ADDRESS_EXAMPLE = '/ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...';

/** Why `text` cannot serve for `use`, in a phrase that reads after the address; undefined when it can. */
export function addressProblem(text: string, use: AddressUse): string | undefined {
  if (text.trim() !== text || text.length === 0) return 'is not a multiaddr (empty, or white space around it)';
  let components;
  try {
    components = multiaddr(text).getComponents();
  } catch (error) {
    return `is not a multiaddr: ${(error as Error).message}`;
  }
  if (use === 'listen') return undefined;
  const last = components.at(-1);
  if (last?.name !== 'p2p' || last.value === undefined) return `must end with /p2p/<peer id>, e.g. ${DIAL_ADDRESS_EXAMPLE}`;
  try {
    peerIdFromString(last.value);
  } catch {
    return `ends with '/p2p/${last.value}', which is not a peer id`;
  }
  return undefined;
}
