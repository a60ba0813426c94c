# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One describe -> compare -> (check mode?) -> apply -> re-describe cycle for one resource.

A resource module describes the resource in its own terms (a dict, or None when it does
not exist), builds the desired dict from its parameters, and hands ``sync`` the calls that
change AWS. ``sync`` decides what to do, honours check mode and builds ``--diff``, so every
module agrees on what "changed" means.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, NamedTuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import changed_settings
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for

State = dict[str, Any]


class Synced(NamedTuple):
    changed: bool
    diff: dict[str, dict[str, Any]]
    # The resource after the run (None once deleted); in check mode, the prediction.
    result: State | None


def sync(module, current: State | None, desired: State, *,
         create: Callable[[State], Any] | None = None,
         update: Callable[[State, State], Any] | None = None,
         delete: Callable[[State], Any] | None = None,
         describe: Callable[[], State | None] | None = None,
         state: str = "present",
         compare: Callable[[Mapping[str, Any], Mapping[str, Any]], State] = changed_settings,
         diff_keys: Iterable[str] | None = None) -> Synced:
    """Bring the resource from ``current`` to ``desired`` (or delete it when ``state`` is absent).

    ``compare(current, desired)`` returns the settings to change; ``update(current,
    changes)`` applies them. ``delete`` may return False when the resource turned out to be
    gone already, which is no change. ``describe`` re-reads the resource after a change;
    without it the result is the prediction, as in check mode, where nothing is called.
    """
    keys = list(diff_keys) if diff_keys is not None else None

    if state == "absent":
        if current is None:
            return Synced(False, diff_for(None, None, keys), None)
        if not module.check_mode and delete(current) is False:
            return Synced(False, diff_for(None, None, keys), None)
        return Synced(True, diff_for(current, None, keys), None)

    if current is None:
        after = {key: value for key, value in desired.items() if value is not None}
        if not module.check_mode:
            create(desired)
            after = describe() if describe else after
        return Synced(True, diff_for(None, after, keys), after)

    changes = compare(current, desired)
    if not changes:
        return Synced(False, diff_for(current, current, keys), current)
    after = {**current, **changes}
    if not module.check_mode:
        update(current, changes)
        after = describe() if describe else after
    return Synced(True, diff_for(current, after, keys), after)


def differing(current: Mapping[str, Any], desired: Mapping[str, Any]) -> State:
    """The desired values that differ from the current ones, None included.

    For modules whose desired state is complete (defaults already filled in), where None
    is a value to set rather than "leave alone" as in ``changed_settings``.
    """
    return {key: value for key, value in desired.items() if current.get(key) != value}


# --- tags -------------------------------------------------------------------------------


def desired_tags(current: Mapping[str, str], tags: Mapping[str, str] | None, purge: bool) -> dict[str, str]:
    """The complete tag set the resource should carry: ``tags`` (None: leave them as they are)."""
    if tags is None:
        return dict(current)
    return dict(tags) if purge else {**current, **tags}


def missing_owner_tags(tags: Mapping[str, str] | list | None, owner_tags: Mapping[str, str] | None) -> dict[str, str]:
    """The ownership tags (Project, Environment, ManagedBy ...) that ``tags`` lacks or holds
    with another value: empty when the resource is this stack's.

    ``tags`` is a dict or AWS's list of Key/Value pairs. The one rule of every module that
    refuses to adopt, change or delete what only shares a name with the stack's resources.
    """
    present = tags if isinstance(tags, Mapping) else boto3_tag_list_to_ansible_dict(tags or [])
    return {key: value for key, value in (owner_tags or {}).items() if present.get(key) != value}


def owned(tags: Mapping[str, str] | list | None, owner_tags: Mapping[str, str] | None) -> bool:
    """Whether ``tags`` carry every ownership tag with its value (see ``missing_owner_tags``)."""
    return not missing_owner_tags(tags, owner_tags)


def tag_changes(current: Mapping[str, str], tags: Mapping[str, str] | None,
                purge: bool) -> tuple[dict[str, str], list[str]]:
    """(tags to add or overwrite, tag keys to remove); nothing when ``tags`` is None."""
    if tags is None:
        return {}, []
    return compare_aws_tags(dict(current), dict(tags), purge_tags=purge)


def retag(current: Mapping[str, str], tags: Mapping[str, str] | None, purge: bool, *,
          tag: Callable[[dict[str, str]], Any], untag: Callable[[list[str]], Any], check_mode: bool = False) -> bool:
    """Give a resource ``tags`` (and no others, with ``purge``); whether its tags differed.

    ``untag`` (keys) and ``tag`` (key to value) are the service's own calls, since every service
    spells them differently; they are not called in check mode. Removing first keeps a resource
    near its tag limit from refusing the new tags. Callers catch the AWS errors.
    """
    to_set, to_unset = tag_changes(current, tags, purge)
    if not check_mode:
        if to_unset:
            untag(to_unset)
        if to_set:
            tag(to_set)
    return bool(to_set or to_unset)


# --- arguments --------------------------------------------------------------------------


def resource_argument_spec(**options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The argument spec of a resource module: name, state, its own ``options``, tags, purge_tags.

    Documented by the module's own ``name`` and ``state`` entries (or a fragment that has
    them) and the ``amazon.aws.tags`` fragment.
    """
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        **options,
        **tags_argument_spec(),
    }


def tags_argument_spec() -> dict[str, dict[str, Any]]:
    """``tags`` and ``purge_tags``, as the ``amazon.aws.tags`` fragment documents them."""
    return {
        "tags": {"type": "dict", "aliases": ["resource_tags"]},
        "purge_tags": {"type": "bool", "default": True},
    }


def wait_argument_spec(timeout: int, wait: bool | None = False) -> dict[str, dict[str, Any]]:
    """``wait`` (left out with ``wait=None``: the module always waits), ``wait_timeout`` and
    ``wait_delay`` (15 s between two checks)."""
    spec = {
        "wait_timeout": {"type": "int", "default": timeout},
        "wait_delay": {"type": "int", "default": 15},
    }
    if wait is not None:
        spec["wait"] = {"type": "bool", "default": wait}
    return spec


def describe_or_none(module, call: Callable[..., Mapping[str, Any]], missing: str | list[str], failure: str,
                     first: str | None = None, **params) -> Any:
    """AWS's answer to ``call(**params)`` (retried), or None when it says the resource does
    not exist (error code ``missing``); any other error fails the module with ``failure``.

    With ``first``, the first item of that list in the answer, or None when it is empty.
    """
    try:
        answer = call(aws_retry=True, **params)
    except is_boto3_error_code(missing):
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=failure)
    if first is None:
        return answer
    return next(iter(answer[first]), None)


def create_once(module, create: Callable[[], Any], exists_code: str, what: str) -> Any:
    """Call ``create``; an "already exists" answer is the success of a retried call.

    The resource was described as absent just before, so that answer means AWS processed a
    call whose response the client lost (a 5xx that AWSRetry retried).
    """
    try:
        return create()
    except is_boto3_error_code(exists_code):
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Couldn't create {what}")
