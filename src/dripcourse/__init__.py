"""dripcourse: build an email course from a YAML syllabus and a folder of source articles."""

__version__ = "0.1.0"
