"""Output folders of the ``tf1-recsys`` commands: what a run wrote, its lock, safe overwrite.

A folder that tf1-recsys writes holds the marker file ``.tf1_recsys_output``: a JSON
record of every file a run wrote there (paths relative to the folder). ``--overwrite``
removes exactly those files, and leaves everything else, a user's ``notes.txt`` or
``train.py`` included. Markers of earlier releases are plain text without a record;
for those, only files named as tf1-recsys names its outputs are removed.

Every path of the record is checked before anything is removed: one that leaves the folder
(``../x``, an absolute path) or passes through a symbolic link is refused, as is a linked
subfolder the command would write into. ``claim`` applies the same rule to every single file
a command writes (``importance.csv``, ``frozen.serving.json``, ``--scores-out``): a file that
tf1-recsys did not record is replaced only with ``--overwrite``. ``writing`` turns a failed
write (read-only folder, full disk) into one line.

A run holds an exclusive ``fcntl.flock`` on ``.tf1_recsys.lock`` for its whole life, so
a second run on the same folder (a second ``--resume``, an ``--overwrite`` of a folder
being trained in) stops with one line naming the PID that holds it.

Nothing here imports TensorFlow.
"""
import contextlib
import datetime
import errno
import fnmatch
import json
import os

from tf1_recsys.cli.common import CLIError
from tf1_recsys.version import __version__

MARKER = ".tf1_recsys_output"
LOCK = ".tf1_recsys.lock"

TRAINER_PATTERNS = ("checkpoint", "model.ckpt-*", "events.out.tfevents.*", "graph.pbtxt", "graph.pbtxt.tmp*",
                    "checkpoint.tmp*")
"""Names of the files (and temporary files, and the Saver's ``model.ckpt-N_temp`` folders) that
training (``Trainer.fit``, an Estimator chief) writes into its model directory."""

