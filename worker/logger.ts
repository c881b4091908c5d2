// pino JSON logs. Anything that could carry a credential is redacted by path, wherever it sits.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'refreshToken',
  'accessToken',
  'access_token',
  'refresh_token',
  'token',
  'authorization',
  'headers.authorization',
  '*.refreshToken',
  '*.accessToken',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
  'config.headers.Authorization',
  '*.config.headers.Authorization',
];

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'coffee-chat' } },
    destination,
  );
}

let root: Logger | undefined;
export function logger(): Logger {
  root ??= createLogger();
  return root;
}
