"""Runs the ``tf1-recsys`` command with its training steps slowed down, for tests that signal it mid-run.

Usage: cli_slow.py SLOW_AFTER ARGS...  (ARGS as for tf1-recsys)

After global step SLOW_AFTER each step sleeps 20 ms, and every checkpoint prints
'CHECKPOINT <step>', so the parent test can send a signal while training is under way.
With ``$CLI_SLOW_HOLD`` set to ``STEP:PATH``, once the checkpoint of step STEP or later is
printed each step also waits while the file PATH exists: several runs can start at once and
each waits, mid-training, for its test to signal it and remove PATH (at most HOLD_SECS, so that
no run outlives a test process that died). Everything else is the real command.

The tests start it with ``start_held`` and read its progress with ``wait_for_checkpoint``.
"""
import os
import subprocess
import sys
import time

HOLD_SECS = 600
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_held(slow_after, args, hold_at, hold_file, stderr_path):
    """Starts this script on the command's ``args`` (``["train", ...]``), slowed after step ``slow_after``
    and held after its checkpoint of step ``hold_at`` while ``hold_file`` exists (create it first). Its
    stdout is a pipe (``wait_for_checkpoint``), its stderr goes to the file ``stderr_path``.

    Returns:
      the ``subprocess.Popen``; the caller kills it and removes ``hold_file`` when done.
    """
    path = [REPO] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", CLI_SLOW_HOLD="%d:%s" % (hold_at, hold_file),
               PYTHONPATH=os.pathsep.join(path))
    with open(str(stderr_path), "w") as stderr:
        return subprocess.Popen([sys.executable, os.path.abspath(__file__), str(slow_after)] + list(args),
                                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=REPO)


def wait_for_checkpoint(proc, at_least):
    """The step of the first 'CHECKPOINT <step>' line of ``proc`` at or after ``at_least``; None if it ended."""
    for line in proc.stdout:
        if line.startswith("CHECKPOINT") and int(line.split()[1]) >= at_least:
            return int(line.split()[1])
    return None


def main():
    slow_after = int(sys.argv[1])
    from tf1_recsys.cli import main as cli_main
    from tf1_recsys.cli import runs

    recorder = runs.recorder
    hold_at, _, hold_file = os.environ.get("CLI_SLOW_HOLD", "").partition(":")
    holding = []

    def slow_recorder(folder, every_secs=1.0):
        record = recorder(folder, every_secs)

        def callback(event, info):
            record(event, info)
            if event == "checkpoint":
                print("CHECKPOINT %d" % info["step"], flush=True)
                if hold_file and info["step"] >= int(hold_at) and not holding:
                    holding.append(time.monotonic() + HOLD_SECS)
            if event == "step" and info["step"] >= slow_after:
                time.sleep(0.02)
                while holding and os.path.exists(hold_file) and time.monotonic() < holding[0]:
                    time.sleep(0.02)

        return callback

    runs.recorder = slow_recorder
    return cli_main(sys.argv[2:])


if __name__ == "__main__":
    sys.path.insert(0, REPO)
    sys.exit(main())
