export { deleteCommand } from './delete.js';
export { getCommand, type SemanticMatch } from './get.js';
export { setCommand } from './set.js';
export { statsCommand, type SemanticServerStats } from './stats.js';
