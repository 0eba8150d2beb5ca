import { defineCommand, FerriteProtocolError, readInteger, readMap, type Reply } from '@ferrite/core';

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
}

function integerField(info: Map<string, Reply>, name: string): number {
  const value = info.get(name);
  if (value === undefined) throw new FerriteProtocolError(`CDC.INFO without "${name}"`);
  return readInteger(value);
}

/** `CDC.INFO` → the change log's bounds and the server's subscription count. */
export const cdcInfoCommand = defineCommand({
  name: 'CDC.INFO',
  keyIndex: null,
  readonly: true,
  retryable: true,
  encode: () => [],
  decode(reply): CdcLogInfo {
    const info = readMap(reply);
    return {
      firstId: integerField(info, 'first_id'),
      lastId: integerField(info, 'last_id'),
      retained: integerField(info, 'retained'),
      capacity: integerField(info, 'capacity'),
      subscriptions: integerField(info, 'subscriptions'),
    };
  },
});
