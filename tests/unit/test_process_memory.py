"""The server process keeps glibc's malloc flat before it starts threads: a 16 MB block (scrypt's, as a
provider's secret check takes it) freed on a worker thread goes back to the system instead of staying in
that thread's arena; threads share at most two arenas (``malloc_info`` lists one ``<heap>`` per arena); an
operator's own settings are left alone."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from databrug.process_memory import keep_malloc_flat

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

CHILD = """
import ctypes, ctypes.util, hashlib, sys, threading
from databrug.process_memory import keep_malloc_flat
if sys.argv[1] == "flat":
    assert keep_malloc_flat() == ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_"]

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

def check_a_secret():  # what registrations.credentials does: scrypt, n=2**14, r=8 takes 16 MB
    hashlib.scrypt(b"secret", salt=b"salt" * 4, n=2**14, r=8, p=1, maxmem=64 * 2**20)

check_a_secret()
before = rss()
barrier = threading.Barrier(8)
kept = []
def worker():
    barrier.wait()
    kept.append([bytearray(600) for _ in range(2_000)])  # above pymalloc's 512 bytes: glibc's malloc
    barrier.wait()
    check_a_secret()
threads = [threading.Thread(target=worker) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
grown = rss() - before
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
out = libc.fopen(sys.argv[2].encode(), b"w")
libc.malloc_info(0, out)
libc.fclose(out)
print(grown)
"""


def _run(tmp_path: Path, mode: str) -> tuple[int, int]:
    """(arenas, RSS growth in bytes) after eight threads each allocated and checked a secret."""
    report = tmp_path / f"{mode}.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(report)], check=True, env=env, capture_output=True, text=True
    )
    return report.read_text().count("<heap nr="), int(done.stdout.split()[-1])


def test_a_big_block_freed_on_a_thread_goes_back_and_threads_share_two_arenas(tmp_path: Path) -> None:
    arenas, grown = _run(tmp_path, "flat")
    assert arenas <= 2
    assert grown < 12 * 2**20  # eight 16 MB blocks came and went: none of them stayed
    # the test can fail: glibc's defaults keep the blocks in the threads' arenas
    arenas, grown = _run(tmp_path, "default")
    assert arenas > 2
    assert grown > 32 * 2**20


def test_an_operators_own_settings_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert keep_malloc_flat() == []
