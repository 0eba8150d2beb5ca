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
  if (parts.length === 1 && typeof parts[0] === 'string') return Buffer.from(parts[0], 'utf8');
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
}
