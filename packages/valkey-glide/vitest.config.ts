import { ferriteProject } from '../../vitest.shared.ts';

export default ferriteProject('valkey-glide');
