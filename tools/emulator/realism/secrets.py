"""Asynchronous secret deletion: a deleted secret's name stays taken for a while.

"Secrets Manager performs the actual deletion with an asynchronous background process, so
there might be a short delay before the secret is permanently deleted. If you delete a
secret and then immediately create a secret with the same name, use appropriate back off and
retry logic." (Secrets Manager API reference, DeleteSecret,
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html).
Meanwhile CreateSecret answers ``InvalidRequestException`` "You can't create this secret
because a secret with this name is already scheduled for deletion."
(hashicorp/terraform-provider-aws#10259; the provider retries for two minutes, #5583).
moto frees the name at once after ``ForceDeleteWithoutRecovery``; here it stays taken for
the ``secrets`` delay. During a recovery window (7-30 days) the name is taken the whole
time, with the same answer on AWS, where moto says ``ResourceExistsException``.
"""

from __future__ import annotations

from .clock import Context

SCHEDULED = "You can't create this secret because a secret with this name is already scheduled for deletion."
DELETED = "_credlink_deleted_names"


def _patch(context: Context) -> None:
    from moto.secretsmanager.exceptions import InvalidRequestException
    from moto.secretsmanager.models import SecretsManagerBackend

    original_delete = SecretsManagerBackend.delete_secret
    original_create = SecretsManagerBackend.create_secret

    def delete_secret(self, secret_id, recovery_window_in_days, force_delete_without_recovery):
        existing = self.secrets.get(secret_id) if self._is_valid_identifier(secret_id) else None
        result = original_delete(self, secret_id, recovery_window_in_days, force_delete_without_recovery)
        if existing is not None and force_delete_without_recovery:
            self.__dict__.setdefault(DELETED, {})[existing.name] = context.now()
        return result

    def create_secret(self, name, *args, **kwargs):
        deleted_at = self.__dict__.get(DELETED, {}).get(name)
        if deleted_at is not None and context.now() - deleted_at < context.delay("secrets"):
            raise InvalidRequestException(SCHEDULED)
        existing = self.secrets.get(name)
        if existing is not None and existing.is_deleted():
            raise InvalidRequestException(SCHEDULED)
        return original_create(self, name, *args, **kwargs)

    SecretsManagerBackend.delete_secret = delete_secret
    SecretsManagerBackend.create_secret = create_secret


def install(context: Context) -> None:
    _patch(context)
