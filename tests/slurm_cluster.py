"""A real single-node SLURM (Debian's slurm-wlm 22.05 + munge) for the integration test.

Installs the packages when missing (root + apt-get), writes /etc/slurm/slurm.conf (state, spool
and logs in a scratch folder; a slurm.conf already there is moved aside and put back at the end),
starts munged (if no munge daemon answers yet), slurmctld and slurmd in the foreground under
setsid, records their PIDs and stops exactly those PIDs. No accounting database: `sacct` does not
work, `squeue` does.

The configuration must be at SLURM's default path: the executor plugin deletes every SLURM_*
variable (SLURM_CONF included) inside a job before it calls `srun`.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

BINARIES = ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel", "munged", "munge", "unmunge")
PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
CONF = Path("/etc/slurm/slurm.conf")
MARK = "# affectflow test cluster (tests/slurm_cluster.py)"
PARTITION = "debug"  # the partition profiles/slurm uses by default


class SlurmUnavailable(RuntimeError):
    """SLURM cannot run on this machine; the message says why."""


def _missing() -> list[str]:
    return [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]


def ensure_installed() -> None:
    if not _missing():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SlurmUnavailable(f"SLURM binaries {_missing()} are missing and cannot be installed "
                               "(needs root and apt-get: apt-get install slurmctld slurmd slurm-client munge)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if proc.returncode != 0:
            raise SlurmUnavailable(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    if _missing():
        raise SlurmUnavailable(f"still missing after apt-get install: {_missing()}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, log: Path | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.3)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise SlurmUnavailable(f"{what} did not come up within {timeout:.0f} s\n{tail}")


class LocalSlurm:
    def __init__(self, root: Path, cpus: int | None = None, mem_mb: int = 65536):
        self.root = root
        self.cpus = cpus or os.cpu_count() or 1
        self.mem_mb = mem_mb
        self.conf = CONF
        self.backup = root / "slurm.conf.before"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.pids: dict[str, int] = {}
        self._procs: list[subprocess.Popen] = []

    def write_conf(self) -> None:
        r = self.root
        for d in ("state", "spool"):
            (r / d).mkdir(parents=True, exist_ok=True)
        if self.conf.exists() and MARK not in self.conf.read_text():
            shutil.copy2(self.conf, self.backup)
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(f"""\
{MARK}
ClusterName=affecttest
SlurmctldHost=localhost
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/slurmctld.log
SlurmdLogFile={r}/slurmd.log
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=600
DefMemPerCPU=1000
# memory as configured, not as probed: the profile's per-rule mem_mb must fit on a small test node
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.mem_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.root / f"{name}.out", "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        self.pids[name] = proc.pid
        self._procs.append(proc)

    def _munge_works(self) -> bool:
        cred = subprocess.run(["munge", "-n"], capture_output=True)
        return cred.returncode == 0 and subprocess.run(["unmunge"], input=cred.stdout, capture_output=True).returncode == 0

    def start(self) -> None:
        self.write_conf()
        if not self._munge_works():
            if not Path("/etc/munge/munge.key").exists():
                subprocess.run(["mungekey", "--create"], check=True, capture_output=True)
                shutil.chown("/etc/munge/munge.key", "munge", "munge")
            Path("/run/munge").mkdir(parents=True, exist_ok=True)
            shutil.chown("/run/munge", "munge", "munge")
            self._spawn("munged", ["setpriv", "--reuid=munge", "--regid=munge", "--init-groups", "/usr/sbin/munged", "-F"])
            _wait("munged", self._munge_works, 20, self.root / "munged.out")
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._spawn("slurmd", ["slurmd", "-D", "-N", "localhost", "-f", str(self.conf)])
        _wait("the SLURM node", self.node_idle, 60, self.root / "slurmctld.log")

    def node_idle(self) -> bool:
        out = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True, env=self.env)
        return out.returncode == 0 and out.stdout.strip() == "idle"

    def jobs(self) -> list[dict]:
        """Every job slurmctld still remembers (finished ones for MinJobAge): id, name, state, comment,
        partition, min_memory, time_limit."""
        keys = ("id", "name", "state", "comment", "partition", "min_memory", "time_limit")
        out = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i|%j|%T|%k|%P|%m|%l"], capture_output=True,
                             text=True, env=self.env, check=True).stdout
        return [dict(zip(keys, line.split("|"))) for line in out.splitlines() if line]

    def log(self) -> str:
        return (self.root / "slurmctld.log").read_text()

    def stop(self) -> None:
        subprocess.run(["scancel", "--full", "--user", "root"], env=self.env, capture_output=True)
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.get(name)
            if pid is None:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self._procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.backup.exists():
            shutil.move(self.backup, self.conf)
        elif self.conf.exists() and MARK in self.conf.read_text():
            self.conf.unlink()
