import { definePlugin } from '@ferrite/core';
import { VectorSession } from './session.js';
import { createVectorApi } from './vector-api.js';

/**
 * The vector plugin: `createFerrite({ transport, plugins: [vector()] })` gives `ferrite.vector`.
 * Each client gets its own remembered index dimensions.
 */
export function vector() {
  return definePlugin({
    name: 'vector',
    setup: (context) => createVectorApi(new VectorSession(context)),
  });
}
