export {
  compileFilterOption,
  filter,
  filterFor,
  type FilterBuilder,
  type FilterField,
  type FilterOption,
  type FilterValue,
  type OrderedField,
  type OrderedValue,
} from './builder.js';
export { Filter, type FilterInput } from './filter.js';
