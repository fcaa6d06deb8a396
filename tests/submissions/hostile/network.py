# expect: correct
# threat: at import tries to send b"escaped" to 127.0.0.1:47613 over TCP (1 s timeout) and UDP
import socket

import numpy as np

HOST, PORT = "127.0.0.1", 47613

try:
    with socket.create_connection((HOST, PORT), timeout=1) as _conn:
        _conn.sendall(b"escaped")
except Exception:
    pass

try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as _udp:
        _udp.settimeout(1)
        _udp.sendto(b"escaped", (HOST, PORT))
except Exception:
    pass


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
