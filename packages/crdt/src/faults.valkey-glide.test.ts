import { describeCounterUnderFaults, tcpTarget } from './__tests__/fault-cases.js';

// RESP3 only, to keep the suite cheap: what these cases exercise (GLIDE's reconnects, lost
// replies, the transport's maybeApplied) does not depend on the protocol; both protocols' replies
// run through GLIDE in the conformance and plugin suites.
describeCounterUnderFaults(tcpTarget('valkey-glide', 3));
