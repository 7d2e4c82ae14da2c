// Room: network. The network layer's public surface (the extension and the CLI import from here).
export * from './addresses.ts';
export * from './file-storage.ts';
export * from './identity.ts';
export * from './libp2p-network.ts';
export * from './names.ts';
