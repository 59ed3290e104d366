"""A Python process run beside the test process whose last line of output is a JSON value.

The comparison tests start TensorFlow's side (or tf.estimator's, or ours in its own process) with
``JsonProcess`` and do their own side meanwhile, on the other core; ``result()`` then waits for it.
"""
import json
import subprocess


class JsonProcess(object):
    """Starts ``argv``; a context manager that kills it on leaving if it still runs (the caller
    failed before asking for the result). ``what`` names it in the failure message."""

    def __init__(self, argv, env, timeout, what, cwd=None):
        self._proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                      cwd=cwd)
        self._timeout, self._what = timeout, what

    def result(self):
        """Waits for the process; returns the JSON value of its last line (AssertionError if it failed)."""
        try:
            stdout, stderr = self._proc.communicate(timeout=self._timeout)
        finally:
            self.stop()
        if self._proc.returncode != 0:
            raise AssertionError("%s failed:\n" % self._what + stdout[-4000:] + stderr[-8000:])
        return json.loads(stdout.strip().splitlines()[-1])

    def stop(self):
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
