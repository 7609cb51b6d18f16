"""One writer at a time: a lock on the lake that a second build meets and stops at (or waits for)
with a message naming the holder, instead of interleaving its writes with the first.

- On a local disk the lock is an `flock` on `<root>/.writer.lock`. The kernel drops it when the
  holding process dies, even by kill -9, so a dead process never keeps the lake locked; the
  file's text names the holder (run id, host, pid, since) for the message a second writer gets.
  A holder that releases cleanly empties the file, so text found by the next holder means the
  previous one died mid-build: `acquire` returns it so that the caller can mark that run failed
  and clean up what it left.
- On object stores (no `flock`) the lock is the object `<root>/.writer.lock` holding the same
  text. It is broken when its holder is a process on this host that no longer exists, or when it
  is older than `stale_after_seconds` (a holder on another host cannot be asked). Writes there are
  last-writer-wins, so the lock re-reads itself after writing and stops if another writer won the
  race; this is best effort, not a consensus protocol.

Steps of the same run share the lock (a multiprocess run's step processes all carry its run id).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from labor_lake.lake.files import Lake

LOCK_PATH = ".writer.lock"
DEFAULT_STALE_AFTER_SECONDS = 6 * 3600.0
_POLL_SECONDS = 0.5


class LakeBusy(RuntimeError):
    """Another run holds the lake's writer lock."""


@dataclass(frozen=True)
class Holder:
    run_id: str
    host: str
    pid: int
    since: str  # ISO 8601, UTC

    def describe(self) -> str:
        return f"run {self.run_id} (pid {self.pid} on {self.host}, since {self.since})"

    @staticmethod
    def parse(text: bytes) -> Holder | None:
        try:
            return Holder(**json.loads(text))
        except (ValueError, TypeError):
            return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class WriterLock:
    """Context manager holding the lake's writer lock for `run_id`."""

    def __init__(
        self,
        lake: Lake,
        run_id: str,
        *,
        wait_seconds: float = 0.0,
        stale_after_seconds: float = DEFAULT_STALE_AFTER_SECONDS,
    ) -> None:
        self.lake = lake
        self.holder = Holder(
            run_id=run_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            since=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.wait_seconds = wait_seconds
        self.stale_after_seconds = stale_after_seconds
        self._descriptor: int | None = None
        self._owns_remote_lock = False
        self.dead_holder: Holder | None = None  # the holder that died with the lock, if any

    def __enter__(self) -> WriterLock:
        self.dead_holder = self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def acquire(self) -> Holder | None:
        """Take the lock, waiting up to `wait_seconds`; raise LakeBusy if another run keeps it.
        Returns the previous holder when it died holding the lock, else None."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            taken, other = self._try_local() if self.lake.is_local else self._try_remote()
            if taken:
                return other
            if other is not None and other.run_id == self.holder.run_id:
                return None  # a step of the same run holds it
            if time.monotonic() >= deadline:
                who = other.describe() if other else "another process"
                raise LakeBusy(
                    f"{self.lake.url(LOCK_PATH)}: the lake is being written by {who}; "
                    f"this run stops instead of interleaving its writes. Run it again when that "
                    f"one has finished (or set LABOR_LAKE_LOCK_WAIT_SECONDS to wait)."
                )
            time.sleep(_POLL_SECONDS)

    def release(self) -> None:
        if self._descriptor is not None:
            os.ftruncate(self._descriptor, 0)  # an empty lock file means "released cleanly"
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            os.close(self._descriptor)
            self._descriptor = None
        if self._owns_remote_lock:
            current = self._read_remote()
            if current is not None and current == self.holder:
                self.lake.fs.rm(self.lake.path(LOCK_PATH))
            self._owns_remote_lock = False

    def _try_local(self) -> tuple[bool, Holder | None]:
        path = Path(self.lake.path(LOCK_PATH))
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False, Holder.parse(path.read_bytes())
        previous = Holder.parse(os.pread(descriptor, 4096, 0))
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(asdict(self.holder)).encode(), 0)
        os.fsync(descriptor)
        self._descriptor = descriptor
        return True, previous

    def _read_remote(self) -> Holder | None:
        with contextlib.suppress(FileNotFoundError):
            return Holder.parse(self.lake.read_bytes(LOCK_PATH))
        return None

    def _is_stale(self, holder: Holder) -> bool:
        if holder.host == self.holder.host and not _process_exists(holder.pid):
            return True
        age = datetime.now(UTC) - datetime.fromisoformat(holder.since)
        return age.total_seconds() > self.stale_after_seconds

    def _try_remote(self) -> tuple[bool, Holder | None]:
        current = self._read_remote()
        dead = None
        if current is not None:
            if not self._is_stale(current):
                return False, current
            dead = current
        self.lake.write_bytes(LOCK_PATH, json.dumps(asdict(self.holder)).encode())
        time.sleep(_POLL_SECONDS)  # let a racing writer's PUT land, then see who won
        winner = self._read_remote()
        if winner != self.holder:
            return False, winner
        self._owns_remote_lock = True
        return True, dead
