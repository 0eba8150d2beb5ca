import { describeCounterUnderFaults, tcpTarget } from './__tests__/fault-cases.js';

describeCounterUnderFaults(tcpTarget('node-redis', 2));
describeCounterUnderFaults(tcpTarget('node-redis', 3));
