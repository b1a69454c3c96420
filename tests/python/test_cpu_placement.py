"""blenderd --instance-cpus on real Blender: every thread of every spawned
Blender (both launchers, under the strict sandbox) runs on the listed CPUs, the
daemon's threads on the others, instance.list and `blenderctl instances` say so,
and a list this machine cannot honour stops the daemon at start with the CPUs it
may use."""

import os
import subprocess

import pytest

from daemon_harness import (LAUNCHER_REQUIREMENT, Daemon, blenderctl_binary, blenderd_binary, have_launcher,
                            missing_reason, processes_mentioning, status_field)

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")

ALLOWED = sorted(os.sched_getaffinity(0))


def cpu_list(cpus):
    """The kernel's list format, as /proc/PID/status writes it: [0, 1, 2, 5] -> "0-2,5"."""
    parts, start = [], None
    for index, cpu in enumerate(cpus):
        start = cpu if start is None else start
        if index + 1 == len(cpus) or cpus[index + 1] != cpu + 1:
            parts.append(str(cpu) if start == cpu else "%d-%d" % (start, cpu))
            start = None
    return ",".join(parts)


def thread_cpus(pid):
    """{Cpus_allowed_list of each thread of pid}: one value when all agree."""
    found = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                value = next(line.split(":", 1)[1].strip() for line in f if line.startswith("Cpus_allowed_list:"))
        except (OSError, StopIteration):
            continue  # the thread ended
        found.add(value)
    return found


@pytest.mark.skipif(len(ALLOWED) < 2, reason="needs 2 CPUs: one for the instances, one for the daemon")
def test_instances_and_daemon_run_on_cpus_of_their_own(tmp_path):
    instance_cpu = ALLOWED[-1]
    rest_list = cpu_list(ALLOWED[:-1])
    launchers = [name for name in ("executable", "module") if have_launcher(name)]
    daemon = Daemon(tmp_path, warm=len(launchers), max_instances=len(launchers) + 1,
                    extra_args=["--instance-cpus", str(instance_cpu)])
    try:
        assert thread_cpus(daemon.pid) == {rest_list}, "the daemon keeps off the instances' CPU"
        with daemon.client() as client:
            for launcher in launchers:
                opened = client.call("session.open", blender=LAUNCHER_REQUIREMENT[launcher])
                out = client.call("script.exec", session=opened["session"], code=(
                    "import os, threading\n"
                    # A thread the script starts inherits the placement too.
                    "seen = []\n"
                    "t = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))\n"
                    "t.start(); t.join()\n"
                    "result = [sorted(os.sched_getaffinity(0)), seen[0]]\n"))
                assert out["value"] == [[instance_cpu], [instance_cpu]], launcher
                listed = {i["id"]: i for i in client.call("instance.list")["instances"]}
                assert listed[opened["instance"]]["cpus"] == [instance_cpu]
                client.call("session.close", session=opened["session"])
        # blenderctl's table says so too.
        table = subprocess.run([blenderctl_binary(), "instances", "--socket", daemon.socket_path],
                               capture_output=True, text=True, timeout=30)
        header, *rows = table.stdout.splitlines()
        column = header.index("CPUS")  # a character offset: values such as "2.0 MiB" hold spaces
        assert rows and all(row[column:].split()[0] == str(instance_cpu) for row in rows), table.stdout
        # Every process of every instance (taskset, prlimit and sh exec in place; bwrap and Blender
        # and Blender's own threads), seen from outside the sandbox.
        pids = [pid for pid in processes_mentioning(daemon.state_dir) if pid != daemon.pid]
        assert pids, "the daemon's instances are running"
        for pid in pids:
            assert thread_cpus(pid) <= {str(instance_cpu)}, (pid, thread_cpus(pid))
    finally:
        daemon.stop()


@pytest.mark.parametrize("value, says", [
    ("1023", "blenderd may only use CPUs"),  # CPU_SETSIZE - 1: a real number, not on this machine
    ("1-0", "takes a CPU list like 1 or 2-3,6"),
    ("one", "takes a CPU list like 1 or 2-3,6"),
])
def test_a_cpu_list_this_machine_cannot_honour_stops_the_daemon_with_what_it_can_use(tmp_path, value, says):
    run = subprocess.run([blenderd_binary(), "--socket", str(tmp_path / "bd.sock"), "--state-dir", str(tmp_path / "state"),
                          "--instance-cpus", value], capture_output=True, text=True, timeout=30)
    assert run.returncode == 64, run
    allowed = status_field(os.getpid(), "Cpus_allowed_list")
    assert says in run.stderr and "CPUs %s" % allowed in run.stderr, run.stderr
    assert not (tmp_path / "bd.sock").exists(), "nothing was started"
