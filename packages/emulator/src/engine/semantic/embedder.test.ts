import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSION, defaultEmbedder, normaliseText } from './embedder.js';
import { cosineSimilarity, formatSimilarity } from './similarity.js';

function similarity(a: string, b: string): number {
  return cosineSimilarity(defaultEmbedder(a), defaultEmbedder(b));
}

describe('defaultEmbedder', () => {
  it('normalises case, punctuation and whitespace', () => {
    expect(normaliseText('  What IS the\tcapital,   of France?! ')).toBe('what is the capital of france');
  });

  it('is deterministic, fixed-size and unit length', () => {
    const embedding = defaultEmbedder('hello world');
    expect(embedding).toHaveLength(EMBEDDING_DIMENSION);
    expect(defaultEmbedder('hello world')).toEqual(embedding);
    const norm = Math.sqrt(embedding.reduce((sum, x) => sum + x * x, 0));
    expect(norm).toBeCloseTo(1, 6);
  });

  it.each([
    ['What is the capital of France?', 'what is the capital of france'],
    ['Hello,   WORLD!', 'hello world'],
    ['', '?!'],
    ['naïve café', 'NAÏVE CAFÉ'],
  ])('scores identical normalised texts exactly 1: %j ~ %j', (a, b) => {
    expect(similarity(a, b)).toBe(1);
    expect(formatSimilarity(similarity(a, b))).toBe('1.000000');
  });

  it.each([
    ['What is the capital of France?', 'How do I bake sourdough bread'],
    ['cat', 'cats'],
    ['running fast', 'runner quickly'],
    ['the weather today', 'climate forecast'],
    ['hello', 'world'],
    ['a', 'b'],
    ['', 'anything at all'],
    ['internationalization', 'internationalizations'],
    ['supercalifragilisticexpialidocious', 'supercalifragilisticexpialidociousness'],
    ['abc1 abc2 abc3 abc4 abc5 abc6 abc7 abc8', 'abc'],
  ])('scores texts that share no words below 0.5: %j vs %j', (a, b) => {
    expect(similarity(a, b)).toBeLessThan(0.5);
  });

  it('scores paraphrases that share most words high', () => {
    expect(similarity('What is the capital of France?', 'what is the capital city of France')).toBeGreaterThan(0.7);
  });

  it('keeps texts without shared words apart across many random pairs', () => {
    const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango'.split(' ');
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let worst = 0;
    for (let i = 0; i < 200; i++) {
      const shuffled = words.map((word) => ({ word, rank: random() })).sort((x, y) => x.rank - y.rank).map((x) => x.word);
      const a = shuffled.slice(0, 1 + (i % 5)).join(' ');
      const b = shuffled.slice(10, 11 + (i % 7)).join(' ');
      worst = Math.max(worst, similarity(a, b));
    }
    expect(worst).toBeLessThan(0.5);
  });
});

describe('defaultEmbedder (properties)', () => {
  const word = fc.stringMatching(/^[a-z0-9]{1,14}$/);

  it('scores texts that share no words below 0.5, even words that differ by a suffix', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), fc.array(word, { maxLength: 8 }), fc.constantFrom('', 's', 'ing', 'x'), (left, right, suffix) => {
        const rightWords = [...right, ...left.map((w) => w + suffix)].filter((w) => !left.includes(w));
        fc.pre(rightWords.length > 0);
        expect(similarity(left.join(' '), rightWords.join(' '))).toBeLessThan(0.5);
      }),
      { numRuns: 400 },
    );
  });

  it('scores texts that differ only in case, punctuation and spacing exactly 1', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), fc.array(fc.constantFrom(' ', '  ', '\t', ', ', '! ', ' - '), { minLength: 8, maxLength: 8 }), (words, separators) => {
        const plainText = words.join(' ');
        const noisy = words.map((w, i) => (i % 2 === 0 ? w.toUpperCase() : w) + (separators[i] ?? ' ')).join('');
        expect(similarity(plainText, `  ${noisy}?`)).toBe(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('cosineSimilarity', () => {
  it('clamps to [0, 1] and is 0 for zero or mismatched vectors', () => {
    expect(cosineSimilarity(new Float32Array([1, 0]), new Float32Array([-1, 0]))).toBe(0);
    expect(cosineSimilarity(new Float32Array([0, 0]), new Float32Array([1, 0]))).toBe(0);
    expect(cosineSimilarity(new Float32Array([1]), new Float32Array([1, 0]))).toBe(0);
    expect(cosineSimilarity(new Float32Array([0.1, 0.7, 0.3]), new Float32Array([0.1, 0.7, 0.3]))).toBe(1);
  });
});
