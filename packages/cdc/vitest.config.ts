import { ferriteProject } from '../../vitest.shared.ts';

// --expose-gc: the memory test of a paused feed measures the heap after a full collection.
export default ferriteProject('cdc', { execArgv: ['--expose-gc'] });
