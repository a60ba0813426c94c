#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_request_metrics
short_description: Turn on CloudWatch request metrics of an S3 bucket
version_added: 0.1.0
description:
  - Manages one request metrics configuration of a bucket. S3 publishes request metrics
    (C(AllRequests), C(4xxErrors), C(5xxErrors), latencies) to CloudWatch only for buckets
    that have one; alarms on S3 error rates need it.
  - No module of amazon.aws or community.aws manages these configurations.
options:
  bucket:
    description: Name of the bucket.
    type: str
    required: true
  id:
    description: Identifier of the configuration, used as the C(FilterId) dimension of the metrics.
    type: str
    default: EntireBucket
  prefix:
    description: Limit the metrics to objects under this key prefix; empty covers the whole bucket.
    type: str
    default: ""
  state:
    description: Whether the configuration should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Request metrics are billed as custom CloudWatch metrics.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Publish request metrics of the whole proofs bucket
  credlink.infra.s3_bucket_request_metrics:
    bucket: credlink-production-proofs-123456789012
"""

RETURN = r"""
configuration:
  description: The configuration as settled by this run; empty when absent.
  returned: always
  type: dict
  sample: {"id": "EntireBucket", "prefix": ""}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import diff_for
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import describe_or_none


def read(client, module, bucket, config_id):
    answer = describe_or_none(module, client.get_bucket_metrics_configuration, ["NoSuchConfiguration", "404"],
                              f"Couldn't read request metrics configuration {config_id} of {bucket}",
                              Bucket=bucket, Id=config_id)
    config = (answer or {}).get("MetricsConfiguration") or {}
    if not config.get("Id"):
        return None
    return {"id": config["Id"], "prefix": (config.get("Filter") or {}).get("Prefix", "")}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            id=dict(type="str", default="EntireBucket"),
            prefix=dict(type="str", default=""),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = module.client("s3", retry_decorator=RETRY)
    current = read(client, module, p["bucket"], p["id"])

    if p["state"] == "absent":
        if current is None:
            module.exit_json(changed=False, configuration={})
        if not module.check_mode:
            with fail_on_aws_error(module, f"Couldn't delete request metrics configuration {p['id']} of {p['bucket']}"):
                client.delete_bucket_metrics_configuration(aws_retry=True, Bucket=p["bucket"], Id=p["id"])
        module.exit_json(changed=True, configuration={}, diff=diff_for(current, None))

    wanted = {"id": p["id"], "prefix": p["prefix"]}
    if current == wanted:
        module.exit_json(changed=False, configuration=current)
    if not module.check_mode:
        config = {"Id": p["id"]}
        if p["prefix"]:
            config["Filter"] = {"Prefix": p["prefix"]}
        with fail_on_aws_error(module, f"Couldn't put request metrics configuration {p['id']} of {p['bucket']}"):
            client.put_bucket_metrics_configuration(aws_retry=True, Bucket=p["bucket"], Id=p["id"], MetricsConfiguration=config)
    module.exit_json(changed=True, configuration=wanted, diff=diff_for(current, wanted))


if __name__ == "__main__":
    main()
