export { semanticDeleteCommand } from './delete.js';
export { semanticGetCommand, type SemanticMatch } from './get.js';
export { semanticSetCommand } from './set.js';
export { semanticStatsCommand, type SemanticServerStats } from './stats.js';
