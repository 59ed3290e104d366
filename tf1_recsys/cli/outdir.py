"""Output folders of the ``tf1-recsys`` commands: what a run wrote, its lock, safe overwrite.

A folder that tf1-recsys writes holds the marker file ``.tf1_recsys_output``: a JSON
record of every file a run wrote there (paths relative to the folder). ``--overwrite``
removes exactly those files, and leaves everything else, a user's ``notes.txt`` or
``train.py`` included. Markers of earlier releases are plain text without a record;
for those, only files named as tf1-recsys names its outputs are removed.

A run holds an exclusive ``fcntl.flock`` on ``.tf1_recsys.lock`` for its whole life, so
a second run on the same folder (a second ``--resume``, an ``--overwrite`` of a folder
being trained in) stops with one line naming the PID that holds it.

Nothing here imports TensorFlow.
"""
import datetime
import fnmatch
import json
import os

from tf1_recsys.cli.common import CLIError
from tf1_recsys.version import __version__

MARKER = ".tf1_recsys_output"
LOCK = ".tf1_recsys.lock"

TRAINER_PATTERNS = ("checkpoint", "model.ckpt-*", "events.out.tfevents.*", "graph.pbtxt")
"""Names of the files that training (``Trainer.fit``, an Estimator chief) writes into its model directory."""

