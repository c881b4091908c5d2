// One loopback port that answers both plain HTTP (Google, admin API) and HTTPS (Graph): the
// first byte of a TLS connection is a handshake record (0x16); anything else is HTTP.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { TLSSocket, createSecureContext } from 'node:tls';

const open = new WeakMap<NetServer, Set<Socket>>();

/** Ends every open connection (clients' keep-alive sockets would otherwise hold close() for seconds). */
export function destroyConnections(server: NetServer): void {
  for (const s of open.get(server) ?? []) s.destroy();
}

export function polyglotListener(http: HttpServer, tls: { cert: string; key: string }): NetServer {
  const secureContext = createSecureContext({ cert: tls.cert, key: tls.key });
  const sockets = new Set<Socket>();
  const server = createNetServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === 0x16) {
        const secure = new TLSSocket(socket, { isServer: true, secureContext });
        http.emit('connection', secure);
      } else {
        http.emit('connection', socket);
      }
      process.nextTick(() => socket.resume());
    });
    socket.on('error', () => socket.destroy());
  });
  open.set(server, sockets);
  return server;
}
