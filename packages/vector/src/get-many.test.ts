import { createFerrite, FerriteValidationError } from '@ferrite/core';
import { describeEachTransport } from '@ferrite/test-transports';
import { expect, it } from 'vitest';
import { VectorIndexNotFoundError } from './errors.js';
import { vector } from './plugin.js';

describeEachTransport(
  'vector getMany',
  (harness) => {
    const open = () => createFerrite({ transport: harness.transport, plugins: [vector()] });

    it('reads several vectors in one pipeline, in the order asked, null for the absent', async () => {
      const ferrite = open();
      const index = `get-many-${harness.target.label.replaceAll(' ', '-')}`;
      await ferrite.vector.createIndex(index, { dim: 2 });
      await ferrite.vector.add(index, 'a', [1, 0], { tag: 'first' });
      await ferrite.vector.add(index, 'b', [0, 1]);
      const before = harness.commandsProcessed();
      const records = await ferrite.vector.getMany(index, ['b', 'missing', 'a']);
      expect(harness.commandsProcessed() - before).toBe(3);
      expect(records.map((record) => record && { id: record.id, vector: Array.from(record.vector), metadata: { ...record.metadata } })).toEqual([
        { id: 'b', vector: [0, 1], metadata: {} },
        null,
        { id: 'a', vector: [1, 0], metadata: { tag: 'first' } },
      ]);
      expect(await ferrite.vector.getMany(index, [])).toEqual([]);
    });

    it('rejects with the first failure, and bad ids before anything is sent', async () => {
      const ferrite = open();
      await expect(ferrite.vector.getMany('no-such-index-for-get-many', ['a'])).rejects.toBeInstanceOf(VectorIndexNotFoundError);
      await expect(ferrite.vector.getMany('x', ['ok', ''])).rejects.toBeInstanceOf(FerriteValidationError);
      await expect(ferrite.vector.getMany('x', 'a' as unknown as string[])).rejects.toBeInstanceOf(FerriteValidationError);
    });
  },
  { cluster: true },
);
