import { createFerrite } from '@ferrite/core';
import { nodeRedisTransport } from '@ferrite/node-redis';
const N = Number(process.argv[2] ?? 500000);
async function run(label, fn) {
  const best = [];
  for (let r = 0; r < 7; r++) {
    let issued = 0;
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 64 }, async () => { while (issued < N) { issued++; await fn(); } }));
    best.push(Number(process.hrtime.bigint() - t) / N);
  }
  best.sort((a, b) => a - b);
  console.log(label.padEnd(28), best[0].toFixed(0), 'ns/op (min)', best[3].toFixed(0), 'median');
}
const reply = Buffer.from('a small value');
const stubTransport = { name: 'stub', protocol: 3, send: () => Promise.resolve('a small value'), batch: async () => [], dedicated: async () => { throw new Error(); }, close: async () => {} };
const f = createFerrite({ transport: stubTransport });
await run('stub direct', () => stubTransport.send({ name: 'GET', args: ['k'] }));
await run('ferrite.send over stub', () => f.send('GET', 'k'));
// node-redis transport over a stub connection
const conn = { isOpen: true, isReady: true, options: { RESP: 3, socket: { host: '127.0.0.1', port: 1 } }, sendCommand: (args, o) => Promise.resolve(reply), on() {}, withCommandOptions() { return this; }, duplicate() {}, connect: async () => {}, close: async () => {}, destroy() {} };
const nt = nodeRedisTransport(conn);
await run('stub sendCommand', () => conn.sendCommand(['GET', 'k']));
await run('node-redis transport', () => nt.send({ name: 'GET', args: ['k'] }));
const f2 = createFerrite({ transport: nt });
await run('ferrite over node-redis t', () => f2.send('GET', 'k'));
