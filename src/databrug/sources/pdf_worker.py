"""PDF text extraction in worker processes bounded in memory and time: PDFium never runs in the broker.

PDFium is native code reading documents anyone can send. In the broker it needed a process-wide lock (it is
not thread-safe), so one hostile PDF made every other citizen wait, and its memory was the broker's (one page
of repeated text in 96 KB: 5.4 GB and 22 s). Here it runs in worker processes, each loading pypdfium2 once and
then reading one document at a time from a pipe:

- memory: a worker lowers its own address-space limit (RLIMIT_AS) to what it holds after start plus
  ``memory_bytes``. PDFium aborts when an allocation fails; the worker dies and the caller gets a refusal.
- time: the caller waits ``seconds`` for the answer, then kills the worker. A CPU limit the worker sets
  before each document stops it as well should the broker be gone.
- neighbours: a pool of ``warm`` workers grows on demand to ``most``, so another citizen's document is read
  while one worker is stuck; a worker that was killed, died or grew is replaced.
- nothing on disk, nothing to steal: no file may grow (RLIMIT_FSIZE 0), no core dump, no bytecode (``-B``),
  an empty environment (none of the broker's secrets), stderr to /dev/null (no traceback with document data).
  Answers are JSON the caller checks, never pickles: a worker PDFium was tricked into running code for must
  not get code run in the broker.

Persistent workers rather than a process per document: forking a fresh process per document cost 6.4 ms of
CPU per sandbox VZB against 2.5 ms in a warm process (each new process redoes PDFium's warm-up); a warm
worker adds the pipe round trip only.

Run as ``python -m databrug.sources.pdf_worker SECONDS MEMORY_BYTES``; the pool below starts it.
"""
# Over 400 lines on purpose: the worker process and the pool that starts, limits and kills it share one
# pipe protocol.

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import math
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal, get_args

__all__ = [
    "PdfRefusal",
    "PdfTextWorkers",
    "PdfWorkerUnavailable",
    "RefusalReason",
    "TextLimits",
    "close_pdf_workers",
    "pdf_workers",
]

RefusalReason = Literal[
    "unreadable",  # PDFium could not open it
    "encrypted",
    "no_pages",
    "too_many_pages",
    "page_objects",  # one page draws more than ``TextLimits.page_objects`` objects
    "page_chars",
    "text_chars",  # the whole document
    "extraction_failed",  # PDFium failed on a page
    "too_slow",  # the worker was stopped after ``seconds``
    "too_much_memory",  # the worker ran out of its address space
    "crashed",  # the worker died otherwise
]
_REASONS: frozenset[str] = frozenset(get_args(RefusalReason))

_MODULE = "databrug.sources.pdf_worker"
_LENGTH_BYTES = 4
_READ_CHUNK = 1 << 16
# An answer carries at most ``text_chars`` characters, each at most 6 bytes of JSON (\\uXXXX), plus framing.
_ANSWER_OVERHEAD = 64 * 1024
_STARTUP_SECONDS = 30.0  # interpreter start and imports; generous for a loaded machine
_STOP_SECONDS = 2.0


@dataclass(frozen=True)
class TextLimits:
    """What a worker may read of one document before it refuses it (checked while PDFium reads)."""

    pages: int
    page_objects: int
    page_chars: int
    text_chars: int
    # count the objects inside forms too, once per drawing: 0.1 ms a page, so only for documents with forms
    count_in_forms: bool = True


class PdfRefusal(Exception):
    """The document was not read: ``reason`` says which bound or failure, ``page`` (1-based) where."""

    def __init__(self, reason: RefusalReason, page: int | None = None) -> None:
        self.reason = reason
        self.page = page
        super().__init__(reason if page is None else f"{reason} at page {page}")


class PdfWorkerUnavailable(RuntimeError):
    """No worker could be started: the broker's environment is broken, not the document."""


class _Overrun(Exception):
    """No answer within the deadline."""


class _Gone(Exception):
    """The worker closed its end: it died."""


class _Garbled(Exception):
    """The worker answered something that is not an answer."""


@dataclass(frozen=True)
class _Answer:
    pages: list[str] | None
    refusal: PdfRefusal | None
    cpu_seconds: float
    retire: bool  # the worker grew: stop it after this answer


