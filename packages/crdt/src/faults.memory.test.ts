import { describeCounterUnderFaults, memoryTarget } from './__tests__/fault-cases.js';

describeCounterUnderFaults(memoryTarget);
