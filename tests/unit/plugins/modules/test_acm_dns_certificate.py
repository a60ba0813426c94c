"""acm_dns_certificate on moto (ACM's DNS validation issues after MOTO_ACM_VALIDATION_WAIT seconds);
AWS answers moto does not give (records shown late, "in use") through fakes."""

from __future__ import annotations

import boto3
import botocore
import pytest
from moto import mock_aws
from moto import settings as moto_settings

from ansible_collections.credlink.infra.plugins.modules import acm_dns_certificate
from tests.unit.in_process import call_main

DOMAIN = "credlink.example.com"
OWNER = {"Project": "credlink", "Environment": "production", "ManagedBy": "ansible"}
TAGS = {**OWNER, "Name": "credlink-production-certificate"}


@pytest.fixture
def acm(offline_aws, monkeypatch):
    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 3600)  # pending until a test says otherwise
    monkeypatch.setattr(acm_dns_certificate, "RECORDS_DELAY", 0.01)
    monkeypatch.setattr(acm_dns_certificate, "IN_USE_DELAY", 0.01)
    with mock_aws():
        yield boto3.client("acm", region_name="us-east-1")


def args(**overrides):
    return {"domain_name": DOMAIN, "tags": TAGS, "match_tags": OWNER, "wait_delay": 1, **overrides}


def arns(acm):
    return [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]]


def test_a_certificate_is_requested_with_dns_validation_and_its_records_returned(acm, capsys):
    result, code = call_main(acm_dns_certificate, args(), capsys)
    assert code == 0 and result["changed"] is True
    certificate = result["certificate"]
    assert certificate["status"] == "PENDING_VALIDATION" and certificate["domain_name"] == DOMAIN
    [record] = certificate["validation_records"]
    assert record["type"] == "CNAME" and record["name"].endswith(f".{DOMAIN}.")
    assert certificate["tags"] == TAGS
    described = acm.describe_certificate(CertificateArn=certificate["certificate_arn"])["Certificate"]
    assert described["DomainValidationOptions"][0]["ValidationMethod"] == "DNS"


def test_rerun_finds_the_same_certificate(acm, capsys):
    first, _ = call_main(acm_dns_certificate, args(), capsys)
    again, _ = call_main(acm_dns_certificate, args(), capsys)
    assert again["changed"] is False
    assert again["certificate"]["certificate_arn"] == first["certificate"]["certificate_arn"]
    assert len(arns(acm)) == 1


def test_another_teams_certificate_for_the_same_domain_is_never_taken(acm, capsys):
    theirs = acm.request_certificate(DomainName=DOMAIN, ValidationMethod="DNS",
                                     Tags=[{"Key": "Project", "Value": "billing"}])["CertificateArn"]
    result, _ = call_main(acm_dns_certificate, args(), capsys)
    assert result["changed"] is True and result["certificate"]["certificate_arn"] != theirs
    removed, _ = call_main(acm_dns_certificate, {"match_tags": OWNER, "state": "absent"}, capsys)
    assert removed["certificates_deleted"] == [result["certificate"]["certificate_arn"]]
    assert arns(acm) == [theirs]
    # Their certificate still needs the domain's validation record: it must stay.
    assert removed["validation_records"] == [] and len(removed["validation_records_kept"]) == 1


def test_wait_returns_once_acm_has_issued_it(acm, capsys, monkeypatch):
    call_main(acm_dns_certificate, args(), capsys)
    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 0)
    result, code = call_main(acm_dns_certificate, args(wait=True), capsys)
    assert code == 0 and result["certificate"]["status"] == "ISSUED" and result["changed"] is False


def test_wait_times_out_naming_the_records_to_check(acm, capsys):
    call_main(acm_dns_certificate, args(), capsys)
    result, code = call_main(acm_dns_certificate, args(wait=True, wait_timeout=1), capsys)
    assert code == 1 and "still PENDING_VALIDATION" in result["msg"] and "acm-validations.aws." in result["msg"]


def test_a_failed_validation_fails_at_once_with_acms_reason(acm, capsys, monkeypatch):
    original = botocore.client.BaseClient._make_api_call

    def failed(self, operation, params):
        response = original(self, operation, params)
        if operation == "DescribeCertificate":
            response["Certificate"].update(Status="FAILED", FailureReason="CAA_ERROR")
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failed)
    result, code = call_main(acm_dns_certificate, args(wait=True, wait_timeout=600), capsys)
    assert code == 1 and "FAILED CAA_ERROR" in result["msg"]


def test_records_shown_late_are_awaited(acm, capsys, monkeypatch):
    """AWS shows ResourceRecord a few seconds after RequestCertificate."""
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def late(self, operation, params):
        response = original(self, operation, params)
        if operation == "DescribeCertificate":
            seen.append(operation)
            if len(seen) <= 2:
                for option in response["Certificate"]["DomainValidationOptions"]:
                    option.pop("ResourceRecord", None)
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", late)
    result, code = call_main(acm_dns_certificate, args(), capsys)
    assert code == 0 and len(result["certificate"]["validation_records"]) == 1 and len(seen) >= 3


def test_check_mode_requests_nothing(acm, capsys):
    result, _ = call_main(acm_dns_certificate, args(), capsys, check_mode=True)
    assert result["changed"] is True and result["certificate"] == {} and arns(acm) == []


def test_tags_that_drop_the_owner_tags_are_refused(acm, capsys):
    result, code = call_main(acm_dns_certificate, args(tags={"Name": "x"}), capsys)
    assert code == 1 and "tags must include match_tags" in result["msg"]


def test_deletion_retries_in_use_then_succeeds(acm, capsys, monkeypatch):
    first, _ = call_main(acm_dns_certificate, args(), capsys)
    original = botocore.client.BaseClient._make_api_call
    attempts = []

    def in_use(self, operation, params):
        if operation == "DeleteCertificate":
            attempts.append(operation)
            if len(attempts) < 3:
                raise botocore.exceptions.ClientError({"Error": {
                    "Code": "ResourceInUseException",
                    "Message": f"Certificate {params['CertificateArn']} in account 123456789012 is in use."}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", in_use)
    result, code = call_main(acm_dns_certificate, {"match_tags": OWNER, "state": "absent"}, capsys)
    assert code == 0 and result["changed"] is True and len(attempts) == 3
    assert result["validation_records"] == first["certificate"]["validation_records"]
    assert arns(acm) == []
    again, _ = call_main(acm_dns_certificate, {"match_tags": OWNER, "state": "absent"}, capsys)
    assert again["changed"] is False and again["validation_records"] == []


def test_a_certificate_still_in_use_after_the_bound_is_reported(acm, capsys, monkeypatch):
    call_main(acm_dns_certificate, args(), capsys)
    original = botocore.client.BaseClient._make_api_call

    def in_use(self, operation, params):
        if operation == "DeleteCertificate":
            raise botocore.exceptions.ClientError({"Error": {
                "Code": "ResourceInUseException", "Message": "Certificate x in account 123456789012 is in use."}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", in_use)
    result, code = call_main(acm_dns_certificate, {"match_tags": OWNER, "state": "absent", "in_use_timeout": 0}, capsys)
    assert code == 1 and "Couldn't delete the ACM certificate" in result["msg"]
