"""platformctl: a microservices platform on AWS from YAML, reconciled against live AWS with no state file."""

__version__ = "0.1.0"
