// A generated corpus of hostile client frames, each with the answer gangway documents for it.
// Two kinds: frames the connection survives (each data message gets exactly one text frame:
// a reply or an error frame; a ping gets a pong) and frames that end the connection with a
// specific close code (ws's receiver, RFC 6455 §7.4.1).
import { closePayload, encodeFrame, Op, type FrameSpec } from './raw-websocket.js'

/** The text answer expected for one message: the echo reply or an error code. */
export type Answer = 'reply' | 'BAD_FRAME' | 'UNKNOWN_EVENT'

export interface AnsweredCase {
  family: string
  /** One message, possibly in several frames (with control frames interleaved). */
  frames: FrameSpec[]
  /** The text answer, or null when none is due (an unsolicited pong). */
  answer: Answer | null
  pongs: number
}

export interface ClosingCase {
  family: string
  bytes: Buffer
  /** The close code the server must send. */
  closeCode: number
}

type Random = () => number

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const int = (random: Random, max: number) => Math.floor(random() * max)

function junk(random: Random, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += String.fromCharCode(32 + int(random, 95))
  return out
}

const text = (payload: string | Buffer): FrameSpec[] => [{ opcode: Op.text, payload }]
const ask = (family: string, payload: string | Buffer, answer: Answer): AnsweredCase => ({ family, frames: text(payload), answer, pongs: 0 })

/** Values of every JSON type, hostile and not. */
function anyValue(random: Random): unknown {
  return pick<unknown>(random, [
    null, true, false, 0, -0, 1.5, -1e308, 2 ** 53 + 1, '', 'x', junk(random, 20), [], {}, [1, [2, [3]]], { a: { b: 1 } },
    'ü€😀', '\u0000\u001f', { constructor: 1 }, { toString: 'x' }, { then: 1 },
  ])
}

