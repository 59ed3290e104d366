"""Writing a benchmark's section into docs/BENCHMARKS.md (shared by the ``tools/bench_*.py`` scripts)."""
import os

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "BENCHMARKS.md")


def write_section(title, text, path=DOCS):
    """Replaces the section headed ``title`` (up to the next '## ' heading) with ``text``.

    ``text`` starts with the ``title`` line. The file is re-read just before writing, so
    other sections written meanwhile are kept; a section not there yet is appended.
    """
    with open(path, encoding="utf-8") as f:
        content = f.read()
    text = text.rstrip("\n") + "\n"
    start = content.find(title)
    if start < 0:
        content = content.rstrip("\n") + "\n\n" + text
    else:
        end = content.find("\n## ", start + len(title))
        content = content[:start] + text + ("\n" + content[end + 1:] if end >= 0 else "")
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def publish(title, text, write_docs, path=DOCS):
    """Prints a benchmark's section ``text`` and, with ``write_docs``, writes it into ``path`` (``write_section``)."""
    print(text)
    if write_docs:
        write_section(title, text, path)