_OWN_NAMES = TRAINER_PATTERNS + (
    "run.json", "frozen.pb", "frozen.serving.json", "importance.png", "importance.csv", "summary.json",
    "sensitivity.png", "sensitivity.csv", "din_frozen.pb", "din_frozen.serving.json", ".tmp_*",
)
DEMO_SUBFOLDERS = ("din", "fm", "mmoe")
"""The subfolders ``tf1-recsys demo`` trains its models in."""


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _trainer_file(rel, patterns):
    """Whether the relative path ``rel`` is named like ``patterns``, itself or a folder it is in."""
    return any(_matches(part, patterns) for part in rel.split(os.sep))


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

    def resolve(self, rel):
        """The path of the recorded ``rel`` inside the folder.

        Raises:
          CLIError when ``rel`` leaves the folder (absolute, ``..``) or passes through a symbolic link.
        """
        norm = os.path.normpath(rel)
        if os.path.isabs(rel) or norm in (".", os.curdir) or norm.split(os.sep)[0] == os.pardir:
            raise CLIError("output folder %s: its record %s lists %r, which is outside the folder; refusing to "
                           "remove anything (delete that entry, or the record)" % (self.path, MARKER, rel))
        parts = norm.split(os.sep)
        for k in range(1, len(parts)):
            sub = os.path.join(self.path, *parts[:k])
            if os.path.islink(sub):
                raise CLIError("output folder %s: its record %s lists %r, which passes through the symbolic link "
                               "%s to a folder outside; refusing to remove anything through it (remove the link)"
                               % (self.path, MARKER, rel, sub))
        return os.path.join(self.path, norm)

    def refuse_linked(self, *subfolders):
        """CLIError when one of ``subfolders`` (relative) is a symbolic link: a run never writes through one."""
        for sub in subfolders:
            full = os.path.join(self.path, sub)
            if os.path.islink(full):
                raise CLIError("output folder %s: %s is a symbolic link; refusing to write or overwrite through it "
                               "(remove the link, or choose another --out)" % (self.path, full))

    def subfolder(self, name):
        """Creates and returns the subfolder ``name`` of the folder (never through a symbolic link)."""
        self.refuse_linked(name)
        full = os.path.join(self.path, name)
        with writing("output folder", full):
            os.makedirs(full, exist_ok=True)
        return full

    def _write_marker(self, files, created=None):
        data = {"written_by": "tf1-recsys %s" % __version__,
                "created": created or datetime.datetime.now().isoformat(timespec="seconds"),
                "files": sorted(files)}
        text = json.dumps(data, indent=1) + "\n"
        tmp = self.marker + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.marker)
        except OSError as e:
            if os.path.exists(tmp):
                os.remove(tmp)
            if e.errno not in (errno.ENOSPC, errno.EDQUOT) or not os.path.isfile(self.marker):
                raise
            # A full disk: rewrite the record in place, where its own blocks hold it (a record
            # that cannot be updated is how a failed run's files would escape --overwrite).
            with open(self.marker, "r+", encoding="utf-8") as f:
                f.write(text)
                f.truncate()

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
            elif len(parts) == 2 and parts[0] in DEMO_SUBFOLDERS and _matches(parts[1], _OWN_NAMES):
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
        new = [f for f in _walk_files(self.path) if f not in before and _trainer_file(f, patterns)]
        files, _, created = self._read_marker()
        gone = {f for f in files if _trainer_file(f, patterns)
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
        owned = {os.path.normpath(rel): self.resolve(rel) for rel in self._owned_now()}  # all checked first
        removed = 0
        for full in owned.values():
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

    def prepare(self, overwrite=False, subfolders=()):
        """Makes the folder ready for a new run: created, locked, marked; earlier outputs removed.

        Args:
          subfolders: the subfolders the run will write into (each must not be a symbolic link).
        Raises CLIError when it holds files and ``overwrite`` is False, or when it holds
        files but no marker (never written by tf1-recsys), or a recorded path or one of
        ``subfolders`` leads outside it.
        """
        check_out(self.path, overwrite, subfolders=subfolders)
        with writing("output folder", self.path):
            self.lock()
            check_out(self.path, overwrite, subfolders=subfolders)  # again, under the lock
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


def check_out(path, overwrite=False, what="output folder", subfolders=()):
    """CLIError unless a new run may write into ``path`` (creates nothing).

    ``subfolders``: those the run writes into; none may be a symbolic link.
    """
    if os.path.lexists(path) and not os.path.isdir(path):
        raise CLIError("%s %s exists and is a file" % (what, path))
    if not os.path.isdir(path):
        return
    OutputFolder(path).refuse_linked(*subfolders)
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
    folder = OutputFolder(path)
    for rel in folder._owned_now():
        folder.resolve(rel)


# ------------------------------------------------------------------ single files
def claim(paths, overwrite=False, folder=None, what="output file"):
    """Checks that a command may write each of ``paths``, then records those inside ``folder``.

    The one rule for every file a command writes: a path may be (re)written when it does
    not exist, when the tf1-recsys output folder ``folder`` records it (an earlier run
    wrote it), or with ``overwrite``. Those inside ``folder`` are recorded before they are
    written, so ``--overwrite`` removes them even after a failed write.

    Args:
      paths: the files the command is about to write.
      overwrite: the command's ``--overwrite``.
      folder: the model folder the files may lie in (a path), or None.
      what: the files' name in messages ('scores file', 'output file').
    Raises:
      CLIError (one line) naming the first path that may not be written.
    """
    ours = OutputFolder(folder) if folder is not None and OutputFolder(folder).is_ours() else None
    root = os.path.realpath(folder) if ours else None
    inside = {}
    for path in paths:
        if os.path.isdir(path):
            raise CLIError("%s %s is a folder" % (what, path))
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise CLIError("folder %s of %s %s does not exist" % (parent, what, path))
        if not os.access(parent, os.W_OK):  # a read-only file system answers this for root too
            raise CLIError("cannot write %s %s: its folder %s is not writable; choose a writable folder"
                           % (what, path, parent))
        real = os.path.realpath(path)
        if ours and real.startswith(root + os.sep) and not os.path.islink(path):
            inside[path] = os.path.relpath(real, root)
        if os.path.lexists(path) and not overwrite and not (path in inside and inside[path] in ours._owned_now()):
            raise CLIError("%s %s exists and tf1-recsys did not write it; pass --overwrite to replace it"
                           % (what, path))
    if inside:
        with writing("the record of", folder):
            ours.record(*inside.values())
    return list(paths)


@contextlib.contextmanager
def writing(what, path):
    """Turns an ``OSError`` of the block (read-only folder, full disk, no permission) into a CLIError."""
    try:
        yield
    except OSError as e:
        raise CLIError(write_error(what, path, e)) from None


_DISK_REASONS = ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied")


def disk_error(error):
    """One line for an error of a write that the system refused (a TensorFlow error, or the
    RuntimeError of its event writer, carrying the reason in its text), else None."""
    if isinstance(error, OSError):
        return None
    text = str(getattr(error, "message", None) or error)
    for reason in _DISK_REASONS:
        if reason in text:
            where = next((line for line in text.splitlines() if reason in line), text).strip()
            where = where.split(";")[0].split(",")[0].strip() if where.startswith(os.sep) else ""
            hint = "free some space" if reason in _DISK_REASONS[:2] else "choose a writable folder"
            return "cannot write %s: %s; %s and run the command again" % (where or "a file", reason, hint)
    return None


@contextlib.contextmanager
def background_write_errors():
    """Holds back what a failed write prints from TensorFlow's threads (its event writer's
    traceback and error log); yields the list of their one-line descriptions.

    The command reports the failure itself in one line; other errors of other threads
    are printed as before.
    """
    import logging
    import threading

    failed = []

    def hook(args):
        line = disk_error(args.exc_value) if args.exc_value is not None else None
        if line is None:
            previous(args)
        else:
            failed.append(line)

    class Filter(logging.Filter):
        def filter(self, record):
            return disk_error(RuntimeError(record.getMessage())) is None

    previous, threading.excepthook = threading.excepthook, hook
    log, quiet = logging.getLogger("tensorflow"), Filter()
    log.addFilter(quiet)
    try:
        yield failed
    finally:
        threading.excepthook = previous
        log.removeFilter(quiet)


def write_error(what, path, error):
    """One line for a failed write of ``what`` ``path``: the system's reason, and the file when it is another."""
    reason = error.strerror or str(error)
    name = getattr(error, "filename", None)
    detail = "" if not name or os.path.abspath(str(name)) == os.path.abspath(path) else " (%s)" % name
    hint = {errno.ENOSPC: "; free some space", errno.EDQUOT: "; free some space",
            errno.EROFS: "; choose a writable folder", errno.EACCES: "; choose a writable folder",
            errno.EPERM: "; choose a writable folder"}.get(error.errno, "")
    return "cannot write %s %s: %s%s%s" % (what, path, reason, detail, hint)


def fresh_folder(path):
    """``path`` when it is free or empty, else the first free ``path-2``, ``path-3``, ..."""
    candidate, k = path, 1
    while os.path.exists(candidate) and (not os.path.isdir(candidate) or os.listdir(candidate)):
        k += 1
        candidate = "%s-%d" % (path.rstrip("/\\"), k)
    return candidate


__all__ = ["OutputFolder", "check_out", "claim", "writing", "write_error", "disk_error", "background_write_errors", "release_locks", "fresh_folder",
           "refuse_dangerous", "DEMO_SUBFOLDERS", "MARKER", "LOCK", "TRAINER_PATTERNS"]
