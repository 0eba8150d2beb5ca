export { ioredisTransport, type IoredisTransportOptions } from './transport.js';