class _Worker:
    """One worker process and its pipes; used by one caller at a time (the pool hands it out)."""

    def __init__(self, seconds: float, memory_bytes: int) -> None:
        self.process: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-B", "-m", _MODULE, repr(seconds), str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            cwd="/",
            bufsize=0,
            close_fds=True,
            start_new_session=True,  # a terminal's Ctrl-C goes to the broker, which stops its workers itself
        )
        self._buffer = bytearray()
        self._ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, limits: TextLimits, data: bytes, seconds: float) -> _Answer:
        if not self._ready:
            try:
                self._read_frame(time.monotonic() + _STARTUP_SECONDS, 1024)
            except (_Overrun, _Gone, _Garbled) as exc:
                raise PdfWorkerUnavailable("a PDF text worker did not start") from exc
            self._ready = True
        deadline = time.monotonic() + seconds
        header = json.dumps(dataclasses.asdict(limits)).encode()
        self._write(len(header).to_bytes(_LENGTH_BYTES, "big") + header)
        self._write(len(data).to_bytes(_LENGTH_BYTES, "big"))
        self._write(data)
        frame = self._read_frame(deadline, limits.text_chars * 6 + _ANSWER_OVERHEAD)
        return _parse_answer(frame, limits)

    def _write(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(stdin.fileno(), view) :]
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _Gone from exc

    def _read_frame(self, deadline: float, most: int) -> bytes:
        stdout = self.process.stdout
        assert stdout is not None
        poller = select.poll()  # not select.select: the broker may hold file descriptors above 1024
        poller.register(stdout.fileno(), select.POLLIN)
        while True:
            if len(self._buffer) >= _LENGTH_BYTES:
                length = int.from_bytes(self._buffer[:_LENGTH_BYTES], "big")
                if length > most:
                    raise _Garbled
                end = _LENGTH_BYTES + length
                if len(self._buffer) >= end:
                    frame = bytes(self._buffer[_LENGTH_BYTES:end])
                    del self._buffer[:end]
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(math.ceil(remaining * 1000)):
                raise _Overrun
            chunk = os.read(stdout.fileno(), _READ_CHUNK)
            if not chunk:
                raise _Gone
            self._buffer += chunk

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._close_pipes()

    def stop(self) -> None:
        """Let it finish: end of input is the worker's signal to exit."""
        self._close_pipes()
        try:
            self.process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def exit_signal(self) -> int | None:
        try:
            code = self.process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            return signal.SIGKILL
        return -code if code < 0 else None

    def forget(self) -> None:
        """In a forked child: drop this copy of the pipes, leave the process to the parent that owns it."""
        self._close_pipes()
        self.process.returncode = 0  # not ours to wait for

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _parse_answer(frame: bytes, limits: TextLimits) -> _Answer:
    try:
        answer = json.loads(frame)
    except ValueError as exc:
        raise _Garbled from exc
    if not isinstance(answer, dict):
        raise _Garbled
    cpu, retire = answer.get("cpu"), answer.get("retire")
    if not isinstance(cpu, int | float) or not isinstance(retire, bool):
        raise _Garbled
    pages, reason, page = answer.get("pages"), answer.get("refused"), answer.get("page")
    if reason is not None:
        if reason not in _REASONS or not (page is None or (isinstance(page, int) and page > 0)):
            raise _Garbled
        return _Answer(None, PdfRefusal(reason, page), float(cpu), retire)
    if not isinstance(pages, list) or not 0 < len(pages) <= limits.pages:
        raise _Garbled
    if not all(isinstance(text, str) for text in pages):
        raise _Garbled
    return _Answer(pages, None, float(cpu), retire)


_POOLS: weakref.WeakSet[PdfTextWorkers] = weakref.WeakSet()


