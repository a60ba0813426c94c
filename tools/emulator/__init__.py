"""The project's embedded AWS emulator (moto server) and local PostgreSQL / Redis stand-ins.

Run ``python -m tools.emulator --help``. The playbooks never know about it: they are
pointed at it only through ``AWS_ENDPOINT_URL`` plus dummy credentials (``env`` prints them).
"""
