"""``tf1-recsys doctor PATH...``: the command-line shell over ``tf1_recsys.doctor``."""
import argparse
import sys

from tf1_recsys.cli.common import CLIError

DESCRIPTION = """Reads Python files and folders without importing or running them, follows each
TensorFlow name through the file's imports and aliases, and says for every use whether it runs
natively on the installed TensorFlow, runs after tf1_recsys.compat.install(...) (and with which
flag), has moved (and where), is a private tensorflow.python name, or is provided by nobody
(with the nearest alternative). Files that cannot be parsed are skipped with a warning."""

EPILOG = """exit codes:
  0  everything runs, natively or after the install() the code already calls
  1  something needs an install() flag the code does not pass, or a name has moved
  2  something is provided nowhere (or a usage error: one line 'tf1-recsys: error: ...')

example:
  tf1-recsys doctor my_project/ --only missing
  tf1-recsys doctor train.py model.py --format json > doctor.json"""


def add_parser(sub):
    """Registers ``doctor`` on the subcommand parsers ``sub``."""
    from tf1_recsys.doctor.catalog import STATUSES

    p = sub.add_parser("doctor", help="what of TF1 code runs on this TensorFlow, before running it",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="Python files or folders (folders: every .py below)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json for CI")
    p.add_argument("--only", metavar="STATUS[,STATUS]", type=_statuses(STATUSES),
                   help="list only these statuses (%s); 'missing' also lists private names that are "
                   "gone. The summary and exit code still count every use" % ", ".join(STATUSES))
    return p


def _statuses(allowed):
    def parse(value):
        chosen = [s.strip() for s in value.split(",") if s.strip()]
        bad = [s for s in chosen if s not in allowed]
        if bad or not chosen:
            raise argparse.ArgumentTypeError("expected one or more of %s, got %r" % (", ".join(allowed), value))
        return chosen
    return parse


def cmd_doctor(args):
    from tf1_recsys.cli.common import import_tf
    from tf1_recsys.doctor import DoctorError, diagnose, report

    try:  # TensorFlow is imported once diagnose() has started reading a large tree in parallel
        diagnosis = diagnose(args.paths, import_tensorflow=import_tf)
    except DoctorError as e:
        raise CLIError(str(e)) from None
    if args.format == "json":
        print(report.as_json(diagnosis, args.only))
    else:
        print(report.text(diagnosis, args.only))
    sys.stdout.flush()
    return diagnosis.exit_code


__all__ = ["add_parser", "cmd_doctor"]
