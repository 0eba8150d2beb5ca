// CPU µs per op of each variant (less sensitive to other processes than wall time).
export async function cpuPerOp(fn, calls, inFlight = 64) {
  let issued = 0;
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, async () => { while (issued < calls) { issued++; await fn(); } }));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / calls;
}
export async function compare(variants, names, calls, rounds = 6) {
  const sums = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names) await cpuPerOp(variants[n], 3000);
  for (let r = 0; r < rounds; r++) for (const n of r % 2 ? [...names].reverse() : names) sums[n] += await cpuPerOp(variants[n], calls);
  const base = sums[names[0]];
  for (const n of names) console.log(n.padEnd(12), (sums[n] / rounds).toFixed(2), 'µs/op', 'ratio(cpu)', (base / sums[n]).toFixed(3));
}
