/**
 * Entry point of the emulator child process (see emulator-process.ts): start, report the url,
 * serve. `--cluster N`: a cluster of N primaries, whose first node's url is reported.
 */
import { startEmulator, startEmulatorCluster } from '@ferrite/emulator';

const clusterFlag = process.argv.indexOf('--cluster');
const primaries = clusterFlag === -1 ? 0 : Number(process.argv[clusterFlag + 1]);
const running = primaries > 0 ? await startEmulatorCluster({ host: '127.0.0.1', port: 0, primaries }) : await startEmulator({ host: '127.0.0.1', port: 0 });
process.send?.({ url: running.url });

const stop = () => {
  void running.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
