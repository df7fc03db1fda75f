"""A local AWS for demos, tests and training: moto plus the APIs moto lacks, on one loopback port."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