_OWN_NAMES = TRAINER_PATTERNS + (
    "run.json", "frozen.pb", "frozen.serving.json", "importance.png", "importance.csv", "summary.json",
    "sensitivity.png", "sensitivity.csv", "din_frozen.pb", "din_frozen.serving.json", ".tmp_*",
)
_DEMO_SUBFOLDERS = ("din", "fm", "mmoe")


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _walk_files(root):
    """Relative paths of the files under ``root`` (symlinks are not followed)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        rel = os.path.relpath(dirpath, root)
        for f in filenames:
            found.append(f if rel == "." else os.path.join(rel, f))
    return found


def refuse_dangerous(path, what="--out"):
    """CLIError when ``path`` must never be overwritten: ``/``, home, cwd or its parents, a symlink."""
    if os.path.islink(path.rstrip("/\\") or path):
        raise CLIError("%s %s is a symbolic link; refusing to overwrite through it (name the real folder)"
                       % (what, path))
    real = os.path.realpath(path)
    cwd = os.path.realpath(os.getcwd())
    home = os.path.realpath(os.path.expanduser("~"))
    if real == os.path.realpath(os.sep) or real == home:
        raise CLIError("%s %s is %s; refusing to overwrite it (choose a folder of its own)"
                       % (what, path, "the root folder" if real == os.path.realpath(os.sep) else "the home folder"))
    if cwd == real or cwd.startswith(real.rstrip(os.sep) + os.sep):
        raise CLIError("%s %s is the working directory or one of its parents; refusing to overwrite it "
                       "(choose a folder of its own)" % (what, path))


class OutputFolder:
    """One output folder: its marker and record of written files, and its lock.

    Args:
      path: the folder (need not exist yet).
    """

    def __init__(self, path):
        self.path = path
        self._lock_fd = None
        self._before = None

    # ------------------------------------------------------------------ state
    @property
    def marker(self):
        return os.path.join(self.path, MARKER)

    def is_ours(self):
        return os.path.isfile(self.marker)

    def _read_marker(self):
        """``(record, legacy, created)``: the recorded relative paths, whether the marker predates
        records (plain text), and when the folder was first marked (None if unknown)."""
        try:
            with open(self.marker, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return set(), False, None
        try:
            data = json.loads(text)
        except ValueError:
            return set(), True, None
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            return set(), True, None
        return set(str(p) for p in data["files"]), False, data.get("created")

    def recorded(self):
        return self._read_marker()[0]

    def _write_marker(self, files, created=None):
        data = {"written_by": "tf1-recsys %s" % __version__,
                "created": created or datetime.datetime.now().isoformat(timespec="seconds"),
                "files": sorted(files)}
        tmp = self.marker + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        os.replace(tmp, self.marker)

    def user_files(self):
        """Files in the folder that no tf1-recsys run recorded (what overwrite keeps)."""
        if not os.path.isdir(self.path):
            return []
        mine = self._owned_now()
        return sorted(f for f in _walk_files(self.path) if f not in mine and f not in (MARKER, LOCK))

    def _owned_now(self):
        record, legacy, _ = self._read_marker()
        if not legacy:
            return record
        owned = set()
        for f in _walk_files(self.path):
            parts = f.split(os.sep)
            if len(parts) == 1 and _matches(f, _OWN_NAMES):
                owned.add(f)
            elif len(parts) == 2 and parts[0] in _DEMO_SUBFOLDERS and _matches(parts[1], _OWN_NAMES):
                owned.add(f)
        return owned

    # ------------------------------------------------------------------ record
    def record(self, *relpaths):
        """Adds ``relpaths`` to the record (call it before writing them)."""
        files, _, created = self._read_marker()
        files.update(os.path.normpath(p) for p in relpaths)
        self._write_marker(files, created)

    def snapshot(self):
        """Remembers the files present now; ``record_new`` records only files added later."""
        self._before = set(_walk_files(self.path)) if os.path.isdir(self.path) else set()

    def record_new(self, patterns=TRAINER_PATTERNS):
        """Records the files that appeared since ``snapshot`` and are named like ``patterns``."""
        before = self._before or set()
        new = [f for f in _walk_files(self.path)
               if f not in before and _matches(os.path.basename(f), patterns)]
        files, _, created = self._read_marker()
        gone = {f for f in files if _matches(os.path.basename(f), patterns)
                and not os.path.lexists(os.path.join(self.path, f))}  # old checkpoints the Saver deleted
        if gone or not set(new) <= files:
            self._write_marker((files - gone) | set(new), created)

    # ------------------------------------------------------------------ lock
    def lock(self):
        """Takes the folder's exclusive lock for the life of this process (creates the folder).

        Raises:
          CLIError naming the PID of the run that holds it.
        """
        import fcntl

        os.makedirs(self.path, exist_ok=True)
        path = os.path.join(self.path, LOCK)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise CLIError("output folder %s is in use by another tf1-recsys run (PID %s); wait for it "
                           "to finish or choose another --out" % (self.path, holder)) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._lock_fd = fd
        _HELD.append(self)
        return self

    def unlock(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None
        if self in _HELD:
            _HELD.remove(self)

    # ------------------------------------------------------------------ overwrite
    def clear(self):
        """Removes what tf1-recsys runs wrote here (files, then their emptied folders); keeps the rest.

        Returns the number of files removed.
        """
        owned = self._owned_now()
        removed = 0
        for rel in owned:
            full = os.path.join(self.path, rel)
            if os.path.isfile(full) or os.path.islink(full):
                os.remove(full)
                removed += 1
        folders = set()  # the folders that held those files and their parents, deepest first
        for rel in owned:
            rel = os.path.dirname(rel)
            while rel:
                folders.add(rel)
                rel = os.path.dirname(rel)
        for rel in sorted(folders, key=lambda p: -p.count(os.sep)):
            full = os.path.join(self.path, rel)
            if os.path.isdir(full) and not os.path.islink(full) and not os.listdir(full):
                os.rmdir(full)
        self._write_marker(set(), self._read_marker()[2])
        return removed

    def prepare(self, overwrite=False):
        """Makes the folder ready for a new run: created, locked, marked; earlier outputs removed.

        Raises CLIError when it holds files and ``overwrite`` is False, or when it holds
        files but no marker (never written by tf1-recsys).
        """
        check_out(self.path, overwrite)
        self.lock()
        check_out(self.path, overwrite)  # again, under the lock
        if overwrite and self.is_ours():
            self.clear()
        files, _, created = self._read_marker()
        self._write_marker(files, created)
        self.snapshot()
        return self


_HELD = []


def release_locks():
    """Releases every folder lock this process holds (the command calls it when it ends)."""
    for folder in list(_HELD):
        folder.unlock()


def check_out(path, overwrite=False, what="output folder"):
    """CLIError unless a new run may write into ``path`` (creates nothing)."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise CLIError("%s %s exists and is a file" % (what, path))
    if not os.path.isdir(path):
        return
    present = [f for f in os.listdir(path) if f not in (LOCK,)]
    if not present or present == [MARKER] and not OutputFolder(path).recorded():
        return
    if not overwrite:
        raise CLIError("%s %s exists and is not empty; pass --overwrite to replace what tf1-recsys wrote "
                       "there" % (what, path))
    refuse_dangerous(path)
    if not os.path.isfile(os.path.join(path, MARKER)):
        raise CLIError("%s %s was not written by tf1-recsys; refusing to touch it (choose another --out)"
                       % (what, path))


def fresh_folder(path):
    """``path`` when it is free or empty, else the first free ``path-2``, ``path-3``, ..."""
    candidate, k = path, 1
    while os.path.exists(candidate) and (not os.path.isdir(candidate) or os.listdir(candidate)):
        k += 1
        candidate = "%s-%d" % (path.rstrip("/\\"), k)
    return candidate


__all__ = ["OutputFolder", "check_out", "release_locks", "fresh_folder", "refuse_dangerous", "MARKER", "LOCK", "TRAINER_PATTERNS"]
