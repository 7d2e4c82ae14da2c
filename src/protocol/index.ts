// Room: protocol (pure). Everything the other layers may use from the protocol.
export * from './schemas.ts';
export * from './limits.ts';
export * from './encoding.ts';
export * from './clock.ts';
export * from './conflict.ts';
export * from './signature.ts';
export * from './validate.ts';
export * from './allocation/index.ts';
