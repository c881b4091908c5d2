// Which locks the running code holds (worker/core/locks.ts puts them here), so that provider calls
// can refuse to leave once one of them is lost. A lock is lost when its renewal finds another
// holder's value (it expired during a long pause and someone else took it) or cannot reach Redis
// (it may expire unseen): from then on this holder is no longer alone on the account, chat or
// contact, and a write could race the new holder's. The job fails instead and is retried.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProviderClients } from '../integrations/provider.ts';

export interface HeldLock {
  key: string;
  lost: boolean;
}

export class LockLostError extends Error {
  constructor(key: string) {
    super(
      `lock ${key} was lost while held (expired or taken by another worker); stopping before the next provider call`,
    );
    this.name = 'LockLostError';
  }
}

const held = new AsyncLocalStorage<readonly HeldLock[]>();

/** Runs fn with `lock` added to the locks the current code holds. */
export function runHolding<T>(lock: HeldLock, fn: () => Promise<T>): Promise<T> {
  return held.run([...(held.getStore() ?? []), lock], fn);
}

/** Throws LockLostError when a lock the current code holds was lost. */
export function assertLocksHeld(): void {
  for (const l of held.getStore() ?? []) if (l.lost) throw new LockLostError(l.key);
}

/** The clients, with every method call checking the held locks first. */
export function guardProviderCalls(clients: ProviderClients): ProviderClients {
  const guard = <O extends object>(target: O): O =>
    // (A client a test stubs out may be missing: nothing to guard.)
    typeof target !== 'object' || target === null
      ? target
      : new Proxy(target, {
          get(t, prop, receiver) {
            const value = Reflect.get(t, prop, receiver) as unknown;
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              assertLocksHeld();
              return (value as (...a: unknown[]) => unknown).apply(t, args);
            };
          },
        });
  return { ...clients, calendar: guard(clients.calendar), mailbox: guard(clients.mailbox) };
}
