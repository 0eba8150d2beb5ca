export { Emulator, type Embedder, type EmulatorOptions } from './engine/emulator.js';
export { startEmulator, DEFAULT_QUERY_BUFFER_LIMIT, type RunningEmulator, type StartEmulatorOptions } from './server.js';
export {
  startEmulatorCluster,
  type EmulatorClusterNode,
  type MoveSlotOptions,
  type RunningEmulatorCluster,
  type StartEmulatorClusterOptions,
} from './cluster/start.js';
export type { RedirectCounts } from './cluster/node-hooks.js';
export { memoryTransport, type MemoryTransportOptions } from './memory-transport.js';
export { memoryServer, type MemoryServer, type MemoryServerOptions } from './memory-server.js';
export * from './fault-proxy.js';
