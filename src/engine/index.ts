// Room: engine. The engine's public surface for the network and extension layers.
export * from './engine.ts';
export * from './memory-network.ts';
export * from './network.ts';
export * from './protocol-stores.ts';
export * from './random.ts';
export * from './scheduler.ts';
export * from './simulate-async.ts';
export * from './store.ts';
