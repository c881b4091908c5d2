// pglite-socket 0.2 serves many connections from one PGlite session through a queue of single
// protocol messages. It keeps a connection's messages together only inside a transaction, so
// two connections' extended-query exchanges (Parse/Bind/Execute … Sync) interleave outside one:
// connection B's Parse replaces A's unnamed statement before A's Bind, and A binds its values to
// B's query (seen here as Postgres error 22007 and rows written to the wrong statement). It also
// leaves its queue stuck after one failed message. This replaces the queue's scheduler on our
// server instance so that an exchange runs from its first message to its Sync (or a simple Query)
// without another connection in between, and a failure never stalls the queue.
// The fix belongs upstream; until then this is the one place that knows the queue's shape.
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
  onData: (data: Uint8Array) => void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(fn: () => Promise<T>): Promise<T>;
    execProtocolRawStream(m: Uint8Array, o: { onRawData: (d: Uint8Array) => void }): Promise<unknown>;
  };
  processQueue(): Promise<void>;
  clearQueueForHandler(id: number): void;
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

export function serializeExchanges(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== 'function') {
    throw new Error('pglite-socket internals changed: review worker/db/socket-queue.ts');
  }
  let owner: number | null = null;

  q.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const holder = owner ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = holder === null ? 0 : this.queue.findIndex((m) => m.handlerId === holder);
        if (index === -1) break; // the holder's next message has not arrived yet
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (d) => {
                bytes += d.length;
                item.onData(d);
              },
            }),
          );
        } catch (err) {
          owner = null;
          item.reject(err);
          continue;
        }
        const type = item.message[0];
        // Startup messages begin with a length (first byte 0): never part of an exchange.
        owner = type === SYNC || type === QUERY || type === TERMINATE || type === 0 ? null : item.handlerId;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }.bind(q);

  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (id: number) => {
    clear(id);
    if (owner === id) owner = null;
    void q.processQueue();
  };
}
