import { definePlugin, type FerritePlugin } from '@ferrite/core';
import { VectorSession } from './session.js';
import { createVectorApi, type VectorApi } from './vector-api.js';

/**
 * The vector plugin: `createFerrite({ transport, plugins: [vector()] })` gives `ferrite.vector`.
 * Each client remembers index dimensions, shared by its views and `extend()`ed clients.
 */
export function vector(): FerritePlugin<'vector', VectorApi> {
  return definePlugin({
    name: 'vector',
    state: (): Map<string, number> => new Map(),
    setup: (context, dimensions) => createVectorApi(new VectorSession(context, dimensions)),
  });
}
