/**
 * `nextTurn()`: runs a callback on the next turn of the event loop, after the
 * current task and every microtask it queues, as Qt delivers queued signals.
 *
 * @module
 */

let queued: Array<() => void> | null = null;

/**
 * Runs `task` after the current task and all its microtasks (promise
 * continuations, however long the chain), in a later turn of the event loop.
 * Tasks queued in the same turn run together, in order.
 *
 * `setTimeout(task, 0)` gives the same order, but Deno clamps it to a 1 ms
 * timer that fires 1–2 ms later; a message on a `MessageChannel` arrives in
 * tens of microseconds. The channel is closed as soon as it has delivered,
 * so nothing stays open between turns (test sanitizers see no resource).
 *
 * @param task The callback; an exception it throws is reported with
 *   `reportError` and does not stop the other tasks.
 */
export function nextTurn(task: () => void): void {
  if (queued !== null) {
    queued.push(task);
    return;
  }
  queued = [task];
  const { port1, port2 } = new MessageChannel();
  // Listen before posting: a message posted to a port that is not yet
  // receiving could be picked up within the current task.
  port1.onmessage = () => {
    port1.close();
    const tasks = queued ?? [];
    queued = null;
    for (const run of tasks) {
      try {
        run();
      } catch (error) {
        reportError(error);
      }
    }
  };
  port2.postMessage(null);
  port2.close();
}