/** Families of frames a connection survives, each generated with its expected answer. */
const answered: Array<(random: Random) => AnsweredCase> = [
  (r) => ask('malformed JSON', pick(r, ['{', '[1,', '{"event":', '"unterminated', 'nul', '{"event":"echo",}', '{event:"echo"}', "{'event':'echo'}"]) + junk(r, int(r, 8)), 'BAD_FRAME'),
  (r) => ask('truncated JSON', JSON.stringify({ event: 'echo', data: { list: [1, 2, 3], s: junk(r, 30) }, id: 1 }).slice(0, 1 + int(r, 50)), 'BAD_FRAME'),
  (r) => ask('empty or blank frame', pick(r, ['', ' ', '\n\t ', '\u00a0']), 'BAD_FRAME'),
  (r) => ask('byte order mark', '\ufeff{"event":"echo","data":1,"id":1}', 'BAD_FRAME'),
  (r) => ask('trailing garbage', JSON.stringify({ event: 'echo', data: 1, id: 1 }) + pick(r, ['x', '}', ',', '{}']), 'BAD_FRAME'),
  (r) => {
    const depth = 65 + int(r, 2000)
    return ask('deeply nested JSON', `{"event":"echo","id":1,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`, 'BAD_FRAME')
  },
  (r) => {
    const depth = 65 + int(r, 500)
    return ask('deeply nested objects', `{"event":"echo","id":1,"data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`, 'BAD_FRAME')
  },
  (r) => ask('unbalanced nesting', '['.repeat(100 + int(r, 5000)), 'BAD_FRAME'),
  (r) => ask('nesting at the limit', `{"event":"echo","id":1,"data":${'['.repeat(63)}${']'.repeat(63)}}`, 'reply'),
  (r) => ask('huge numbers', `{"event":"echo","id":1,"data":${pick(r, ['1e400', '-1e400', '9'.repeat(400 + int(r, 5000)), '1' + '0'.repeat(350), '1e-400', '123456789012345678901234567890'])}}`, 'reply'),
  (r) => ask('non-finite id', `{"event":"echo","data":1,"id":${pick(r, ['1e400', '-1e999', '9'.repeat(400)])}}`, 'BAD_FRAME'),
  (r) => ask('huge string data', JSON.stringify({ event: 'echo', id: 1, data: 'x'.repeat(10_000 + int(r, 200_000)) }), 'reply'),
  (r) => ask('huge string event', JSON.stringify({ event: 'e'.repeat(129 + int(r, 100_000)), id: 1 }), 'BAD_FRAME'),
  (r) => ask('huge string id', JSON.stringify({ event: 'echo', data: 1, id: 'i'.repeat(129 + int(r, 100_000)) }), 'BAD_FRAME'),
  (r) => ask('many keys', JSON.stringify({ event: 'echo', id: 1, data: Object.fromEntries(Array.from({ length: 1000 + int(r, 20_000) }, (_, i) => [`k${i}`, i])) }), 'reply'),
  (r) => ask('top level not an object', JSON.stringify(pick(r, [[], [1, 2], 42, 'echo', true, null, [{ event: 'echo' }]])), 'BAD_FRAME'),
  (r) => ask('event of the wrong type', JSON.stringify({ event: pick<unknown>(r, [1, 0, true, null, {}, [], ['echo'], { toString: 'echo' }, '']), data: anyValue(r), id: 1 }), 'BAD_FRAME'),
  (r) => ask('missing event', JSON.stringify({ data: anyValue(r), id: 1 }), 'BAD_FRAME'),
  (r) => ask('id of the wrong type', JSON.stringify({ event: 'echo', data: 1, id: pick<unknown>(r, [true, false, {}, [], [1], { n: 1 }]) }), 'BAD_FRAME'),
  (r) => ask('data of any type', JSON.stringify({ event: 'echo', data: anyValue(r), id: pick(r, [1, 0, -1, 2 ** 53, 1.5, 'a', '', 'ü', null]) }), 'reply'),
  (r) => ask('unknown event', JSON.stringify({ event: pick(r, ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ECHO', 'echo ', junk(r, 1 + int(r, 100))]), data: 1, id: 1 }), 'UNKNOWN_EVENT'),
  (r) => ask('duplicate keys', `{"event":"echo","event":"${pick(r, ['nope', '__proto__'])}","id":1}`, 'UNKNOWN_EVENT'),
  (r) => {
    const depth = int(r, 6)
    const inner = `{"__proto__":{"polluted":${int(r, 9)}}}`
    return ask('__proto__ key', `{"event":"echo","id":1,"data":${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}}`, 'BAD_FRAME')
  },
  (r) => ask('__proto__ at the top level', `{"event":"echo","id":1,"__proto__":{"polluted":true}}`, 'BAD_FRAME'),
  (r) => ask('__proto__ in an array', `{"event":"echo","id":1,"data":[1,[{"__proto__":{"polluted":${int(r, 9)}}}]]}`, 'BAD_FRAME'),
  (r) => ask('constructor.prototype', `{"event":"echo","id":1,"data":{"x":{"constructor":{"prototype":{"polluted":${int(r, 9)}}}}}}`, 'BAD_FRAME'),
  (r) => ask('escaped __proto__ key', `{"event":"echo","id":1,"data":{"${pick(r, ['\\u005f\\u005fproto\\u005f\\u005f', '__\\u0070roto__', '\\u005F_proto__'])}":{"polluted":1}}}`, 'BAD_FRAME'),
  (r) => ask('escaped constructor.prototype', `{"event":"echo","id":1,"data":{"constructor":{"${pick(r, ['prot\\u006ftype', '\\u0070rototype'])}":{"polluted":1}}}}`, 'BAD_FRAME'),
  (r) => ({ family: 'binary frame', frames: [{ opcode: Op.binary, payload: Buffer.from(pick(r, ['{"event":"echo","id":1}', junk(r, 40), ''])) }], answer: 'BAD_FRAME', pongs: 0 }),
  (r) => {
    const payload = Buffer.from(JSON.stringify({ event: 'echo', data: junk(r, 200), id: 1 }))
    const parts = 2 + int(r, 20)
    const frames: FrameSpec[] = []
    const size = Math.ceil(payload.length / parts)
    let pongs = 0
    for (let i = 0; i * size < payload.length; i++) {
      frames.push({ opcode: i === 0 ? Op.text : Op.continuation, fin: (i + 1) * size >= payload.length, payload: payload.subarray(i * size, (i + 1) * size) })
      if (r() < 0.3 && (i + 1) * size < payload.length) {
        frames.push({ opcode: Op.ping, payload: junk(r, int(r, 126)) }) // control frames may sit between fragments
        pongs++
      }
    }
    return { family: 'fragmented message', frames, answer: 'reply', pongs }
  },
  (r) => ({ family: 'fragmented binary', frames: [{ opcode: Op.binary, fin: false, payload: junk(r, 3) }, { opcode: Op.continuation, payload: 'cd' }], answer: 'BAD_FRAME', pongs: 0 }),
  (r) => ({ family: 'empty fragments', frames: [{ opcode: Op.text, fin: false, payload: '' }, { opcode: Op.continuation, fin: false, payload: '' }, { opcode: Op.continuation, payload: '{"event":"echo","data":' + int(r, 99) + ',"id":1}' }], answer: 'reply', pongs: 0 }),
  (r) => ({ family: 'ping with payload', frames: [{ opcode: Op.ping, payload: junk(r, int(r, 126)) }], answer: null, pongs: 1 }),
  (r) => ({ family: 'unsolicited pong', frames: [{ opcode: Op.pong, payload: junk(r, int(r, 126)) }], answer: null, pongs: 0 }),
]

/** The answered corpus: `count` cases drawn from every family in turn, then at random. */
export function answeredCorpus(random: Random, count: number): AnsweredCase[] {
  return Array.from({ length: count }, (_, i) => (i < answered.length ? answered[i]! : pick(random, answered))(random))
}

function invalidUtf8(random: Random): Buffer {
  return Buffer.from(
    pick(random, [
      [0xff],
      [0xfe],
      [0xc0, 0x80], // overlong NUL
      [0xc1, 0xbf],
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xed, 0xbf, 0xbf],
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0x80], // lone continuation byte
      [0xe2, 0x82], // truncated sequence
      [0xf0, 0x9f, 0x98], // truncated emoji
    ]),
  )
}

const INVALID_CLOSE_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
const UNKNOWN_OPCODES = [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]
const bytes = (...specs: FrameSpec[]) => Buffer.concat(specs.map(encodeFrame))
const closing = (family: string, closeCode: number, ...specs: FrameSpec[]): ClosingCase => ({ family, bytes: bytes(...specs), closeCode })

/** Families of frames that end the connection, each with the close code the server must send. */
const closingFamilies: Array<(random: Random, maxPayload: number) => ClosingCase> = [
  (r) => {
    const bad = invalidUtf8(r)
    const json = Buffer.concat([Buffer.from('{"event":"echo","id":1,"data":"ok '), bad, Buffer.from('"}')])
    return closing('invalid UTF-8 text', 1007, { opcode: Op.text, payload: json })
  },
  (r) => {
    // The bad sequence split across two fragments: validated on the whole message.
    const bad = Buffer.concat([Buffer.from('{"event":"echo","data":"'), invalidUtf8(r), Buffer.from('"}')])
    const cut = 1 + int(r, bad.length - 1)
    return closing('invalid UTF-8 across fragments', 1007, { opcode: Op.text, fin: false, payload: bad.subarray(0, cut) }, { opcode: Op.continuation, payload: bad.subarray(cut) })
  },
  (r) => closing('invalid UTF-8 close reason', 1007, { opcode: Op.close, payload: closePayload(1000, invalidUtf8(r)) }),
  (r) => closing('control frame over 125 bytes', 1002, { opcode: pick(r, [Op.ping, Op.pong, Op.close]), payload: Buffer.alloc(126 + int(r, 2000), 0x61) }),
  (r) => closing('fragmented ping', 1002, { opcode: pick(r, [Op.ping, Op.pong, Op.close]), fin: false, payload: 'p' }),
  (r) => closing('RSV bits without an extension', 1002, { opcode: pick(r, [Op.text, Op.binary, Op.ping, Op.continuation]), rsv: 1 + int(r, 7), payload: '{"event":"echo"}' }),
  (r) => closing('unknown opcode', 1002, { opcode: pick(r, UNKNOWN_OPCODES), payload: junk(r, int(r, 50)) }),
  (r) => closing('unmasked client frame', 1002, { opcode: pick(r, [Op.text, Op.binary, Op.ping, Op.close]), mask: false, payload: '{"event":"echo","id":1}' }),
  (r) => closing('invalid close code', 1002, { opcode: Op.close, payload: closePayload(pick(r, INVALID_CLOSE_CODES), junk(r, int(r, 20))) }),
  () => closing('close payload of one byte', 1002, { opcode: Op.close, payload: Buffer.from([0x03]) }),
  (r) => closing('continuation without a start', 1002, { opcode: Op.continuation, fin: r() < 0.5, payload: 'x' }),
  (r) => closing('new message inside a fragmented one', 1002, { opcode: Op.text, fin: false, payload: '{"ev' }, { opcode: pick(r, [Op.text, Op.binary]), payload: 'x' }),
  (_r, maxPayload) => closing('frame over maxPayload', 1009, { opcode: Op.text, payload: Buffer.alloc(maxPayload + 1, 0x20) }),
  () => closing('64-bit length over 2^53 - 1', 1009, { opcode: Op.text, payload: Buffer.alloc(0), declaredLength: 2n ** 63n }),
  (r, maxPayload) => closing('declared length over maxPayload', 1009, { opcode: pick(r, [Op.text, Op.binary]), payload: Buffer.alloc(0), declaredLength: BigInt(maxPayload + 1 + int(r, 1e9)) }),
  (_r, maxPayload) => {
    // The fragments together exceed maxPayload, each under it.
    const half = Buffer.alloc(Math.ceil(maxPayload / 2) + 1, 0x20)
    return closing('fragments over maxPayload', 1009, { opcode: Op.text, fin: false, payload: half }, { opcode: Op.continuation, payload: half })
  },
  () => {
    // CVE-2026-48779 shape: 1-byte continuation frames, far more than maxFragments (128 by default).
    const specs: FrameSpec[] = [{ opcode: Op.text, fin: false, payload: 'x' }]
    for (let i = 0; i < 1500; i++) specs.push({ opcode: Op.continuation, fin: false, payload: 'x' })
    return closing('1-byte continuation flood', 1008, ...specs)
  },
  (r) => {
    const code = pick(r, [1000, 1001, 1002, 1003, 1007, 1008, 1011, 3000, 4000, 4999])
    return closing('valid close, echoed', code, { opcode: Op.close, payload: closePayload(code, junk(r, int(r, 100))) })
  },
  () => closing('empty close, echoed empty', 1005, { opcode: Op.close }),
]

/** The closing corpus: every family once, then drawn at random. */
export function closingCorpus(random: Random, count: number, maxPayload: number): ClosingCase[] {
  return Array.from({ length: count }, (_, i) => (i < closingFamilies.length ? closingFamilies[i]! : pick(random, closingFamilies))(random, maxPayload))
}
