/** Entry point of the emulator child process (see emulator-process.ts): start, report the url, serve. */
import { startEmulator } from '@ferrite/emulator';

const running = await startEmulator({ host: '127.0.0.1', port: 0 });
process.send?.({ url: running.url });

const stop = () => {
  void running.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
