// One loopback port that answers both plain HTTP (Google, admin API) and HTTPS (Graph): the
// first byte of a TLS connection is a handshake record (0x16); anything else is HTTP.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { TLSSocket, createSecureContext } from 'node:tls';

export function polyglotListener(http: HttpServer, tls: { cert: string; key: string }): NetServer {
  const secureContext = createSecureContext({ cert: tls.cert, key: tls.key });
  return createNetServer((socket: Socket) => {
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
}
