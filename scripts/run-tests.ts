// `npm test`: prepares what must exist before Node starts (the sandbox's certificate, trusted via
// NODE_EXTRA_CA_CERTS, which Node reads only at start-up), then runs jest in ESM mode.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ensureSandboxTls } from '../sandbox/tls.ts';

const tlsDir = process.env.SANDBOX_TLS_DIR ?? mkdtempSync(join(tmpdir(), 'coffee-chat-tls-'));
const tls = await ensureSandboxTls(tlsDir);
const jestBin = createRequire(import.meta.url).resolve('jest/bin/jest');
const child = spawn(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jestBin, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, SANDBOX_TLS_DIR: tlsDir, NODE_EXTRA_CA_CERTS: tls.certPath },
  },
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
