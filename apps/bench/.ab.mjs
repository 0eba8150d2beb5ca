// Median ratio over many short alternating rounds: robust to the machine's other load.
export async function ab(raw, sdk, { calls, inFlight, rounds = 41 }) {
  const timed = async (fn) => {
    let issued = 0;
    const t = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => { while (issued < calls) { issued++; await fn(); } }));
    return performance.now() - t;
  };
  await timed(raw); await timed(sdk); await timed(raw); await timed(sdk);
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    let a, b;
    if (r % 2) { a = await timed(raw); b = await timed(sdk); } else { b = await timed(sdk); a = await timed(raw); }
    ratios.push(a / b);
  }
  ratios.sort((x, y) => x - y);
  const q = (p) => ratios[Math.floor(p * (rounds - 1))];
  return { median: q(0.5), q25: q(0.25), q75: q(0.75) };
}
