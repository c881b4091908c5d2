// Starts a built fastify server and says where it listens (the review page and the webhook
// listener alike): port 0 picks a free one, and a wildcard host is shown as loopback.
import type { FastifyInstance } from 'fastify';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function listenOn(server: FastifyInstance, port: number, host: string): Promise<Listening> {
  try {
    await server.listen({ port, host });
  } catch (err) {
    await server.close().catch(() => undefined);
    throw err;
  }
  const address = server.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { url: `http://${shownHost}:${bound}/`, close: () => server.close() };
}
