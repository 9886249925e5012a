"""permessage-deflate settings from the command line, and a report of what a
connection agreed, shared by the peers of tests/deflate/python_websockets_deflate_test.ts."""

import os
import sys

# The echo behaviour of the interop peers (tests/interop/peers/_ws_echo.py).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "interop", "peers"))


def add_arguments(parser):
    parser.add_argument("--server-no-context-takeover", action="store_true")
    parser.add_argument("--client-no-context-takeover", action="store_true")
    parser.add_argument("--server-max-window-bits", type=int, default=None)
    # A number, or "offer" (a client's offer without a value).
    parser.add_argument("--client-max-window-bits", default=None)


def factory_arguments(args, client):
    bits = args.client_max_window_bits
    if bits == "offer" and client:
        bits = True
    elif bits is not None:
        bits = int(bits)
    return {
        "server_no_context_takeover": args.server_no_context_takeover,
        "client_no_context_takeover": args.client_no_context_takeover,
        "server_max_window_bits": args.server_max_window_bits,
        "client_max_window_bits": bits,
    }


def agreed(ws):
    """The parameters of the permessage-deflate extension in use, or None."""
    for extension in ws.extensions:
        if extension.name == "permessage-deflate":
            return {
                "remoteNoContextTakeover": extension.remote_no_context_takeover,
                "localNoContextTakeover": extension.local_no_context_takeover,
                "remoteMaxWindowBits": extension.remote_max_window_bits,
                "localMaxWindowBits": extension.local_max_window_bits,
            }
    return None
