"""The describe -> compare -> apply -> re-describe cycle every resource module runs."""

from __future__ import annotations

from types import SimpleNamespace

import botocore.exceptions

import pytest

from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import differing
from ansible_collections.credlink.infra.plugins.module_utils.sync import missing_owner_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import owned
from ansible_collections.credlink.infra.plugins.module_utils.sync import resource_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag
from ansible_collections.credlink.infra.plugins.module_utils.sync import wait_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync
from ansible_collections.credlink.infra.plugins.module_utils.sync import tag_changes


class FakeResource:
    """One AWS resource held in memory, with a record of the calls that changed it."""

    def __init__(self, state=None):
        self.state, self.calls = state, []

    def describe(self):
        return None if self.state is None else dict(self.state)

    def create(self, desired):
        self.calls.append(("create", desired))
        self.state = {**desired, "arn": "arn:aws:test:us-east-1:123456789012:thing/one"}

    def update(self, current, changes):
        self.calls.append(("update", changes))
        self.state = {**self.state, **changes}

    def delete(self, current):
        self.calls.append(("delete", current["name"]))
        self.state = None

    def run(self, desired, check_mode=False, **kwargs):
        module = SimpleNamespace(check_mode=check_mode)
        return sync(module, self.describe(), desired, describe=self.describe, create=self.create,
                    update=self.update, delete=self.delete, **kwargs)


WANTED = {"name": "one", "size": 2, "tags": {"Project": "credlink"}}


def test_a_missing_resource_is_created_and_described_again():
    resource = FakeResource()
    outcome = resource.run(WANTED, diff_keys=["size", "tags"])
    assert outcome.changed is True and resource.calls == [("create", WANTED)]
    assert outcome.result["arn"].startswith("arn:aws:test")
    assert outcome.diff == {"before": {}, "after": {"size": 2, "tags": {"Project": "credlink"}}}


def test_check_mode_creates_nothing_and_predicts_the_resource():
    resource = FakeResource()
    outcome = resource.run({**WANTED, "unset": None}, check_mode=True)
    assert outcome.changed is True and resource.calls == []
    assert outcome.result == WANTED


def test_a_difference_is_updated_with_only_the_changed_settings():
    resource = FakeResource(dict(WANTED, arn="arn"))
    outcome = resource.run({**WANTED, "size": 3}, diff_keys=["size"])
    assert outcome.changed is True and resource.calls == [("update", {"size": 3})]
    assert outcome.diff == {"before": {"size": 2}, "after": {"size": 3}}
    assert outcome.result["size"] == 3


def test_check_mode_reports_the_update_without_calling_aws():
    resource = FakeResource(dict(WANTED))
    outcome = resource.run({**WANTED, "size": 3}, check_mode=True)
    assert outcome.changed is True and resource.calls == []
    assert outcome.diff["before"]["size"] == 2 and outcome.diff["after"]["size"] == 3


def test_rerun_reports_no_change():
    resource = FakeResource(dict(WANTED))
    outcome = resource.run(WANTED)
    assert outcome.changed is False and resource.calls == []
    assert outcome.diff["before"] == outcome.diff["after"] and outcome.result == WANTED


def test_unspecified_settings_are_left_alone_by_default():
    resource = FakeResource(dict(WANTED))
    assert resource.run({**WANTED, "size": None}).changed is False


def test_differing_treats_none_as_a_value_to_set():
    resource = FakeResource(dict(WANTED))
    outcome = resource.run({**WANTED, "size": None}, compare=differing)
    assert outcome.changed is True and resource.calls == [("update", {"size": None})]


def test_absent_deletes_an_existing_resource():
    resource = FakeResource(dict(WANTED))
    outcome = resource.run({}, state="absent", diff_keys=["size"])
    assert outcome.changed is True and resource.calls == [("delete", "one")]
    assert outcome.diff == {"before": {"size": 2}, "after": {}} and outcome.result is None


def test_absent_in_check_mode_deletes_nothing():
    resource = FakeResource(dict(WANTED))
    outcome = resource.run({}, state="absent", check_mode=True)
    assert outcome.changed is True and resource.calls == []


def test_absent_on_a_missing_resource_is_no_change():
    resource = FakeResource()
    outcome = resource.run({}, state="absent")
    assert outcome.changed is False and resource.calls == []


def test_a_resource_gone_before_the_deletion_is_no_change():
    resource = FakeResource(dict(WANTED))
    module = SimpleNamespace(check_mode=False)
    outcome = sync(module, resource.describe(), {}, state="absent", delete=lambda current: False)
    assert outcome.changed is False


def test_without_describe_the_result_is_the_prediction():
    resource = FakeResource(dict(WANTED))
    module = SimpleNamespace(check_mode=False)
    outcome = sync(module, resource.describe(), {**WANTED, "size": 5}, update=resource.update)
    assert outcome.result == {**WANTED, "size": 5} and resource.calls == [("update", {"size": 5})]


@pytest.mark.parametrize("tags, purge, expected", [
    (None, True, {"Project": "credlink", "Owner": "team"}),
    ({"Project": "credlink"}, True, {"Project": "credlink"}),
    ({"Environment": "test"}, False, {"Project": "credlink", "Owner": "team", "Environment": "test"}),
])
def test_desired_tags(tags, purge, expected):
    assert desired_tags({"Project": "credlink", "Owner": "team"}, tags, purge) == expected


