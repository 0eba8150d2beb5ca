import { describe, expect, it, vi } from 'vitest';
import { createFerrite } from './client.js';
import { cancelDeadline, deadlineQueueCount, scheduleDeadline, type Deadline } from './deadline-queue.js';
import type { Transport } from './transport.js';

const answering: Transport = {
  name: 'answering',
  protocol: 3,
  send: () => Promise.resolve('OK'),
  batch: () => Promise.resolve([]),
  dedicated: () => Promise.reject(new Error('not here')),
  close: () => Promise.resolve(),
};

describe('deadline queues', () => {
  it('leave nothing behind after 100 000 calls with distinct timeouts', async () => {
    const ferrite = createFerrite({ transport: answering });
    const before = deadlineQueueCount();
    for (let i = 0; i < 100_000; i += 1000) {
      // A budget shrinking call by call, as `withOptions({ timeout: budget - elapsed })` gives.
      await Promise.all(Array.from({ length: 1000 }, (_, j) => ferrite.withOptions({ timeout: 200_000 - (i + j) - 0.5 }).send('PING')));
    }
    expect(deadlineQueueCount()).toBeLessThanOrEqual(Math.max(before, 33));
    await ferrite.close();
  });

  it('fires on the monotonic clock: a step of the wall clock moves no deadline', async () => {
    const realNow = Date.now;
    let fired = false;
    const deadline: Deadline = { at: 0, queue: null, expire: () => void (fired = true) };
    scheduleDeadline(60, deadline);
    try {
      // The wall clock goes back an hour (an NTP step): the deadline still fires after 60 ms.
      Date.now = () => realNow() - 3_600_000;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(fired).toBe(false);
      await vi.waitFor(() => expect(fired).toBe(true), { timeout: 2000, interval: 10 });
    } finally {
      Date.now = realNow;
      cancelDeadline(deadline);
    }
  });
});
