"""Printing a ``Diagnosis``: a summary and a per-file table (text), or one JSON document for CI."""
import json

from tf1_recsys.doctor.catalog import INSTALL, MISSING, MOVED, NATIVE, PRIVATE, STATUSES, UNRESOLVED, install_line

_EXIT_MEANING = {
    0: "everything runs (natively or after the install() the code calls)",
    1: "something needs an install() flag the code does not pass, or a moved name",
    2: "something is provided nowhere",
}


def _verdict_text(row):
    if row.status == NATIVE:
        text = "runs natively"
    elif row.status == INSTALL:
        text = "runs after " + install_line(row.flags)
    elif row.status == MOVED:
        text = "moved to " + row.to + (" (after %s)" % install_line(row.flags) if row.flags else "")
    elif row.status == PRIVATE:
        text = "private, " + ("works here" if row.works else "gone")
    elif row.status == MISSING:
        text = "not provided"
    else:
        text = "unresolved"
    if row.alternative:
        text += "; nearest: " + row.alternative
    if row.note:
        text += " [" + row.note + "]"
    return text


def selected(diagnosis, only=None):
    """(file, rows) pairs keeping the rows whose status is in ``only`` (all when None)."""
    keep = set(only) if only else set(STATUSES)
    for f in diagnosis.files:
        rows = [r for r in f.rows if r.status in keep or (MISSING in keep and r.status == PRIVATE and not r.works)]
        if rows:
            yield f, rows


def summary_lines(diagnosis):
    counts = diagnosis.counts()
    out = ["tf1-recsys doctor: %d files, %d lines, %d TensorFlow uses, on TensorFlow %s (%.2f s)" % (
        len(diagnosis.files), diagnosis.lines, sum(counts.values()), diagnosis.tensorflow, diagnosis.seconds)]
    for status in STATUSES:
        out.append("  %-11s %6d" % (status, counts[status]))
    line = diagnosis.install_line
    if line:
        called = diagnosis.installs_called
        if called is None:
            state = "not called by the code"
        elif diagnosis.install_missing:
            lacking = sorted(f for f in diagnosis.flags_needed if f is not None and f not in called)
            state = "the code's install() calls lack %s" % ", ".join("%s=True" % f for f in lacking)
        else:
            state = "called by the code"
        out.append("install: import tf1_recsys.compat; %s  (%s)" % (line, state))
    moved_v1 = sum(1 for _, r in diagnosis.rows() if r.status == MOVED and r.to.startswith("tf.compat.v1."))
    if moved_v1:
        out.append("%d moved names are the same name under tf.compat.v1: `import tensorflow.compat.v1 as tf` "
                   "covers them" % moved_v1)
    code = diagnosis.exit_code
    out.append("exit %d: %s" % (code, _EXIT_MEANING[code]))
    return out


def text(diagnosis, only=None):
    """The report as text: warnings, the summary, then the uses grouped by file."""
    out = ["warning: " + w for w in diagnosis.warnings]
    out += summary_lines(diagnosis)
    for f, rows in selected(diagnosis, only):
        out.append("")
        out.append(f.path)
        width = max(len(r.api) for r in rows)
        for r in rows:
            out.append("  %5d:%-3d %-*s  %s" % (r.line, r.col, width, r.api, _verdict_text(r)))
    return "\n".join(out)


def as_dict(diagnosis, only=None):
    """The report as JSON-ready data (see ``tf1-recsys doctor --help``)."""
    flags = diagnosis.installs_called
    return {
        "tensorflow": diagnosis.tensorflow,
        "keras": diagnosis.keras,
        "moves_from": diagnosis.tables,
        "seconds": round(diagnosis.seconds, 3),
        "files_scanned": len(diagnosis.files),
        "lines": diagnosis.lines,
        "counts": diagnosis.counts(),
        "install": diagnosis.install_line,
        "install_called": None if flags is None else sorted(flags),
        "exit_code": diagnosis.exit_code,
        "warnings": list(diagnosis.warnings),
        "files": [{"path": f.path, "uses": [{
            "line": r.line, "col": r.col, "api": r.api, "kind": r.kind, "status": r.status,
            "install": install_line(r.flags) if r.flags else None, "to": r.to,
            "alternative": r.alternative, "note": r.note, "works": r.works,
        } for r in rows]} for f, rows in selected(diagnosis, only)],
    }


def as_json(diagnosis, only=None):
    return json.dumps(as_dict(diagnosis, only), indent=1)


__all__ = ["text", "as_dict", "as_json", "selected", "summary_lines"]