class PdfTextWorkers:
    """A pool of PDF text workers, safe to call from many threads; it starts workers on first use."""

    def __init__(self, *, seconds: float, memory_bytes: int, warm: int = 2, most: int = 3) -> None:
        if not 1 <= warm <= most:
            raise ValueError("need 1 <= warm <= most")
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self._warm = warm
        self._most = most
        self._changed = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._starting = 0  # counted in ``most`` while their process starts
        self._cpu_seconds = 0.0
        _POOLS.add(self)

    def page_texts(self, data: bytes, limits: TextLimits) -> list[str]:
        """The text of each page, or ``PdfRefusal``: a bound was passed, or PDFium failed on this document."""
        worker = self._acquire()
        try:
            answer = self._ask(worker, data, limits)
        except BaseException:
            self._release(worker, keep=False)
            raise
        self._release(worker, keep=not answer.retire)
        with self._changed:
            self._cpu_seconds += answer.cpu_seconds
        if answer.refusal is not None:
            raise answer.refusal
        assert answer.pages is not None
        return answer.pages

    def _ask(self, worker: _Worker, data: bytes, limits: TextLimits) -> _Answer:
        try:
            return worker.ask(limits, data, self.seconds)
        except _Overrun:
            worker.kill()
            raise PdfRefusal("too_slow") from None
        except _Gone:
            raise PdfRefusal(_death_reason(worker.exit_signal())) from None
        except _Garbled:
            worker.kill()
            raise PdfRefusal("extraction_failed") from None
        except BaseException:  # interrupted mid-document: its worker's state is unknown
            worker.kill()
            raise

    def cpu_seconds(self) -> float:
        """CPU seconds the workers spent on the documents they answered (not the caller's: for benchmarks)."""
        with self._changed:
            return self._cpu_seconds

    def pids(self) -> list[int]:
        with self._changed:
            return sorted(worker.pid for worker in self._all)

    def close(self) -> None:
        """Stop every idle worker now and every busy one when it answers; the next call starts new ones."""
        with self._changed:
            idle, self._idle = self._idle, []
            self._all.clear()  # the busy ones are stopped when they are handed back
            self._changed.notify_all()
        for worker in idle:
            worker.stop()

    def _acquire(self) -> _Worker:
        with self._changed:
            while not self._idle and len(self._all) + self._starting >= self._most:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()
            # the first call starts the warm workers at once: the next citizen should not wait for a start
            wanted = self._warm if not self._all and not self._starting else 1
            self._starting += wanted
        started: list[_Worker] = []
        failure: OSError | None = None
        for _ in range(wanted):
            try:
                started.append(_Worker(self.seconds, self.memory_bytes))
            except OSError as exc:
                failure = exc
                break
        with self._changed:
            self._starting -= wanted
            self._all.update(started)
            self._idle.extend(started[1:])
            self._changed.notify_all()
        if not started:
            raise PdfWorkerUnavailable("could not start a PDF text worker") from failure
        return started[0]

    def _release(self, worker: _Worker, *, keep: bool) -> None:
        replace = False
        with self._changed:
            if worker not in self._all:  # closed meanwhile: stop it
                keep = False
            elif keep and len(self._idle) < self._warm:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
                keep = False
                # a warm worker lost to a bad document is replaced at once, so the next citizen finds one
                replace = len(self._all) + self._starting < self._warm
            self._changed.notify_all()
        if not keep and worker.process.returncode is None:
            worker.stop()
        if replace:
            self._start_replacement()

    def _start_replacement(self) -> None:
        with self._changed:
            self._starting += 1
        fresh: _Worker | None = None
        try:
            fresh = _Worker(self.seconds, self.memory_bytes)
        except OSError:
            pass  # the next call starts one
        finally:
            with self._changed:
                self._starting -= 1
                if fresh is not None:
                    self._all.add(fresh)
                    self._idle.append(fresh)
                self._changed.notify_all()

    def _forget_after_fork(self) -> None:
        for worker in self._all:
            worker.forget()
        self._changed = threading.Condition()
        self._idle, self._all, self._starting = [], set(), 0


def _death_reason(signal_number: int | None) -> RefusalReason:
    # SIGABRT: PDFium's answer to a failed allocation; SIGKILL (the pool sends none here): the kernel's
    # out-of-memory killer, which picks a worker first (see ``serve``)
    if signal_number in (signal.SIGABRT, signal.SIGKILL):
        return "too_much_memory"
    if signal_number == signal.SIGXCPU:
        return "too_slow"
    return "crashed"


_DEFAULT: PdfTextWorkers | None = None
_DEFAULT_LOCK = threading.Lock()


