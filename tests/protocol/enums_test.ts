import assert from "node:assert/strict";
import {
  HandshakeError,
  isControlOpCode,
  isReservedOpCode,
  isValidCloseCode,
  QAbstractSocket,
  QWebSocketProtocol,
  versionFromString,
  WebSocketProtocolError,
} from "../../lib/protocol/mod.ts";

// The close codes RFC 6455 §7.4 lets an endpoint put on the wire, written out
// independently of the implementation: 1000-1003, 1007-1014 (1012-1014 were
// registered with IANA after the RFC), 3000-4999.
function mayBeSent(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

Deno.test("Qt QWebSocketProtocol::CloseCode: every member with Qt's name and value", () => {
  assert.deepEqual({ ...QWebSocketProtocol.CloseCode }, {
    CloseCodeNormal: 1000,
    CloseCodeGoingAway: 1001,
    CloseCodeProtocolError: 1002,
    CloseCodeDatatypeNotSupported: 1003,
    CloseCodeReserved1004: 1004,
    CloseCodeMissingStatusCode: 1005,
    CloseCodeAbnormalDisconnection: 1006,
    CloseCodeWrongDatatype: 1007,
    CloseCodePolicyViolated: 1008,
    CloseCodeTooMuchData: 1009,
    CloseCodeMissingExtension: 1010,
    CloseCodeBadOperation: 1011,
    CloseCodeTlsHandshakeFailed: 1015,
  });
});

Deno.test("Qt QWebSocketProtocol::Version: every member, VersionLatest is Version13", () => {
  assert.deepEqual({ ...QWebSocketProtocol.Version }, {
    VersionUnknown: -1,
    Version0: 0,
    Version4: 4,
    Version5: 5,
    Version6: 6,
    Version7: 7,
    Version8: 8,
    Version13: 13,
    VersionLatest: 13,
  });
});

Deno.test("5.2 opcodes: QWebSocketProtocol::OpCode has Qt's names and RFC 6455's values", () => {
  const opcodes = QWebSocketProtocol.OpCode;
  assert.equal(opcodes.OpCodeContinue, 0x0);
  assert.equal(opcodes.OpCodeText, 0x1);
  assert.equal(opcodes.OpCodeBinary, 0x2);
  assert.equal(opcodes.OpCodeClose, 0x8);
  assert.equal(opcodes.OpCodePing, 0x9);
  assert.equal(opcodes.OpCodePong, 0xa);
  for (const n of [3, 4, 5, 6, 7]) {
    assert.equal(opcodes[`OpCodeReserved${n}` as keyof typeof opcodes], n);
  }
  for (const c of ["B", "C", "D", "E", "F"]) {
    assert.equal(opcodes[`OpCodeReserved${c}` as keyof typeof opcodes], parseInt(c, 16));
  }
  // Sixteen opcodes, each value once.
  assert.deepEqual(
    Object.values(opcodes).sort((a, b) => a - b),
    Array.from({ length: 16 }, (_, i) => i),
  );
});

Deno.test("Qt QAbstractSocket::SocketState: Qt's names and values", () => {
  assert.deepEqual({ ...QAbstractSocket.SocketState }, {
    UnconnectedState: 0,
    HostLookupState: 1,
    ConnectingState: 2,
    ConnectedState: 3,
    BoundState: 4,
    ListeningState: 5,
    ClosingState: 6,
  });
});

Deno.test("Qt QAbstractSocket::SocketError: Qt's names and values", () => {
  assert.deepEqual({ ...QAbstractSocket.SocketError }, {
    ConnectionRefusedError: 0,
    RemoteHostClosedError: 1,
    HostNotFoundError: 2,
    SocketAccessError: 3,
    SocketResourceError: 4,
    SocketTimeoutError: 5,
    DatagramTooLargeError: 6,
    NetworkError: 7,
    AddressInUseError: 8,
    SocketAddressNotAvailableError: 9,
    UnsupportedSocketOperationError: 10,
    UnfinishedSocketOperationError: 11,
    ProxyAuthenticationRequiredError: 12,
    SslHandshakeFailedError: 13,
    ProxyConnectionRefusedError: 14,
    ProxyConnectionClosedError: 15,
    ProxyConnectionTimeoutError: 16,
    ProxyNotFoundError: 17,
    ProxyProtocolError: 18,
    OperationError: 19,
    SslInternalError: 20,
    SslInvalidUserDataError: 21,
    TemporaryError: 22,
    UnknownSocketError: -1,
  });
});

Deno.test("Qt QAbstractSocket::PauseMode: PauseNever 0, PauseOnSslErrors 1", () => {
  assert.deepEqual({ ...QAbstractSocket.PauseMode }, { PauseNever: 0, PauseOnSslErrors: 1 });
});

Deno.test("7.4 isValidCloseCode: accepts exactly 1000-1003, 1007-1014, 3000-4999 in 0..65535", () => {
  const wrong: number[] = [];
  for (let code = 0; code <= 0xffff; code++) {
    if (isValidCloseCode(code) !== mayBeSent(code)) wrong.push(code);
  }
  assert.deepEqual(wrong, []);
  // The named edges, so a failure reads at a glance.
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]) {
    assert.equal(isValidCloseCode(code), true, `${code}`);
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    assert.equal(isValidCloseCode(code), false, `${code}`);
  }
  assert.equal(isValidCloseCode(3000), true);
  assert.equal(isValidCloseCode(4999), true);
});

