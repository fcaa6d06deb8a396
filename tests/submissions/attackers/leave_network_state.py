# threat: leaves sockets behind in the shared network namespace (a listener, connections in TIME_WAIT) for the next learner to see
import socket

import numpy as np

try:
    _server = socket.socket()
    _server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    _server.bind(("127.0.0.1", 47999))
    _server.listen()
    for _ in range(3):
        _client = socket.create_connection(("127.0.0.1", 47999), timeout=1)
        _conn, _ = _server.accept()
        _conn.close()  # the side that closes first keeps TIME_WAIT
        _client.close()
except OSError:
    pass


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
