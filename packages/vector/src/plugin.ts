import { definePlugin, type FerritePlugin } from '@ferrite/core';
import { VectorSession } from './session.js';
import { createVectorApi, type VectorApi } from './vector-api.js';

/**
 * The vector plugin: `createFerrite({ transport, plugins: [vector()] })` gives `ferrite.vector`.
 * Each client gets its own remembered index dimensions.
 */
export function vector(): FerritePlugin<'vector', VectorApi> {
  return definePlugin({
    name: 'vector',
    setup: (context) => createVectorApi(new VectorSession(context)),
  });
}
