export { glideTransport, type GlideTransportOptions } from './transport.js';
