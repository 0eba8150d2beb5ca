import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suite's long files by name, longest first as measured (the root README's "Developing"):
 * cdc's cluster and failover suites (over a minute each), then the fault and failover suites of
 * every package (half a minute, mostly waiting on real time: deadlines, reconnects, failovers),
 * then the rest of the slow ones (conformance suites, a few seconds to a quarter of a minute).
 */
const LONG_FILES: readonly RegExp[] = [
  /\/cdc\/src\/(failover|cluster)\.[\w-]+\.test\.ts$/,
  /\/(faults|cluster-faults|cluster-membership|failover|failure-policy|semantic-cache-faults|resources|lifecycle)([.-][\w-]+)?\.test\.ts$/,
  /\/(counter-failover|resume|bounded|single-flight|conformance|cdc)([.-][\w-]+)?\.test\.ts$/,
];

/**
 * Starts the long files first, whatever their package. Vitest's own order groups files by
 * project (alphabetically), and a fresh clone has no recorded durations: the fault files of
 * `test-transports` started last, and the run ended on them alone. Started first, their waits
 * overlap the rest of the suite. Within each group vitest's order is kept (recorded durations
 * when there are some, then file size).
 */
export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const path = file.moduleId.replaceAll('\\', '/');
      const index = LONG_FILES.findIndex((pattern) => pattern.test(path));
      return index === -1 ? LONG_FILES.length : index;
    };
    const ranks = new Map(sorted.map((file) => [file, rank(file)]));
    // Array.prototype.sort is stable: vitest's order holds within a rank.
    return sorted.sort((a, b) => ranks.get(a)! - ranks.get(b)!);
  }
}
