/**
 * The one bounded wait of the tests: every wait on the network or a peer
 * goes through it, so none can hang a run.
 *
 * @module
 */

/**
 * Resolves with `promise`, or rejects after `ms` saying what did not happen.
 * The timer is always cleared, so the op sanitizer sees nothing left behind.
 *
 * @param promise What to wait for.
 * @param what What it is, for the message.
 * @param ms The bound; 20 s by default (generous: tests share two cores).
 * @returns What `promise` resolved with.
 */
export async function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
