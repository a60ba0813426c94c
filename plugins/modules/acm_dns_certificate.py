#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: acm_dns_certificate
short_description: Request a public ACM certificate with DNS validation, await it, delete it
version_added: 0.2.0
description:
  - Requests an Amazon-issued (public) ACM certificate for a domain with DNS validation,
    returns the CNAME records that validate it, and optionally waits until ACM has issued
    it. C(community.aws.acm_certificate) only imports certificates.
  - A certificate is this task's when its domain and alternative names are the ones asked
    for and it carries every tag of O(match_tags). Other certificates of the account, also
    for the same domain, are never changed or deleted.
  - With O(state=absent) the matching certificates are deleted. A certificate that a load
    balancer listener used a moment ago stays "in use" for a while after the listener is
    gone; that answer is retried for O(in_use_timeout) seconds.
options:
  domain_name:
    description:
      - Fully qualified domain name of the certificate, such as C(credlink.example.com).
      - Required with O(state=present). With O(state=absent) it narrows the deletion to
        that domain; without it every certificate carrying O(match_tags) is deleted.
    type: str
  subject_alternative_names:
    description: Further names the certificate covers.
    type: list
    elements: str
    default: []
  key_algorithm:
    description: Key algorithm of a new certificate.
    type: str
    choices: [RSA_2048, EC_prime256v1, EC_secp384r1]
    default: RSA_2048
  tags:
    description: Tags of the certificate.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not listed in O(tags).
    type: bool
    default: true
  match_tags:
    description:
      - Tags a certificate must carry to be this task's. Defaults to O(tags).
      - Use the tags that mark the owner (for example C(Project), C(Environment),
        C(ManagedBy)), not tags that may change.
    type: dict
  state:
    description: Whether the certificate should exist.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until ACM has issued the certificate. Write the validation records first.
      - Fails at once when validation failed or timed out, with ACM's reason.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the certificate to be issued.
    type: int
    default: 1800
  wait_delay:
    description: Seconds between two status checks.
    type: int
    default: 15
  in_use_timeout:
    description: Seconds during which a deletion answered "in use" is retried.
    type: int
    default: 300
notes:
  - ACM reports the validation records a few seconds after the request; the module
    waits for them (up to two minutes) before it returns.
  - The validation CNAME of a domain is the same for every certificate of that domain in
    the account. With O(state=absent), RV(validation_records) lists only the records
    that no other certificate of the account still needs; RV(validation_records_kept)
    lists the others.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Request the certificate
  credlink.infra.acm_dns_certificate:
    domain_name: credlink.example.com
    tags: {Project: credlink, Environment: production, ManagedBy: ansible, Name: credlink-production-certificate}
    match_tags: {Project: credlink, Environment: production, ManagedBy: ansible}
  register: certificate

- name: Write the validation records
  amazon.aws.route53:
    zone: example.com
    record: "{{ item.name }}"
    type: "{{ item.type }}"
    value: "{{ item.value }}"
    ttl: 300
    state: present
  loop: "{{ certificate.certificate.validation_records }}"

- name: Wait until the certificate is issued
  credlink.infra.acm_dns_certificate:
    domain_name: credlink.example.com
    tags: {Project: credlink, Environment: production, ManagedBy: ansible, Name: credlink-production-certificate}
    match_tags: {Project: credlink, Environment: production, ManagedBy: ansible}
    wait: true

- name: Delete it once no listener uses it
  credlink.infra.acm_dns_certificate:
    match_tags: {Project: credlink, Environment: production, ManagedBy: ansible}
    state: absent
"""

RETURN = r"""
certificate:
  description: The certificate; empty when absent or only about to be requested (check mode).
  returned: always
  type: dict
  contains:
    certificate_arn:
      description: ARN of the certificate.
      type: str
    domain_name:
      description: Domain of the certificate.
      type: str
    subject_alternative_names:
      description: Every name the certificate covers, the domain included.
      type: list
      elements: str
    status:
      description: C(PENDING_VALIDATION), C(ISSUED), C(FAILED), C(VALIDATION_TIMED_OUT), ...
      type: str
    failure_reason:
      description: Why ACM could not issue it.
      type: str
    in_use_by:
      description: ARNs of the resources (load balancers) that use it.
      type: list
      elements: str
    validation_records:
      description: The CNAME records that validate the certificate.
      type: list
      elements: dict
      sample: [{"name": "_x1.credlink.example.com.", "type": "CNAME", "value": "_x2.acm-validations.aws."}]
    tags:
      description: Tags of the certificate.
      type: dict
