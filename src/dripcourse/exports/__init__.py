"""Export targets: one folder per mailing service, each in the shape that service's API or import takes.

`dialects.py` writes merge tags in each service's syntax, `model.py` holds the types a target is described with,
`services.py` describes each service as data, and `writer.py` is the one writer that reads those descriptions.
The command that reads a course and writes a target's folder is `dripcourse.export`.
"""
