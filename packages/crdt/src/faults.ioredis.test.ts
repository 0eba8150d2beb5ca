import { describeCounterUnderFaults, tcpTarget } from './__tests__/fault-cases.js';

describeCounterUnderFaults(tcpTarget('ioredis', 2));
describeCounterUnderFaults(tcpTarget('ioredis', 3));
