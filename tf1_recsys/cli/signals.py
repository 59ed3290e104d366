"""SIGINT / SIGTERM during training: save a checkpoint, then exit with 128 + the signal number.

The first signal asks the trainer to stop after its current step (``Trainer.request_stop``);
``fit`` then saves and returns, and the command exits with 130 (SIGINT) or 143 (SIGTERM).
A second signal of the same kind is handled as it would be without us (KeyboardInterrupt
for SIGINT, termination for SIGTERM), so an impatient user can still stop at once.
"""
import contextlib
import signal
import threading

_SIGNALS = (("SIGINT", signal.SIGINT), ("SIGTERM", signal.SIGTERM))


@contextlib.contextmanager
def stop_on_signals(trainer):
    """Context manager; yields a list that holds ``[signal name, signal number]`` once one arrived."""
    caught = []
    if threading.current_thread() is not threading.main_thread():  # signal.signal works only there
        yield caught
        return
    previous = {}

    def handler(signum, frame):
        name = signal.Signals(signum).name
        if not caught:
            caught.extend([name, signum])
        trainer.request_stop(name)
        signal.signal(signum, previous[signum])

    for _, signum in _SIGNALS:
        previous[signum] = signal.signal(signum, handler)
    try:
        yield caught
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


__all__ = ["stop_on_signals"]
