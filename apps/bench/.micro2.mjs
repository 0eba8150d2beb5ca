import { createFerrite } from '@ferrite/core';
const N = Number(process.argv[2] ?? 3000000);
const stubTransport = { name: 'stub', protocol: 3, send: () => Promise.resolve('a small value'), batch: async () => [], dedicated: async () => { throw new Error(); }, close: async () => {} };
const f = createFerrite({ transport: stubTransport });
let issued = 0;
const t = process.hrtime.bigint();
await Promise.all(Array.from({ length: 64 }, async () => { while (issued < N) { issued++; await f.send('GET', 'k'); } }));
console.log(Number(process.hrtime.bigint() - t) / N, 'ns/op');
