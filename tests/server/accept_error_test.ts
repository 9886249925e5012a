/**
 * Qt's `acceptError(QAbstractSocket::SocketError)`: a failing accept is
 * reported and the server keeps accepting; a listener closed behind the
 * server's back ends listening cleanly. Accept failures are hard to provoke
 * on a real socket, so a listener whose `accept()` throws stands in, and the
 * mapping of Deno's errors is checked directly.
 */

import assert from "node:assert/strict";
import {
  type AcceptErrorEvent,
  QAbstractSocket,
  QWebSocketProtocol,
  QWebSocketServer,
} from "../../mod.ts";
import { classifyAcceptError } from "../../lib/transport/listen.ts";
import { nextEvent, within } from "./_helpers.ts";

const E = QAbstractSocket.SocketError;

/** A listener whose accept() fails `failures` times, then waits until closed. */
class FailingListener implements Deno.Listener {
  readonly addr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 4242 };
  readonly rid = -1;
  accepts = 0;
  #failures: Error[];
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(failures: Error[]) {
    this.#failures = failures;
  }

  accept(): Promise<Deno.Conn> {
    this.accepts++;
    const failure = this.#failures.shift();
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((_, reject) => {
      this.#wake = () => reject(new Deno.errors.BadResource("Listener closed"));
    });
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  ref(): void {}
  unref(): void {}
  [Symbol.dispose](): void {
    this.close();
  }
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {}
}

Deno.test("QWebSocketServer::acceptError: an accept failure is reported with its SocketError and accepting goes on", async () => {
  const listener = new FailingListener([
    new Error("Too many open files (os error 24)"),
    new Deno.errors.ConnectionAborted("Software caused connection abort (os error 103)"),
  ]);
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  const errors: AcceptErrorEvent[] = [];
  server.addEventListener("acceptError", (e) => errors.push(e));
  const second = new Promise<void>((resolve) =>
    server.addEventListener("acceptError", () => errors.length === 2 && resolve())
  );
  assert.ok(server.setSocketDescriptor(listener));
  await within(second, "two acceptError events");
  assert.deepEqual(errors.map((e) => e.socketError), [
    E.SocketResourceError,
    E.NetworkError,
  ]);
  assert.equal(server.error(), QWebSocketProtocol.CloseCode.CloseCodeAbnormalDisconnection);
  assert.match(server.errorString(), /client left before its connection was accepted/);
  assert.equal(server.isListening(), true);
  // The server went back to accepting after each failure (with a short pause).
  await within(
    (async () => {
      while (listener.accepts < 3) await new Promise((r) => setTimeout(r, 10));
    })(),
    "a third accept",
  );
  const closed = nextEvent(server, "closed");
  server.close();
  await closed;
});

Deno.test("QWebSocketServer::acceptError: a listener may pause in acceptError, as Qt's QTcpServer does, and resume later", async () => {
  const listener = new FailingListener([new Error("Too many open files (os error 24)")]);
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  server.addEventListener("acceptError", () => server.pauseAccepting());
  const failed = nextEvent(server, "acceptError");
  assert.ok(server.setSocketDescriptor(listener));
  await failed;
  // Paused: no accept is attempted, however long one waits.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(listener.accepts, 1);
  server.resumeAccepting();
  await within(
    (async () => {
      while (listener.accepts < 2) await new Promise((r) => setTimeout(r, 10));
    })(),
    "the accept after resumeAccepting()",
  );
  const closed = nextEvent(server, "closed");
  server.close();
  await closed;
});

Deno.test("QWebSocketServer::acceptError: close() during the pause after a failure ends the accept loop", async () => {
  const listener = new FailingListener([new Error("Too many open files (os error 24)")]);
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  const failed = nextEvent(server, "acceptError");
  assert.ok(server.setSocketDescriptor(listener));
  await failed;
  const closed = nextEvent(server, "closed");
  // Closing cancels the retry timer at once: the sanitizers see no timer left.
  server.close();
  await closed;
});

Deno.test("QWebSocketServer: a listener closed behind the server's back stops it listening and dispatches closed", async () => {
  const server = new QWebSocketServer("", QWebSocketServer.SslMode.NonSecureMode);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.ok(server.setSocketDescriptor(listener));
  const closed = nextEvent(server, "closed");
  listener.close();
  await closed;
  assert.equal(server.isListening(), false);
  assert.equal(server.socketDescriptor(), -1);
});

Deno.test("classifyAcceptError: maps Deno's accept errors to Qt socket errors", () => {
  assert.equal(classifyAcceptError(new Deno.errors.BadResource("closed")), null);
  assert.equal(classifyAcceptError(new Deno.errors.Interrupted("closed")), null);
  const emfile = classifyAcceptError(new Error("Too many open files (os error 24)"))!;
  assert.equal(emfile.socketError, E.SocketResourceError);
  assert.match(emfile.message, /out of file descriptors.*ulimit -n/);
  assert.equal(
    classifyAcceptError(new Error("Too many open files in system (os error 23)"))!.socketError,
    E.SocketResourceError,
  );
  assert.equal(
    classifyAcceptError(new Deno.errors.ConnectionReset("reset"))!.socketError,
    E.NetworkError,
  );
  assert.equal(
    classifyAcceptError(new Error("No buffer space available (os error 105)"))!.socketError,
    E.SocketResourceError,
  );
  assert.equal(
    classifyAcceptError(new Deno.errors.NotCapable("net"))!.socketError,
    E.SocketAccessError,
  );
  const other = classifyAcceptError(new Error("something odd"))!;
  assert.equal(other.socketError, E.UnknownSocketError);
  assert.match(other.message, /something odd/);
});