def test_tag_changes_add_overwrite_and_purge():
    to_set, to_unset = tag_changes({"Project": "old", "Owner": "team"}, {"Project": "credlink", "Env": "test"}, True)
    assert to_set == {"Project": "credlink", "Env": "test"} and to_unset == ["Owner"]


def test_tag_changes_keep_other_tags_without_purge_and_do_nothing_without_tags():
    assert tag_changes({"Owner": "team"}, {"Env": "test"}, False) == ({"Env": "test"}, [])
    assert tag_changes({"Owner": "team"}, None, True) == ({}, [])


def _error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Describe")


class Failed(Exception):
    pass


class FailingModule:
    def fail_json_aws(self, error, msg):
        raise Failed(msg, error.response["Error"]["Code"])


def _answering(answer=None, error=None):
    calls = []

    def call(**params):
        calls.append(params)
        if error:
            raise error
        return answer
    return call, calls


def test_describe_or_none_passes_the_parameters_with_retries_and_returns_the_answer():
    call, calls = _answering({"Thing": {"Name": "one"}})
    assert describe_or_none(FailingModule(), call, "NotFound", "Couldn't describe one", Name="one") == {"Thing": {"Name": "one"}}
    assert calls == [{"aws_retry": True, "Name": "one"}]


@pytest.mark.parametrize("answer, expected", [({"Things": [{"n": 1}, {"n": 2}]}, {"n": 1}), ({"Things": []}, None)])
def test_describe_or_none_takes_the_first_of_a_list(answer, expected):
    call, _ = _answering(answer)
    assert describe_or_none(FailingModule(), call, "NotFound", "Couldn't describe", first="Things") == expected


@pytest.mark.parametrize("missing", ["NotFound", ["NoSuchThing", "NotFound"]])
def test_describe_or_none_reads_the_missing_code_as_absent(missing):
    call, _ = _answering(error=_error("NotFound"))
    assert describe_or_none(FailingModule(), call, missing, "Couldn't describe", first="Things") is None


def test_describe_or_none_fails_on_any_other_error_with_its_message():
    call, _ = _answering(error=_error("AccessDenied"))
    with pytest.raises(Failed) as failure:
        describe_or_none(FailingModule(), call, "NotFound", "Couldn't describe secret x")
    assert failure.value.args == ("Couldn't describe secret x", "AccessDenied")


@pytest.mark.parametrize(("tags", "missing"), [
    ({"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible", "Name": "x"}, {}),
    ([{"Key": "Project", "Value": "credlink"}, {"Key": "Environment", "Value": "dev"},
      {"Key": "ManagedBy", "Value": "ansible"}], {}),  # AWS's list form
    ({"Project": "credlink", "Environment": "prod", "ManagedBy": "ansible"}, {"Environment": "dev"}),
    ({"Project": "credlink"}, {"Environment": "dev", "ManagedBy": "ansible"}),
    (None, {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}),
])
def test_missing_owner_tags_names_what_is_absent_or_different(tags, missing):
    owner = {"Project": "credlink", "Environment": "dev", "ManagedBy": "ansible"}
    assert missing_owner_tags(tags, owner) == missing
    assert owned(tags, owner) is (missing == {})
    assert missing_owner_tags(tags, {}) == {} and owned(tags, {})


def test_retag_removes_first_then_sets_only_what_differs():
    calls = []
    changed = retag({"Project": "credlink", "Old": "1", "Env": "dev"}, {"Project": "credlink", "Env": "prod"}, True,
                    untag=lambda keys: calls.append(("untag", keys)), tag=lambda new: calls.append(("tag", new)))
    assert changed and calls == [("untag", ["Old"]), ("tag", {"Env": "prod"})]


@pytest.mark.parametrize(("tags", "purge", "check_mode", "changed"), [
    ({"Project": "credlink"}, False, False, False),  # an unlisted tag stays without purge
    (None, True, False, False),  # tags not given: left alone
    ({"Project": "other"}, True, True, True),  # check mode reports the change but calls nothing
])
def test_retag_calls_nothing_when_nothing_may_or_must_change(tags, purge, check_mode, changed):
    calls = []
    assert retag({"Project": "credlink", "Old": "1"}, tags, purge, check_mode=check_mode,
                 untag=calls.append, tag=calls.append) is changed
    assert calls == []


def test_wait_options_with_and_without_the_wait_switch():
    assert wait_argument_spec(900) == {
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 900},
        "wait_delay": {"type": "int", "default": 15},
    }
    assert wait_argument_spec(1200, wait=True)["wait"]["default"] is True
    # a module that always waits has no switch to turn it off
    assert "wait" not in wait_argument_spec(900, wait=None)


def test_resource_options_put_the_module_options_between_name_state_and_tags():
    spec = resource_argument_spec(cluster={"type": "str", "required": True})
    assert list(spec) == ["name", "state", "cluster", "tags", "purge_tags"]
    assert spec["tags"]["aliases"] == ["resource_tags"] and spec["purge_tags"]["default"] is True