def pdf_workers() -> PdfTextWorkers:
    """The process's pool, with the bounds of ``parsing`` (one per broker process, CLI or test run)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            from databrug.sources.parsing import PDF_READ_MEMORY_BYTES, PDF_READ_SECONDS

            _DEFAULT = PdfTextWorkers(seconds=PDF_READ_SECONDS, memory_bytes=PDF_READ_MEMORY_BYTES)
        return _DEFAULT


def close_pdf_workers() -> None:
    """Stop the process's workers (the broker's shutdown and interpreter exit call this)."""
    for pool in list(_POOLS):
        pool.close()


def _after_fork_in_child() -> None:
    global _DEFAULT_LOCK
    _DEFAULT_LOCK = threading.Lock()
    for pool in list(_POOLS):
        pool._forget_after_fork()


atexit.register(close_pdf_workers)
os.register_at_fork(after_in_child=_after_fork_in_child)


# --- the worker process ---------------------------------------------------------------------------------


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _lower_limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _read_exactly(stream: IO[bytes], count: int) -> bytes | None:
    data = stream.read(count)
    return data if len(data) == count else None


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(_LENGTH_BYTES, "big") + payload)
    stream.flush()


def serve(seconds: float, memory_bytes: int) -> None:
    """The worker's loop: limits on itself, then one document in, one answer out, until end of input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pypdfium2  # noqa: F401 - loads and initialises PDFium before the baseline is taken

    # under a container's memory limit, the kernel's out-of-memory killer takes a worker, not the broker
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w", encoding="ascii") as oom_score:
        oom_score.write("1000")
    _lower_limit(resource.RLIMIT_CORE, 0)
    _lower_limit(resource.RLIMIT_FSIZE, 0)
    baseline = _address_space()
    _lower_limit(resource.RLIMIT_AS, baseline + memory_bytes)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _write_frame(stdout, b'{"ready":true}')
    while True:
        header = _read_frame_blocking(stdin)
        data = _read_frame_blocking(stdin)
        if header is None or data is None:
            return
        started = _cpu_used()
        cpu_limit = math.ceil(started + seconds) + 1
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_hard))
        try:
            answer = _answer(data, TextLimits(**json.loads(header)))
            retire = _address_space() > baseline + memory_bytes // 2
        except MemoryError:
            answer, retire = {"refused": "too_much_memory"}, True
        del data
        answer.update(cpu=_cpu_used() - started, retire=retire)
        try:
            payload = json.dumps(answer).encode()
        except MemoryError:
            payload, retire = (
                json.dumps({"refused": "too_much_memory", "cpu": 0.0, "retire": True}).encode(),
                True,
            )
        _write_frame(stdout, payload)
        if retire:
            return


def _read_frame_blocking(stream: IO[bytes]) -> bytes | None:
    length = _read_exactly(stream, _LENGTH_BYTES)
    return None if length is None else _read_exactly(stream, int.from_bytes(length, "big"))


def _answer(data: bytes, limits: TextLimits) -> dict[str, Any]:
    try:
        return {"pages": _page_texts(data, limits)}
    except PdfRefusal as refusal:
        return {"refused": refusal.reason, "page": refusal.page}


def _page_texts(data: bytes, limits: TextLimits) -> Sequence[str]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise PdfRefusal("encrypted") from None
        raise PdfRefusal("unreadable") from None
    except MemoryError:
        raise
    except Exception:  # ctypes or decoding failures on hostile input
        raise PdfRefusal("unreadable") from None
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1:
            raise PdfRefusal("encrypted")
        count = len(document)
        if count == 0:
            raise PdfRefusal("no_pages")
        if count > limits.pages:
            raise PdfRefusal("too_many_pages")
        texts: list[str] = []
        total = 0
        for index in range(count):
            page = document[index]
            try:
                # the page's content is parsed now; its text (about 230 bytes per character) is not built yet
                drawn = (
                    _drawn_objects(page.raw, limits.page_objects)
                    if limits.count_in_forms
                    else pdfium_c.FPDFPage_CountObjects(page.raw)
                )
                if drawn > limits.page_objects:
                    raise PdfRefusal("page_objects", index + 1)
                textpage = page.get_textpage()
                try:
                    chars = textpage.count_chars()
                    if chars > limits.page_chars:
                        raise PdfRefusal("page_chars", index + 1)
                    total += chars
                    if total > limits.text_chars:
                        raise PdfRefusal("text_chars", index + 1)
                    texts.append(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
        return texts
    except (PdfRefusal, MemoryError):
        raise
    except Exception:  # PDFium errors, ctypes and decoding failures on hostile input
        raise PdfRefusal("extraction_failed") from None
    finally:
        document.close()


def _drawn_objects(page: Any, most: int) -> int:
    """Objects the page draws, those inside forms counted once per drawing of the form; up to past ``most``.

    PDFium parses a form's content anew for each drawing, so a small form drawn ten times on each of a few
    levels is many objects; text extraction visits every one of them.
    """
    import pypdfium2.raw as pdfium_c

    count = int(pdfium_c.FPDFPage_CountObjects(page))
    forms = [
        form
        for index in range(min(count, most + 1))
        if pdfium_c.FPDFPageObj_GetType(form := pdfium_c.FPDFPage_GetObject(page, index))
        == pdfium_c.FPDF_PAGEOBJ_FORM
    ]
    while forms and count <= most:
        form = forms.pop()
        inside = int(pdfium_c.FPDFFormObj_CountObjects(form))
        count += max(inside, 0)
        for index in range(min(inside, most + 1 - count + inside)):
            child = pdfium_c.FPDFFormObj_GetObject(form, index)
            if pdfium_c.FPDFPageObj_GetType(child) == pdfium_c.FPDF_PAGEOBJ_FORM:
                forms.append(child)
    return count


if __name__ == "__main__":
    serve(float(sys.argv[1]), int(sys.argv[2]))
