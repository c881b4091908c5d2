// The sandbox serves Microsoft Graph over HTTPS because @microsoft/microsoft-graph-client 3.x
// only treats https:// URLs as Graph hosts (over http it drops the Authorization header).
// A self-signed certificate for 127.0.0.1/localhost is made once per directory; clients trust it
// through Node's standard NODE_EXTRA_CA_CERTS (read at process start).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';

export interface SandboxTls {
  certPath: string;
  cert: string;
  key: string;
}

export async function ensureSandboxTls(dir: string): Promise<SandboxTls> {
  const abs = resolve(dir);
  const certPath = join(abs, 'sandbox-cert.pem');
  const keyPath = join(abs, 'sandbox-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { certPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  }
  mkdirSync(abs, { recursive: true });
  const pems = await generate([{ name: 'commonName', value: 'coffee-chat provider sandbox' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 5 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { certPath, cert: pems.cert, key: pems.private };
}

/** Default place for the sandbox certificate, shared by the demo, tests and the CLI. */
export function defaultTlsDir(): string {
  return resolve(process.env.SANDBOX_TLS_DIR ?? join(process.env.DATA_DIR ?? './.data', 'sandbox-tls'));
}
