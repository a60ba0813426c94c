"""ecr_repository on moto: the repository and this stack's filter in the registry's scanning rules."""

from __future__ import annotations

import json

import boto3
import botocore

from ansible_collections.credlink.infra.plugins.modules import ecr_repository

from tests.unit.in_process import call_main


REPO = "credlink-test-sign-service"
KEEP_10 = {"rules": [{"rulePriority": 1, "description": "Keep 10", "action": {"type": "expire"},
                      "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}}]}


def repo_args(**overrides):
    return {"name": REPO, "scan_on_push": True, "lifecycle_policy": KEEP_10, "tags": {"Project": "credlink"}, **overrides}


def registry_rules():
    return boto3.client("ecr", region_name="us-east-1").get_registry_scanning_configuration()["scanningConfiguration"]


def test_repository_is_created_scanned_tagged_with_lifecycle(moto, capsys):
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 0 and result["changed"] is True
    ecr = boto3.client("ecr", region_name="us-east-1")
    repo = ecr.describe_repositories(repositoryNames=[REPO])["repositories"][0]
    assert registry_rules()["rules"] == [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": REPO, "filterType": "WILDCARD"}]}]
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"]) == KEEP_10
    assert ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"] == [{"Key": "Project", "Value": "credlink"}]
    assert result["repository"]["repository_uri"].endswith(f"/{REPO}")
    assert result["repository"]["scan_on_push"] is True


def api_calls(monkeypatch):
    original = botocore.client.BaseClient._make_api_call
    calls = []

    def record(self, operation, params):
        calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def test_scanning_never_uses_the_deprecated_repository_level_api(moto, capsys, monkeypatch):
    calls = api_calls(monkeypatch)
    call_main(ecr_repository, repo_args(), capsys)
    call_main(ecr_repository, repo_args(scan_on_push=False), capsys)
    assert "PutImageScanningConfiguration" not in calls and "PutRegistryScanningConfiguration" in calls


OTHERS = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "team-a-*", "filterType": "WILDCARD"}]},
          {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "sandbox", "filterType": "WILDCARD"}]}]


def test_other_repositories_rules_are_kept_and_ours_joins_the_scan_on_push_rule(moto, capsys):
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="BASIC", rules=OTHERS)
    result, _ = call_main(ecr_repository, repo_args(), capsys)
    assert result["changed"] is True
    config = registry_rules()
    assert config["scanType"] == "BASIC"
    merged = [{"filter": "team-a-*", "filterType": "WILDCARD"}, {"filter": REPO, "filterType": "WILDCARD"}]
    assert config["rules"] == [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": merged}, OTHERS[1]]
    assert call_main(ecr_repository, repo_args(), capsys)[0]["changed"] is False


def test_teardown_removes_only_our_filter(moto, capsys):
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="BASIC", rules=OTHERS)
    call_main(ecr_repository, repo_args(), capsys)
    removed, _ = call_main(ecr_repository, {"name": REPO, "state": "absent", "force_delete": True}, capsys)
    assert removed["changed"] is True
    assert registry_rules() == {"scanType": "BASIC", "rules": OTHERS}
    again, _ = call_main(ecr_repository, {"name": REPO, "state": "absent", "force_delete": True}, capsys)
    assert again["changed"] is False


def test_a_rule_only_we_held_goes_with_our_filter(moto, capsys):
    call_main(ecr_repository, repo_args(), capsys)
    result, _ = call_main(ecr_repository, repo_args(scan_on_push=False), capsys)
    assert result["changed"] is True and result["diff"]["before"]["scan_on_push"] is True
    assert registry_rules()["rules"] == []


def test_enhanced_scanning_and_its_continuous_rule_are_kept(moto, capsys):
    continuous = [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="ENHANCED", rules=continuous)
    call_main(ecr_repository, repo_args(), capsys)
    config = registry_rules()
    assert config["scanType"] == "ENHANCED" and config["rules"][0] == continuous[0]
    assert {"filter": REPO, "filterType": "WILDCARD"} in config["rules"][1]["repositoryFilters"]


def test_a_full_scan_on_push_rule_is_reported_not_overwritten(moto, capsys):
    full = [{"scanFrequency": "SCAN_ON_PUSH",
             "repositoryFilters": [{"filter": f"repo-{i}", "filterType": "WILDCARD"} for i in range(100)]}]
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="BASIC", rules=full)
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 1 and "already has 100 repository filters" in result["msg"]
    assert registry_rules()["rules"] == full


def test_a_registry_with_two_rules_none_on_push_is_reported_not_given_a_third(moto, capsys):
    """moto accepts a third rule; AWS allows two (RegistryScanningRuleList max 2)."""
    two = [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]},
           {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "sandbox", "filterType": "WILDCARD"}]}]
    boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(scanType="ENHANCED", rules=two)
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 1 and "already has 2 scanning rules" in result["msg"]
    assert registry_rules()["rules"] == two


def test_an_endpoint_without_registry_scanning_is_reported_not_fatal(moto, capsys, monkeypatch):
    original = botocore.client.BaseClient._make_api_call

    def unimplemented(self, operation, params):
        if operation.endswith("RegistryScanningConfiguration"):
            raise botocore.exceptions.ClientError({"Error": {"Code": "NotImplemented", "Message": "not yet"},
                                                   "ResponseMetadata": {"HTTPStatusCode": 501}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", unimplemented)
    result, code = call_main(ecr_repository, repo_args(), capsys)
    assert code == 0 and result["repository"]["scan_on_push"] is None
    assert "does not implement ECR registry scanning" in json.dumps(result.get("warnings", []))
    assert call_main(ecr_repository, repo_args(), capsys)[0]["changed"] is False


def test_check_mode_leaves_the_registry_rules_alone(moto, capsys):
    result, _ = call_main(ecr_repository, repo_args(), capsys, check_mode=True)
    assert result["changed"] is True and registry_rules()["rules"] == []


def test_repository_rerun_is_unchanged_and_mutability_change_applies(moto, capsys):
    call_main(ecr_repository, repo_args(), capsys)
    assert call_main(ecr_repository, repo_args(), capsys)[0]["changed"] is False
    result, _ = call_main(ecr_repository, repo_args(image_tag_mutability="IMMUTABLE", tags={"Project": "x"}), capsys)
    assert result["changed"] is True
    assert result["diff"]["after"]["image_tag_mutability"] == "IMMUTABLE"
    assert result["repository"]["tags"] == {"Project": "x"}


def test_repository_check_mode_creates_nothing(moto, capsys):
    result, _ = call_main(ecr_repository, repo_args(), capsys, check_mode=True)
    assert result["changed"] is True
    assert boto3.client("ecr", region_name="us-east-1").describe_repositories()["repositories"] == []
