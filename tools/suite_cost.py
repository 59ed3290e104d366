"""CPU-seconds and wall seconds of test modules, each in its own pytest process, for before/after comparisons.

On a shared machine wall time follows the other jobs' load; the CPU-seconds of pytest and every process
it waited for (its subprocesses: reference scripts, CLI runs, cluster tasks) do much less, so they are
the figure to compare. Each module runs in a fresh ``python -m pytest -q -p no:cacheprovider MODULE``;
its resource usage comes from ``os.wait4`` (user + system of the process and its waited-for descendants).

    python tools/suite_cost.py [--python PY] [--set KEY=VALUE ...] [--label L] tests/test_a.py ...

``--set`` adds environment variables to the runs (for an A/B of a switch on one tree). Prints one
markdown row a module and the total; the exit status is 1 if any module's pytest failed.
"""
import argparse
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(python, module, env):
    """Runs pytest on ``module``; returns (exit status, wall s, CPU s, pytest's last line)."""
    start = time.perf_counter()
    proc = subprocess.Popen([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", module], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    lines = [line for line in out.splitlines() if line.strip()]
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, lines[-1] if lines else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="+")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error("argument --set: expected KEY=VALUE, got %r" % item)
        env[key] = value
    failed, total_wall, total_cpu = False, 0.0, 0.0
    print("| module | %s wall s | CPU s | pytest |" % args.label)
    print("|---|---|---|---|")
    for module in args.modules:
        rc, wall, cpu, last = measure(args.python, module, env)
        failed |= rc != 0
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print("| %s | %.1f | %.1f | %s |" % (os.path.basename(module), wall, cpu, last.strip("= ")), flush=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print("| total | %.1f | %.1f | load average at the end %s |" % (total_wall, total_cpu, " ".join(load)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
