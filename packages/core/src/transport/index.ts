/**
 * The transport kit: what every Ferrite transport needs, for transport authors. Applications use
 * the main entry point of `@ferrite/core`.
 *
 * @module
 */
export { SingleNode, unknownNode } from './nodes.js';
