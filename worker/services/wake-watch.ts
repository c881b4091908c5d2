// Notices that the machine slept (a laptop lid closed): a timer that should fire every `tickMs`
// fires much later. Timers do not run while the machine sleeps, and BullMQ's delayed jobs and
// schedulers only catch up at their next due time, so `coffee-chat run` asks for a sync of every
// account at once instead of leaving the calendars up to one interval stale after waking.

/** How long the process was away, or 0: a tick that came `slack` later than due is not a sleep. */
export function sleptFor(lastTick: number, now: number, tickMs: number, slackMs = 60_000): number {
  const late = now - lastTick - tickMs;
  return late > slackMs ? now - lastTick : 0;
}

export function watchForWake(
  onWake: (awayMs: number) => void,
  opts: { tickMs?: number; slackMs?: number; clock?: () => number } = {},
): () => void {
  const tickMs = opts.tickMs ?? 15_000;
  const clock = opts.clock ?? Date.now;
  let last = clock();
  const timer = setInterval(() => {
    const now = clock();
    const away = sleptFor(last, now, tickMs, opts.slackMs);
    last = now;
    if (away > 0) onWake(away);
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
