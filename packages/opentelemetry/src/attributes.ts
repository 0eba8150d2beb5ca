// Stable database semantic conventions (v1.33+), written out so that the package has no
// dependency besides the OpenTelemetry API and the instrumentation base class.

/** `db.system.name`: which database product. */
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
/** `db.operation.name`: the command (`VECTOR.SEARCH`), or `BATCH …` for a pipeline. */
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
/** `db.collection.name`: the vector index or semantic namespace. */
export const ATTR_DB_COLLECTION_NAME = 'db.collection.name';
/** `db.namespace`: the logical database index, as text. */
export const ATTR_DB_NAMESPACE = 'db.namespace';
/** `db.operation.batch.size`: how many commands a pipeline sent. */
export const ATTR_DB_OPERATION_BATCH_SIZE = 'db.operation.batch.size';
/** `db.query.text`: the command with its arguments, only with `captureQueryText`. */
export const ATTR_DB_QUERY_TEXT = 'db.query.text';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
/** `error.type`: the error class (`FerriteReplyError`, `FerriteTimeoutError`, …). */
export const ATTR_ERROR_TYPE = 'error.type';
/** The Ferrite plugin whose API issued the command (`vector`, `semantic`); absent for `ferrite.send`. */
export const ATTR_FERRITE_PLUGIN = 'ferrite.plugin';
/** The transport that ran it (`ioredis`, `node-redis`, `memory`). */
export const ATTR_FERRITE_TRANSPORT = 'ferrite.transport';

/** The value of `db.system.name` on every span and measurement. */
export const DB_SYSTEM_NAME_VALUE_FERRITE = 'ferrite';
/** The histogram of operation durations, in seconds. */
export const METRIC_DB_CLIENT_OPERATION_DURATION = 'db.client.operation.duration';