certificates_deleted:
  description: ARNs deleted (or to be deleted in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
validation_records:
  description: Validation records of the deleted certificates that no other certificate needs.
  returned: when O(state=absent)
  type: list
  elements: dict
validation_records_kept:
  description: Validation records other certificates of the account still need.
  returned: when O(state=absent)
  type: list
  elements: dict
"""

import hashlib
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import AWS_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.common import retry_while
from ansible_collections.credlink.infra.plugins.module_utils.sync import owned, retag
from ansible_collections.credlink.infra.plugins.module_utils.sync import tags_argument_spec
from ansible_collections.credlink.infra.plugins.module_utils.sync import wait_argument_spec

# Every status ListCertificates knows: ours are found whatever state they are in.
STATUSES = ["PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"]
USABLE = ("ISSUED", "PENDING_VALIDATION")
ALL_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
FINAL_FAILURES = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE")
# RequestCertificate returns the ARN before DescribeCertificate can show the validation
# records: "there is a delay of several seconds before you can retrieve information about
# the new certificate" (API reference); ResourceRecord is missing for seconds
# (community.aws#321, aws/aws-sdk-js#2133, dylburger/create-and-validate-acm-certificate#11;
# research B, 1a). moto shows it at once and issues after MOTO_ACM_VALIDATION_WAIT seconds
# whether or not the record exists (research B, 1f).
RECORDS_TIMEOUT = 120
RECORDS_DELAY = 3
# DeleteCertificate right after the listener that used it was deleted: ResourceInUseException
# "Certificate arn:... in account ... is in use." for about ten seconds (aws/aws-cdk#4179,
# hashicorp/terraform-provider-aws#3866, dfds/infrastructure-modules#5).
IN_USE = ("ResourceInUseException", "in use")
IN_USE_DELAY = 10


def names_of(domain, alternatives):
    return sorted({domain, *(alternatives or [])})


@RETRY
def _list_certificates(client, includes):
    paginator = client.get_paginator("list_certificates")
    return paginator.paginate(CertificateStatuses=STATUSES, Includes=includes).build_full_result()["CertificateSummaryList"]


def list_certificates(client, module, key_algorithm=None):
    """Summaries of the account's certificates in this region (every status).

    Without Includes.keyTypes ListCertificates returns RSA_2048 certificates only (API
    reference), so the key types are always named.
    """
    includes = {"keyTypes": [key_algorithm] if key_algorithm else ALL_KEY_TYPES}
    with fail_on_aws_error(module, "Couldn't list the ACM certificates"):
        return _list_certificates(client, includes)


def describe_certificate(client, arn):
    certificate = client.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]
    tags = client.list_tags_for_certificate(aws_retry=True, CertificateArn=arn).get("Tags", [])
    return format_certificate(certificate, boto3_tag_list_to_ansible_dict(tags))


def read_certificate(client, module, arn, not_found_timeout=0):
    """The certificate; a just-requested one may be unknown to DescribeCertificate for a few
    seconds, which ``not_found_timeout`` allows for."""
    with fail_on_aws_error(module, f"Couldn't describe the ACM certificate {arn}"):
        return retry_while(lambda: describe_certificate(client, arn), "ResourceNotFoundException", "",
                           timeout=not_found_timeout, delay=RECORDS_DELAY)


def format_certificate(certificate, tags):
    options = certificate.get("DomainValidationOptions") or []
    records = []
    for option in options:
        record = option.get("ResourceRecord")
        if record:
            entry = {"name": record["Name"], "type": record["Type"], "value": record["Value"]}
            if entry not in records:
                records.append(entry)
    return {
        "certificate_arn": certificate["CertificateArn"],
        "domain_name": certificate.get("DomainName"),
        "subject_alternative_names": sorted(certificate.get("SubjectAlternativeNames") or []),
        "status": certificate.get("Status"),
        "failure_reason": certificate.get("FailureReason", ""),
        "in_use_by": certificate.get("InUseBy") or [],
        "type": certificate.get("Type"),
        "validation_records": records,
        # Every name needs its record before ACM validates; a name without one is pending.
        "records_complete": bool(options) and all(o.get("ResourceRecord") for o in options
                                                  if o.get("ValidationMethod", "DNS") == "DNS"),
        "tags": tags,
    }


def find_ours(client, module, match_tags, domain=None, names=None, key_algorithm=None):
    """This task's certificates, newest usable first."""
    found = []
    for summary in list_certificates(client, module, key_algorithm):
        if domain and summary.get("DomainName") != domain:
            continue
        certificate = read_certificate(client, module, summary["CertificateArn"])
        if certificate["type"] != "AMAZON_ISSUED" or not owned(certificate["tags"], match_tags):
            continue
        if names is not None and certificate["subject_alternative_names"] != names:
            continue
        found.append(certificate)
    return sorted(found, key=lambda c: (c["status"] != "ISSUED", c["status"] not in USABLE))


def idempotency_token(names, match_tags, key_algorithm):
    """Same request, same token: a retried RequestCertificate returns the same certificate
    for an hour (RequestCertificate IdempotencyToken, \\w+, at most 32 characters)."""
    seed = "|".join(names + [f"{k}={v}" for k, v in sorted(match_tags.items())] + [key_algorithm])
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def request_certificate(client, module, names, tags, match_tags):
    p = module.params
    alternatives = [n for n in names if n != p["domain_name"]]
    kwargs = {
        "DomainName": p["domain_name"], "ValidationMethod": "DNS", "KeyAlgorithm": p["key_algorithm"],
        "IdempotencyToken": idempotency_token(names, match_tags, p["key_algorithm"]),
        "Tags": ansible_dict_to_boto3_tag_list(tags),
    }
    if alternatives:
        kwargs["SubjectAlternativeNames"] = [p["domain_name"]] + alternatives
    with fail_on_aws_error(module, f"Couldn't request an ACM certificate for {p['domain_name']}"):
        return client.request_certificate(aws_retry=True, **kwargs)["CertificateArn"]


def await_records(client, module, arn):
    """The certificate once ACM shows a validation record for each of its names."""
    deadline = time.monotonic() + RECORDS_TIMEOUT
    while True:
        certificate = read_certificate(client, module, arn, not_found_timeout=RECORDS_TIMEOUT)
        if certificate["records_complete"]:
            return certificate
        if time.monotonic() >= deadline:
            module.fail_json(msg=f"ACM shows no DNS validation records for {arn} after {RECORDS_TIMEOUT} s",
                             certificate=certificate)
        time.sleep(RECORDS_DELAY)


def await_issued(client, module, certificate):
    p = module.params
    deadline = time.monotonic() + p["wait_timeout"]
    while certificate["status"] != "ISSUED":
        if certificate["status"] in FINAL_FAILURES:
            module.fail_json(msg=f"ACM did not issue the certificate of {certificate['domain_name']}: "
                                 f"{certificate['status']} {certificate['failure_reason']}".strip(),
                             certificate=certificate)
        if time.monotonic() >= deadline:
            records = ", ".join(f"{r['name']} CNAME {r['value']}" for r in certificate["validation_records"])
            module.fail_json(msg=f"The certificate of {certificate['domain_name']} is still {certificate['status']} "
                                 f"after {p['wait_timeout']} s. ACM validates it once these records resolve in "
                                 f"public DNS: {records}. Check that the hosted zone is the one the domain is "
                                 f"delegated to (its NS records at the registrar).",
                             certificate=certificate)
        time.sleep(p["wait_delay"])
        certificate = read_certificate(client, module, certificate["certificate_arn"])
    return certificate


def ensure_tags(client, module, certificate, tags):
    arn = certificate["certificate_arn"]
    with fail_on_aws_error(module, f"Couldn't tag the ACM certificate {arn}"):
        return retag(
            certificate["tags"], tags, module.params["purge_tags"], check_mode=module.check_mode,
            # ACM removes a tag only when given its value too.
            untag=lambda keys: client.remove_tags_from_certificate(
                aws_retry=True, CertificateArn=arn, Tags=[{"Key": k, "Value": certificate["tags"][k]} for k in keys]),
            tag=lambda new: client.add_tags_to_certificate(aws_retry=True, CertificateArn=arn,
                                                           Tags=ansible_dict_to_boto3_tag_list(new)))


def ensure_present(client, module, match_tags):
    p = module.params
    names = names_of(p["domain_name"], p["subject_alternative_names"])
    tags = p["tags"] if p["tags"] is not None else dict(match_tags)
    ours = [c for c in find_ours(client, module, match_tags, p["domain_name"], names, p["key_algorithm"])
            if c["status"] in USABLE]
    if ours:
        certificate = ours[0]
        changed = ensure_tags(client, module, certificate, p["tags"])
        if changed and not module.check_mode:
            certificate = read_certificate(client, module, certificate["certificate_arn"])
        if not certificate["records_complete"] and not module.check_mode:
            certificate = await_records(client, module, certificate["certificate_arn"])
        if p["wait"] and not module.check_mode:
            certificate = await_issued(client, module, certificate)
        return changed, certificate, diff_for({"tags": ours[0]["tags"]}, {"tags": certificate["tags"]})
    after = {"domain_name": p["domain_name"], "subject_alternative_names": names, "tags": tags}
    if module.check_mode:
        return True, {}, diff_for(None, after)
    arn = request_certificate(client, module, names, tags, match_tags)
    certificate = await_records(client, module, arn)
    if p["wait"]:
        certificate = await_issued(client, module, certificate)
    return True, certificate, diff_for(None, after)


def delete_certificate(client, module, certificate):
    arn = certificate["certificate_arn"]
    try:
        retry_while(lambda: client.delete_certificate(aws_retry=True, CertificateArn=arn), *IN_USE,
                    timeout=module.params["in_use_timeout"], delay=IN_USE_DELAY)
    except AWS_ERRORS as e:
        in_use = ", ".join(read_certificate(client, module, arn)["in_use_by"]) or "a resource ACM does not name"
        module.fail_json_aws(e, msg=f"Couldn't delete the ACM certificate {arn} (used by {in_use})")


def records_needed_by_others(client, module, ours, domains):
    """Validation records of certificates that are not ours but cover one of ``domains``."""
    own = {c["certificate_arn"] for c in ours}
    needed = []
    for summary in list_certificates(client, module):
        if summary["CertificateArn"] in own or summary.get("Status") not in USABLE:
            continue
        names = set(summary.get("SubjectAlternativeNameSummaries") or []) | {summary.get("DomainName")}
        if names & domains:
            needed += read_certificate(client, module, summary["CertificateArn"])["validation_records"]
    return needed


def ensure_absent(client, module, match_tags):
    p = module.params
    ours = find_ours(client, module, match_tags, p["domain_name"])
    domains = {n for c in ours for n in c["subject_alternative_names"] + [c["domain_name"]]}
    records = []
    for certificate in ours:
        records += [r for r in certificate["validation_records"] if r not in records]
    others = records_needed_by_others(client, module, ours, domains) if ours else []
    if ours and not module.check_mode:
        for certificate in ours:
            delete_certificate(client, module, certificate)
    return {
        "changed": bool(ours),
        "certificate": {},
        "certificates_deleted": [c["certificate_arn"] for c in ours],
        "validation_records": [r for r in records if r not in others],
        "validation_records_kept": [r for r in records if r in others],
        "diff": diff_for({c["certificate_arn"]: c["status"] for c in ours}, {}),
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            domain_name=dict(type="str"),
            subject_alternative_names=dict(type="list", elements="str", default=[]),
            key_algorithm=dict(type="str", choices=["RSA_2048", "EC_prime256v1", "EC_secp384r1"], default="RSA_2048"),
            **tags_argument_spec(),
            match_tags=dict(type="dict"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **wait_argument_spec(1800),
            in_use_timeout=dict(type="int", default=300),
        ),
        required_if=[("state", "present", ["domain_name"])],
        supports_check_mode=True,
    )
    p = module.params
    match_tags = p["match_tags"] if p["match_tags"] is not None else p["tags"]
    if not match_tags:
        module.fail_json(msg="Give match_tags (or tags): without them any certificate of the domain would count as this one")
    if p["wait_timeout"] <= 0 or p["wait_delay"] <= 0 or p["in_use_timeout"] < 0:
        module.fail_json(msg="wait_timeout and wait_delay must be positive, in_use_timeout not negative")
    if p["tags"] is not None and not owned(p["tags"], match_tags):
        module.fail_json(msg="tags must include match_tags, or the certificate would not be found again")
    client = module.client("acm", retry_decorator=RETRY)
    if p["state"] == "absent":
        module.exit_json(**ensure_absent(client, module, match_tags))
    changed, certificate, diff = ensure_present(client, module, match_tags)
    certificate.pop("records_complete", None)
    certificate.pop("type", None)
    module.exit_json(changed=changed, certificate=certificate, diff=diff)


if __name__ == "__main__":
    main()
