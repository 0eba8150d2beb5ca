export { Emulator, type Embedder, type EmulatorOptions } from './engine/emulator.js';
export { startEmulator, type RunningEmulator, type StartEmulatorOptions } from './server.js';
export { memoryTransport, type MemoryTransportOptions } from './memory-transport.js';
export * from './fault-proxy.js';
