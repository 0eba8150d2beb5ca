import { defineCommand, FerriteProtocolError, readInteger, readMap, readText, type Reply } from '@ferrite/core';

/** The change log of one server, from `CDC.INFO`. */
export interface CdcLogInfo {
  /** The oldest event id kept; 0 when the log is empty. */
  readonly firstId: number;
  /** The newest event id; 0 when the log is empty. */
  readonly lastId: number;
  /** Events kept now. */
  readonly retained: number;
  /** Most events the server keeps. */
  readonly capacity: number;
  /** Live subscriptions on the whole server. */
  readonly subscriptions: number;
  /**
   * The log's identity (PROTOCOL.md §8.1, v1.2): the same on a primary and its replicas, new when a
   * server starts without data. Absent from a server older than v1.2.
   */
  readonly logId?: string;
  /** How many failovers this log has been through (§8.1); absent before v1.2. */
  readonly epoch?: number;
  /** The first id numbered in the current epoch (§8.1); absent before v1.2. */
  readonly epochStartId?: number;
}

function integerField(info: Map<string, Reply>, name: string): number {
  const value = info.get(name);
  if (value === undefined) throw new FerriteProtocolError(`CDC.INFO without "${name}"`);
  return readInteger(value);
}

/** `CDC.INFO` → the change log's bounds, identity (v1.2) and the server's subscription count. */
export const cdcInfoCommand = defineCommand({
  name: 'CDC.INFO',
  keyIndex: null,
  readonly: true,
  retryable: true,
  encode: () => [],
  decode(reply): CdcLogInfo {
    const info = readMap(reply);
    const decoded: CdcLogInfo = {
      firstId: integerField(info, 'first_id'),
      lastId: integerField(info, 'last_id'),
      retained: integerField(info, 'retained'),
      capacity: integerField(info, 'capacity'),
      subscriptions: integerField(info, 'subscriptions'),
    };
    const logId = info.get('log_id');
    // v1.2 reports the three together; an older server none of them.
    if (logId === undefined || logId === null) return decoded;
    return { ...decoded, logId: readText(logId), epoch: integerField(info, 'epoch'), epochStartId: integerField(info, 'epoch_start_id') };
  },
});
