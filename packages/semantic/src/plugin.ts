import { definePlugin, type FerritePlugin } from '@ferrite/core';
import { DEFAULT_THRESHOLD, type SemanticPluginOptions } from './options.js';
import { createSemanticApi, createSemanticShared, type SemanticApi } from './semantic-api.js';
import { assertThreshold, assertTtl } from './validate.js';

/**
 * The semantic cache plugin: `createFerrite({ transport, plugins: [semantic()] })` gives
 * `ferrite.semantic`. Bad defaults throw here, when the plugin is made, not at the first call.
 */
export function semantic(options: SemanticPluginOptions = {}): FerritePlugin<'semantic', SemanticApi> {
  const threshold = options.threshold === undefined ? DEFAULT_THRESHOLD : options.threshold;
  assertThreshold(threshold);
  if (options.ttl !== undefined) assertTtl(options.ttl);
  const defaults = Object.freeze({ threshold, ttl: options.ttl });
  return definePlugin({
    name: 'semantic',
    state: (context) => createSemanticShared(context, defaults),
    setup: (context, shared) => createSemanticApi(context, defaults, shared),
  });
}
