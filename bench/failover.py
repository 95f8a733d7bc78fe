"""Database failover rehearsal: does an acknowledged post survive the loss of the PostgreSQL primary?

On this machine (docs/DEPLOY.md, "PostgreSQL: primary and streaming standby"):
  * a primary `pg1` and a synchronous streaming standby `pg2` (initdb, pg_basebackup -R -X stream,
    `synchronous_standby_names = 'FIRST 1 (pg2)'`): a commit is acknowledged once it is on both;
  * two app servers and the one worker behind nginx (scripts/cluster.sh, bench/cluster.py), whose
    DATABASE_URL is libpq's multi-host URL with `target_session_attrs=read-write`: a new connection goes
    to whichever of the two hosts accepts writes, so after the switch nothing is re-pointed by hand;
  * the load harness's clients (bench/load_faults.py: phone form posts and API posts with idempotency keys,
    reads; retried like the phones' queue) posting through nginx.
At --kill-at seconds the primary is killed -9 (its postmaster and every backend: the machine is gone),
after --decide-after seconds (the person, or Patroni, deciding) the standby is promoted and left
asynchronous (it has no standby yet). Then the figures: every acknowledged post stored exactly once on
the new primary (0 lost, 0 duplicated), 5xx only inside the switch window (from the kill to the first post
acknowledged by the new primary; plus 1 s for answers already on their way), and the window <= 30 s.
Then the old primary is rebuilt as the new one's standby (pg_rewind; a fresh pg_basebackup if that fails),
made synchronous again, and checked: it holds every stored post, and a post made now is on both.

Everything lives under --dir (default a new directory under /tmp) and is removed at the end, whatever
happens (a signal, an error); the shared PostgreSQL server is never touched. Needs Debian's PostgreSQL
server binaries (/usr/lib/postgresql/<version>/bin; as root they run as `postgres`, as initdb refuses
root), nginx, Redis (rate limits shared by the servers) and the venv.

Usage:  .venv/bin/python bench/failover.py [--clients 16] [--duration 40] [--kill-at 10] [--decide-after 5]
          [--pg-ports 5481,5482] [--ports LB,APP1,APP2] [--redis redis://127.0.0.1:6379/0] [--dir DIR] [--fast]
(scripts/failover-rehearsal.sh runs it; tests/test_failover.py runs a short version on PostgreSQL CI runs.)
Exit status 1 if any check fails.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster  # noqa: E402
from bench.cluster import missing_prerequisite as cluster_missing_prerequisite  # noqa: E402
from bench.live_app import prepare_database  # noqa: E402
from bench.load_faults import _as_postgres, _pg_bin, run_phase, stored_markers  # noqa: E402

WINDOW_LIMIT_S = 30.0
IN_FLIGHT_S = 1.0  # a 5xx answered this long after the window closed was on its way when it did


def missing_prerequisite(database_url: str, redis_url: str) -> str | None:
    """Why the rehearsal cannot run here, or None."""
    if not database_url.startswith("postgresql"):
        return "a PostgreSQL failover; the suite runs on SQLite"
    try:
        _pg_bin("initdb")
    except RuntimeError as missing:
        return f"PostgreSQL's server binaries: {missing}"
    return cluster_missing_prerequisite(database_url, redis_url)


def _owned_by_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _wait(what: str, test, timeout: float = 60.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = test()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)


class Node:
    """One PostgreSQL server of the pair: its data directory under the pair's, its port on 127.0.0.1."""

    def __init__(self, name: str, port: int, root: Path, fsync: bool):
        self.name, self.port, self.root, self.fsync = name, port, root, fsync
        self.data, self.log = root / name, root / f"{name}.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def conninfo(self, application_name: str = "") -> str:
        tail = f" application_name={application_name}" if application_name else ""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres{tail}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        if not self.fsync:  # the CI's short version: a killed process loses nothing the kernel holds
            options += " -c fsync=off"
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "90", "-o", options,
                      "start"], timeout=120)

    def sql(self, statement: str, database: str = "postgres") -> str:
        return _as_postgres([_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                             "-v", "ON_ERROR_STOP=1", "-qtAc", statement]).strip()

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill(self) -> int:
        """kill -9 of the postmaster and every process it started, as when its machine dies: each client's
        socket is closed (reset) at once. Returns the postmaster's pid."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(postmaster)], capture_output=True,
                                  text=True).stdout.split()
        for pid in [postmaster, *map(int, children)]:  # the postmaster first: it restarts no backend
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait(f"{self.name} to stop accepting connections", lambda: not self.accepts_connections(), 10, 0.05)
        return postmaster

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"], timeout=30)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                pass

    def follow(self, primary: Node) -> None:
        """Make this data directory a standby of `primary`, named after itself (synchronous_standby_names
        on the primary refers to that name); it asks for no standby of its own until it is promoted."""
        auto = self.data / "postgresql.auto.conf"
        auto.write_text("# Written by bench/failover.py\n"
                        f"primary_conninfo = '{primary.conninfo(self.name)}'\n"
                        "synchronous_standby_names = ''\n")
        (self.data / "standby.signal").touch()
        for path in (auto, self.data / "standby.signal"):
            _owned_by_postgres(path)

    def require_sync_standby(self, name: str, timeout: float = 60) -> None:
        """On the primary: commits wait for `name` from now on; returns once it is the synchronous one."""
        self.sql(f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({name})'")
        self.sql("SELECT pg_reload_conf()")
        _wait(f"{name} to be {self.name}'s synchronous standby", lambda: self.sql(
            f"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{name}'") == "sync", timeout)


class Pair:
    """A primary and its synchronous streaming standby under `root` (pg1 starts as the primary)."""

    def __init__(self, root: Path, ports: tuple[int, int], fsync: bool = True):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        _owned_by_postgres(root)
        self.primary, self.standby = (Node(name, port, root, fsync) for name, port in zip(("pg1", "pg2"), ports))
        self.nodes = (self.primary, self.standby)

    def url(self, database: str) -> str:
        """What the app servers are given: libpq's multi-host URL; a connection goes to the host that
        accepts writes, trying them in this order."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)
        return f"postgresql://postgres@{hosts}/{database}?target_session_attrs=read-write"

    def build(self) -> None:
        initdb = [_pg_bin("initdb"), "-D", str(self.primary.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        _as_postgres(initdb + ([] if self.primary.fsync else ["--no-sync"]), timeout=120)
        with open(self.primary.data / "postgresql.conf", "a") as conf:
            conf.write("\n# bench/failover.py\n"
                       "wal_log_hints = on          # pg_rewind can turn a failed primary into a standby\n"
                       "wal_keep_size = '256MB'     # and find the WAL it needs on the new primary\n")
        self.primary.start()
        _as_postgres([_pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                      "-D", str(self.standby.data), "-X", "stream", "-c", "fast"], timeout=120)
        self.standby.follow(self.primary)
        self.standby.start()
        self.primary.require_sync_standby(self.standby.name)

    def fail_over(self) -> None:
        """Promote the standby (it stays asynchronous: it has no standby until the old primary is rebuilt)."""
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.standby.data), "-w", "-t", "60", "promote"], timeout=90)
        self.primary, self.standby = self.standby, self.primary

    def rebuild_standby(self) -> str:
        """The old primary (now self.standby, dead) back as the new primary's synchronous standby: pg_rewind
        (it first finishes the killed server's crash recovery), or a fresh pg_basebackup if that fails."""
        old, new = self.standby, self.primary
        new.sql("CHECKPOINT")  # pg_rewind reads the new timeline from the control file a checkpoint writes
        try:
            _as_postgres([_pg_bin("pg_rewind"), "--target-pgdata", str(old.data), "--source-server",
                          new.conninfo()], timeout=180)
            how = "pg_rewind"
        except subprocess.CalledProcessError as failed:
            print(f"  pg_rewind failed ({failed.stderr.strip()[-200:]}); a new pg_basebackup instead", flush=True)
            shutil.rmtree(old.data)
            _as_postgres([_pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(new.port), "-U", "postgres",
                          "-D", str(old.data), "-X", "stream", "-c", "fast"], timeout=180)
            how = "pg_basebackup"
        old.follow(new)
        old.start()
        new.require_sync_standby(old.name)
        return how

    def caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written (its reads are then complete)."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        _wait("the standby to replay the primary's WAL", lambda: self.standby.sql(
            f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t", 60)

    def remove(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Figures:
    acked: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    abandoned: int = 0
    refused: int = 0
    five_xx: int = 0
    five_xx_statuses: dict = field(default_factory=dict)
    five_xx_outside_window: int = 0
    window_s: float = 0.0  # the kill -> the first post acknowledged by the new primary
    promoted_after_s: float = 0.0
    first_ack_after_promotion_s: float = 0.0
    rebuilt_with: str = ""
    rebuild_s: float = 0.0
    standby_has_all: bool = False
    post_after_rebuild_on_both: bool = False
    worker_ok_after: bool = False
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        statuses = ", ".join(f"{code} x{n}" for code, n in sorted(self.five_xx_statuses.items())) or "none"
        return "\n".join([
            f"  posts acknowledged {self.acked}, stored {self.stored}; lost {self.lost}, duplicated "
            f"{self.duplicated}, abandoned {self.abandoned}, refused 4xx {self.refused}",
            f"  switch window {self.window_s:.1f} s (limit {WINDOW_LIMIT_S:.0f} s): promoted "
            f"{self.promoted_after_s:.1f} s after the kill, first post acknowledged "
            f"{self.first_ack_after_promotion_s:.2f} s after the promotion",
            f"  5xx: {self.five_xx} ({statuses}); outside the window: {self.five_xx_outside_window}",
            f"  old primary rebuilt as the synchronous standby with {self.rebuilt_with} in {self.rebuild_s:.1f} s; "
            f"it holds every stored post: {'yes' if self.standby_has_all else 'NO'}; a post made now is on "
            f"both: {'yes' if self.post_after_rebuild_on_both else 'NO'}; worker ok: "
            f"{'yes' if self.worker_ok_after else 'NO'}",
            "  FAILOVER OK" if self.ok else "  FAILOVER FAILED: " + "; ".join(self.problems),
        ])


def _judge(result, switch: dict, figures: Figures) -> None:
    stats = result.stats
    kill, promoted = switch["kill"], switch["promoted"]
    figures.acked, figures.stored = len(stats.acked), len(result.stored)
    figures.lost, figures.duplicated = len(result.lost), len(result.duplicated)
    figures.abandoned, figures.refused = len(stats.abandoned), len(stats.rejected)
    figures.five_xx = len(stats.five_xx)
    for _at, status, _retry_after in stats.five_xx:
        figures.five_xx_statuses[status] = figures.five_xx_statuses.get(status, 0) + 1
    figures.promoted_after_s = promoted - kill
    after = [at for at in stats.acked_at.values() if at > promoted]
    if not after:
        figures.problems.append("no post was acknowledged after the promotion")
        return
    first = min(after)
    figures.window_s, figures.first_ack_after_promotion_s = first - kill, first - promoted
    figures.five_xx_outside_window = sum(1 for at, _s, _r in stats.five_xx if at < kill or at > first + IN_FLIGHT_S)
    if figures.lost or figures.duplicated or figures.abandoned:
        figures.problems.append("acknowledged posts lost, duplicated or abandoned")
    if set(result.stored) != set(stats.acked):
        figures.problems.append("stored posts are not the acknowledged ones")
    if figures.refused:
        figures.problems.append(f"posts refused: {next(iter(stats.rejected.values()))}")
    if figures.five_xx_outside_window:
        figures.problems.append("5xx outside the switch window")
    if set(figures.five_xx_statuses) - {503}:
        figures.problems.append("a 5xx other than the app's 503 (the app servers were up all along)")
    if any(not retry_after for _at, _s, retry_after in stats.five_xx):
        figures.problems.append("a 503 without Retry-After")
    if figures.window_s > WINDOW_LIMIT_S:
        figures.problems.append(f"the switch window exceeds {WINDOW_LIMIT_S:.0f} s")
    if figures.acked < 10 or not any(at < kill for at in stats.acked_at.values()):
        figures.problems.append("too few posts acknowledged (before and after the kill) to tell")


def _post_once(cluster: Cluster, demo, marker: str) -> bool:
    """One API post through nginx, retried on 5xx with the same key; True once acknowledged."""
    key = uuid.uuid4().hex
    for _ in range(30):
        response = requests.post(cluster.url + "/api/v1/incidents", timeout=30, json={
            "patient_kind": "voter", "complaint": "pingsan", "triage": "hijau", "tps_id": demo.tps_id,
            "notes": marker}, headers={"Authorization": f"Bearer {demo.reporter_token}", "Idempotency-Key": key})
        if response.status_code < 300:
            return True
        if response.status_code < 500:
            return False
        time.sleep(1)
    return False


def rehearse(root: Path, pg_ports: tuple[int, int], app_ports: list[int] | None, redis_url: str, clients: int,
             duration: float, kill_at: float, decide_after: float, fsync: bool = True, log=print) -> Figures:
    reason = missing_prerequisite("postgresql://", redis_url)  # (the pair is made here)
    if reason:
        raise RuntimeError(reason)
    pair = Pair(root / "pg", pg_ports, fsync)
    cluster = None
    try:
        started = time.monotonic()
        pair.build()
        log(f"  primary pg1 on :{pg_ports[0]}, synchronous standby pg2 on :{pg_ports[1]} "
            f"({time.monotonic() - started:.1f} s)")
        pair.primary.sql("CREATE DATABASE siaga")
        started = time.monotonic()
        demo = prepare_database(pair.url("siaga"))
        cluster = Cluster(demo.database_url, servers=2, workers=2, redis_url=redis_url, ports=app_ports,
                          run_dir=str(root / "cluster")).start()
        log(f"  2 app servers and the worker behind nginx at {cluster.url} ({time.monotonic() - started:.1f} s "
            f"with the migrations and the demo's seed); DATABASE_URL={pair.url('siaga')}")
        switch: dict = {}

        def failover(outage):
            switch["kill"] = outage.start = time.monotonic()
            pid = pair.primary.kill()
            time.sleep(decide_after)
            pair.fail_over()
            switch["promoted"] = outage.end = time.monotonic()
            return f"kill -9 of primary pg1 (postmaster {pid} and its backends), pg2 promoted"

        result = run_phase("failover", cluster, demo, clients, duration, faults=[(kill_at, failover)])
        log(result.report())
        figures = Figures()
        _judge(result, switch, figures)

        started = time.monotonic()
        figures.rebuilt_with = pair.rebuild_standby()
        figures.rebuild_s = time.monotonic() - started
        pair.caught_up()
        figures.standby_has_all = stored_markers(pair.standby.url("siaga"), result.run) == result.stored
        run = f"after-rebuild-{uuid.uuid4().hex[:8]}"  # stored_markers finds "<run>-..." notes
        if _post_once(cluster, demo, f"{run}-1"):  # a synchronous commit: on the standby once acknowledged
            pair.caught_up()  # (flushed there; replayed, so a read there sees it, a moment later)
            figures.post_after_rebuild_on_both = all(
                stored_markers(node.url("siaga"), run) == {f"{run}-1": 1} for node in pair.nodes)
        if not figures.standby_has_all:
            figures.problems.append("the rebuilt standby lacks stored posts")
        if not figures.post_after_rebuild_on_both:
            figures.problems.append("a post after the rebuild is not on both servers")
        try:
            _wait("the worker's heartbeat on the new primary", lambda: requests.get(
                cluster.url + "/healthz", timeout=10).json().get("worker") == "ok", 60, 1)
            figures.worker_ok_after = True
        except RuntimeError:
            figures.problems.append("the worker did not beat again after the switch")
        return figures
    finally:
        try:
            if cluster is not None:
                cluster.stop()
        finally:
            pair.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=40, help="seconds of posting (the kill is inside)")
    parser.add_argument("--kill-at", type=float, default=10)
    parser.add_argument("--decide-after", type=float, default=5, help="seconds from the kill to the promotion")
    parser.add_argument("--pg-ports", default="5481,5482")
    parser.add_argument("--ports", help="nginx and the two app servers: LB,APP1,APP2 (default: free ones)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--dir", help="work directory (default: a new one under /tmp); removed at the end")
    parser.add_argument("--fast", action="store_true", help="fsync off (the CI's short version)")
    args = parser.parse_args()
    os.environ.setdefault("SIAGA_ENV", "testing")
    # A signal ends the run through the `finally`s: every server started here is stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: sys.exit(128 + number))
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="siaga-failover-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # the `postgres` user reaches its data directories under it
    pg_ports = tuple(int(p) for p in args.pg_ports.split(","))
    app_ports = [int(p) for p in args.ports.split(",")] if args.ports else None
    print(f"== failover rehearsal: {args.clients} clients x {args.duration:.0f} s, primary killed at "
          f"{args.kill_at:.0f} s, standby promoted {args.decide_after:.0f} s later (work dir {root})", flush=True)
    try:
        figures = rehearse(root, pg_ports, app_ports, args.redis, args.clients, args.duration, args.kill_at,
                           args.decide_after, fsync=not args.fast)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(figures.report())
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
