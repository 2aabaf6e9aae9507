"""Built-in programs shipped with Cascade, kept as data (Markdown lessons and a JSON manifest).

Each sub-package holds one program; :mod:`cascade.learning.curriculum.install` builds it through
the ordinary program services, so it is validated exactly like a program written in the builder.
"""