Deno.test("7.4 isValidCloseCode: non-integers and out-of-range numbers are refused", () => {
  for (const code of [1000.5, NaN, Infinity, -1000, 3000.1, -0.5]) {
    assert.equal(isValidCloseCode(code), false, `${code}`);
  }
});

Deno.test("5.2 / 5.5 isControlOpCode and isReservedOpCode classify all sixteen opcodes", () => {
  const control = [
    false,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
  ];
  const reserved = [
    false,
    false,
    false,
    true,
    true,
    true,
    true,
    true,
    false,
    false,
    false,
    true,
    true,
    true,
    true,
    true,
  ];
  for (let opcode = 0; opcode < 16; opcode++) {
    assert.equal(isControlOpCode(opcode), control[opcode], `control 0x${opcode.toString(16)}`);
    assert.equal(isReservedOpCode(opcode), reserved[opcode], `reserved 0x${opcode.toString(16)}`);
  }
});

Deno.test("Qt QWebSocketProtocol::versionFromString: the versions Qt knows, else VersionUnknown", () => {
  const known: Array<[string, number]> = [
    ["0", 0],
    ["4", 4],
    ["5", 5],
    ["6", 6],
    ["7", 7],
    ["8", 8],
    ["13", 13],
    [" 13 ", 13],
    ["13\t", 13],
  ];
  for (const [text, version] of known) assert.equal(versionFromString(text), version, text);
  for (const text of ["", "1", "2", "3", "9", "12", "14", "thirteen", "13,8", "1 3"]) {
    assert.equal(versionFromString(text), QWebSocketProtocol.Version.VersionUnknown, text);
  }
});

Deno.test("7.1.7 WebSocketProtocolError carries a stable code and the close code to send", () => {
  const error = new WebSocketProtocolError("INVALID_UTF8", 1007, "Text message is not valid UTF-8");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "WebSocketProtocolError");
  assert.equal(error.code, "INVALID_UTF8");
  assert.equal(error.closeCode, 1007);
  assert.equal(error.message, "Text message is not valid UTF-8");
});

Deno.test("4.2.2 HandshakeError carries the HTTP status and extra headers", () => {
  const error = new HandshakeError(426, "Unsupported version", [["Sec-WebSocket-Version", "13"]]);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "HandshakeError");
  assert.equal(error.status, 426);
  assert.deepEqual(error.headers, [["Sec-WebSocket-Version", "13"]]);
  assert.deepEqual(new HandshakeError(0, "not HTTP").headers, []);
});
