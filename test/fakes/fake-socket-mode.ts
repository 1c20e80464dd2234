import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FakeSlackApi } from './fake-slack-api.js';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** An envelope Rotor acknowledged over the socket, with the payload it answered (if any). */
export interface SocketAck {
  envelopeId: string;
  payload: unknown;
}

/**
 * Slack's Socket Mode server, enough of it for tests: answers apps.connections.open (through
 * the fake Web API) with a ws:// URL on the same port, speaks RFC 6455 framing by hand (text,
 * ping/pong, close), says `hello`, pushes envelopes and records the client's acks.
 */
export class FakeSocketMode {
  readonly acks: SocketAck[] = [];
  private socket: Duplex | undefined;
  private buffered = Buffer.alloc(0);
  private connectedWaiters: (() => void)[] = [];
  private ackWaiters: { envelopeId: string; resolve: (ack: SocketAck) => void }[] = [];

  constructor(api: FakeSlackApi) {
    api.socketModeUrl = `ws://127.0.0.1:${api.port}/socket-mode`;
    api.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.accept(req, socket));
  }

  /** Resolves once a client has connected and been sent `hello`. */
  connected(): Promise<void> {
    if (this.socket) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /** Pushes one envelope (e.g. `slash_commands` with a command payload) and resolves with its ack. */
  push(type: 'slash_commands' | 'interactive' | 'events_api', payload: unknown, retryAttempt = 0): Promise<SocketAck> {
    const envelopeId = randomUUID();
    const acked = new Promise<SocketAck>((resolve) => {
      const already = this.acks.find((ack) => ack.envelopeId === envelopeId);
      if (already) resolve(already);
      else this.ackWaiters.push({ envelopeId, resolve });
    });
    this.sendText(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        retry_attempt: retryAttempt,
        retry_reason: '',
      }),
    );
    return acked;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private accept(req: IncomingMessage, socket: Duplex): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || !req.url?.startsWith('/socket-mode')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WEBSOCKET_GUID)
      .digest('base64');
    socket.write(
      ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join(
        '\r\n',
      ),
    );
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    this.sendText(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        connection_info: { app_id: 'A0ROTOR' },
        debug_info: { host: 'fake-socket-mode' },
      }),
    );
    for (const resolve of this.connectedWaiters.splice(0)) resolve();
  }

  private sendFrame(opcode: number, payload: Buffer): void {
    const length = payload.length;
    const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (length >= 126 && length < 65_536) {
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(length, 2);
    } else if (length >= 65_536) {
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    this.socket?.write(Buffer.concat([header, payload]));
  }

  private sendText(text: string): void {
    this.sendFrame(0x1, Buffer.from(text, 'utf8'));
  }

  /** Client frames are always masked (RFC 6455 §5.3); unmask, then act on each complete frame. */
  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (this.buffered.length < 2) return;
      const opcode = (this.buffered[0] as number) & 0x0f;
      let length = (this.buffered[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffered.length < 4) return;
        length = this.buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffered.length < 10) return;
        length = Number(this.buffered.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffered.length < offset + 4 + length) return;
      const mask = this.buffered.subarray(offset, offset + 4);
      const payload = Buffer.from(this.buffered.subarray(offset + 4, offset + 4 + length));
      for (let index = 0; index < payload.length; index += 1) payload[index] = (payload[index] as number) ^ (mask[index % 4] as number);
      this.buffered = this.buffered.subarray(offset + 4 + length);
      this.handleFrame(opcode, payload);
    }
  }

  private handleFrame(opcode: number, payload: Buffer): void {
    if (opcode === 0x9) return this.sendFrame(0xa, payload);
    if (opcode === 0x8) {
      this.sendFrame(0x8, payload.subarray(0, 2));
      this.socket?.end();
      this.socket = undefined;
      return;
    }
    if (opcode !== 0x1) return;
    const message = JSON.parse(payload.toString('utf8')) as { envelope_id?: string; payload?: unknown };
    if (!message.envelope_id) return;
    const ack = { envelopeId: message.envelope_id, payload: message.payload };
    this.acks.push(ack);
    for (const waiter of this.ackWaiters.filter((candidate) => candidate.envelopeId === ack.envelopeId)) {
      this.ackWaiters.splice(this.ackWaiters.indexOf(waiter), 1);
      waiter.resolve(ack);
    }
  }
}
