import { readFileSync } from 'node:fs';

const BEGIN = '// README example: begin';
const END = '// README example: end';

/**
 * The lines of a test file between `// README example: begin` and `// README example: end`,
 * de-indented. A README test runs that code and checks the README contains it verbatim, so the
 * sample users copy is the code that ran.
 */
export function readmeExampleIn(testFile: string | URL): string {
  const source = readFileSync(new URL(testFile), 'utf8');
  const body = source.slice(source.lastIndexOf(BEGIN) + BEGIN.length, source.lastIndexOf(END)).split('\n').slice(1, -1);
  const indent = Math.min(...body.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length));
  return body.map((line) => line.slice(indent)).join('\n');
}
