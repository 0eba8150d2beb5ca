export { FerriteInstrumentation, type FerriteInstrumentationConfig } from './instrumentation.js';
export {
  ATTR_FERRITE_PLUGIN,
  ATTR_FERRITE_TRANSPORT,
  DB_SYSTEM_NAME_VALUE_FERRITE,
} from './attributes.js';
