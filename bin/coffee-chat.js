#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../worker/cli/main.ts');
process.exit(await runCli(process.argv));
