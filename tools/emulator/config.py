"""Where the emulator keeps its state and which ports it uses (all overridable by env)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def dummy_aws_env(endpoint_url: str, region: str) -> dict[str, str]:
    """Standard AWS variables pointing at an emulator, with dummy credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    host: str
    aws_port: int
    postgres_port: int
    redis_port: int
    region: str

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    def aws_env(self) -> dict[str, str]:
        """The only wiring the playbooks need: standard AWS variables, dummy credentials.

        The secret is a long word on purpose: Ansible masks a credential's value wherever
        it appears in output, so a one-letter secret would mask that letter everywhere.
        """
        return dummy_aws_env(self.endpoint_url, self.region)


def settings() -> Settings:
    env = os.environ
    return Settings(
        state_dir=Path(env.get("CREDLINK_EMULATOR_DIR", PROJECT_ROOT / ".emulator")),
        host=env.get("CREDLINK_EMULATOR_HOST", "127.0.0.1"),
        aws_port=int(env.get("CREDLINK_EMULATOR_PORT", "4566")),
        postgres_port=int(env.get("CREDLINK_PG_PORT", "15432")),
        redis_port=int(env.get("CREDLINK_REDIS_PORT", "16379")),
        region=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
