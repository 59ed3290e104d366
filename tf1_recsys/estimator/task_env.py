"""Environment variables the launcher sets for each task (no TensorFlow import here)."""

DEADLINE_ENV = "TF1_RECSYS_TASK_DEADLINE_SECS"
"""Seconds after which a task process exits with status 124 (``cluster.arm_deadline``)."""

__all__ = ["DEADLINE_ENV"]
