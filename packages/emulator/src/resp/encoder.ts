import { formatDouble } from '../engine/format-double.js';
import type { EngineReply } from '../engine/reply.js';

const CRLF = '\r\n';

/** Simple strings and errors are one line: CR and LF would end the frame early. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}

function write(reply: EngineReply, protocol: 2 | 3, parts: Array<string | Buffer>): void {
  switch (reply.kind) {
    case 'simple':
      parts.push(`+${oneLine(reply.value)}${CRLF}`);
      return;
    case 'error':
      parts.push(`-${oneLine(reply.message)}${CRLF}`);
      return;
    case 'integer':
      parts.push(`:${reply.value}${CRLF}`);
      return;
    case 'bulk':
      if (reply.verbatim !== undefined && protocol === 3) parts.push(`=${reply.value.length + 4}${CRLF}${reply.verbatim}:`, reply.value, CRLF);
      else parts.push(`$${reply.value.length}${CRLF}`, reply.value, CRLF);
      return;
    case 'null':
      parts.push(protocol === 3 ? `_${CRLF}` : `$-1${CRLF}`);
      return;
    case 'null-array':
      parts.push(protocol === 3 ? `_${CRLF}` : `*-1${CRLF}`);
      return;
    case 'double': {
      const text = formatDouble(reply.value);
      parts.push(protocol === 3 ? `,${text}${CRLF}` : `$${Buffer.byteLength(text)}${CRLF}${text}${CRLF}`);
      return;
    }
    case 'boolean':
      parts.push(protocol === 3 ? `#${reply.value ? 't' : 'f'}${CRLF}` : `:${reply.value ? 1 : 0}${CRLF}`);
      return;
    case 'array':
    case 'set':
      parts.push(`${reply.kind === 'set' && protocol === 3 ? '~' : '*'}${reply.items.length}${CRLF}`);
      for (const item of reply.items) write(item, protocol, parts);
      return;
    case 'map':
      parts.push(protocol === 3 ? `%${reply.entries.length}${CRLF}` : `*${reply.entries.length * 2}${CRLF}`);
      for (const [key, value] of reply.entries) {
        write(key, protocol, parts);
        write(value, protocol, parts);
      }
      return;
  }
}

/** Encodes a reply in RESP2 (maps flattened, doubles as bulk text, booleans as 1/0) or RESP3. */
export function encodeReply(reply: EngineReply, protocol: 2 | 3): Buffer {
  const parts: Array<string | Buffer> = [];
  write(reply, protocol, parts);
  // One Buffer per run of text between binary values, not one per part: a CDC.POLL reply has a
  // dozen text parts per event, and making a Buffer of each was most of the cost of encoding it.
  const chunks: Buffer[] = [];
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    if (text !== '') chunks.push(Buffer.from(text, 'utf8'));
    text = '';
    chunks.push(part);
  }
  if (chunks.length === 0) return Buffer.from(text, 'utf8');
  if (text !== '') chunks.push(Buffer.from(text, 'utf8'));
  // Always a copy when a binary value is in it: the reply must not share the engine's buffers.
  return Buffer.concat(chunks);
}
