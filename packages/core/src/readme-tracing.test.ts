import { tracingChannel } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import {
  createFerrite,
  defineCommand,
  definePlugin,
  FERRITE_COMMAND_CHANNEL,
  FerriteReplyError,
  readOk,
  type FerriteCommandEvent,
  type Transport,
} from './index.js';

const BEGIN = '// README tracing example: begin';
const END = '// README tracing example: end';

function exampleSource(): string {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const body = source.slice(source.lastIndexOf(BEGIN) + BEGIN.length, source.lastIndexOf(END)).split('\n').slice(1, -1);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

/** An in-test server: what is shown is the subscription, not the transport. */
const transport: Transport = {
  name: 'scripted',
  protocol: 3,
  send: async (command) => {
    if (command.args[0] === 'missing') throw new FerriteReplyError(command.name, 'ERR no such index');
    return 'OK';
  },
  batch: async () => [],
  dedicated: async () => Promise.reject(new Error('not used')),
  close: async () => {},
};
const dropIndex = defineCommand({ name: 'VECTOR.INDEX.DROP', collection: true, encode: (name: string) => [name], decode: readOk });
const indexes = definePlugin({ name: 'vector', setup: (ctx) => ({ dropIndex: (name: string) => ctx.call(dropIndex, name) }) });

it('the README tracing example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };
  const ferrite = createFerrite({ transport, plugins: [indexes] });

  // README tracing example: begin
  const commands = tracingChannel<unknown, FerriteCommandEvent>(FERRITE_COMMAND_CHANNEL);
  const onSettled = (message: unknown) => {
    const event = message as FerriteCommandEvent;
    const target = event.collection === null ? '' : ` ${event.collection}`;
    console.log(`${event.plugin ?? 'send'}: ${event.command}${target} ${event.outcome} ${event.errorClass ?? ''}`.trim());
  };
  commands.asyncEnd.subscribe(onSettled);

  await ferrite.vector.dropIndex('products').catch(() => {}); // vector: VECTOR.INDEX.DROP products ok
  await ferrite.vector.dropIndex('missing').catch(() => {}); // vector: VECTOR.INDEX.DROP missing error FerriteReplyError
  await ferrite.send('SET', 'greeting', 'hello'); // send: SET ok (keys and values are never in the event)
  commands.asyncEnd.unsubscribe(onSettled);
  // README tracing example: end

  expect(printed).toEqual(['vector: VECTOR.INDEX.DROP products ok', 'vector: VECTOR.INDEX.DROP missing error FerriteReplyError', 'send: SET ok']);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(exampleSource());
});
