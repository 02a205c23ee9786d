"""How a long-running server process keeps its memory flat: few malloc arenas, big blocks given back.

Two glibc defaults made a broker's RSS climb in the open-loop soak (docs/performance.md, "Open-loop
results"), in steps of 16 MB at 300, 600, 900 and 1200 s, +22 % in 25 minutes:

- A provider's secret is checked with scrypt (``registrations/credentials.py``), which takes 16 MB, and a
  verified secret is remembered for 300 s. glibc returns a block that big to the system once, then raises
  its mmap threshold to the block's size. Each later check took its 16 MB from a heap and left it there.
- That heap was a different one each time: the check runs on a worker thread (``asyncio.to_thread``), and
  glibc gives each thread an arena of its own, up to eight per core.

A fixed mmap threshold keeps blocks of a megabyte and more outside the heaps, so they go back to the system
when freed (setting it also turns the adjustment off). Two arenas hold the threads' work. A setting the
operator makes in the environment (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``) is left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

SERVER_ARENAS = 2
MMAP_THRESHOLD_BYTES = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_M_ARENA_MAX = -8


def keep_malloc_flat(arenas: int = SERVER_ARENAS, mmap_threshold: int = MMAP_THRESHOLD_BYTES) -> list[str]:
    """Call before the process starts threads. Returns the settings made: none elsewhere than glibc, and
    none the environment already set (glibc read those at start)."""
    if platform.libc_ver()[0] != "glibc":
        return []
    name = ctypes.util.find_library("c")
    if name is None:
        return []
    libc = ctypes.CDLL(name)
    made = []
    for variable, parameter, value in (
        ("MALLOC_ARENA_MAX", _M_ARENA_MAX, arenas),
        ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, mmap_threshold),
    ):
        if not os.environ.get(variable) and libc.mallopt(parameter, value):
            made.append(variable)
    return made
