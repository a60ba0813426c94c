#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_flow_log
short_description: Manage a VPC flow log
version_added: 0.1.0
description:
  - Creates, replaces or deletes the flow log of a VPC, subnet or network interface.
  - A flow log is identified by the resource it watches and its destination (log group
    name or destination ARN). AWS flow logs are immutable, so a change of traffic type,
    delivery role or aggregation interval replaces the flow log; tags are updated in place.
options:
  state:
    description: Whether the flow log should exist.
    type: str
    choices: [present, absent]
    default: present
  resource_id:
    description: ID of the VPC, subnet or network interface whose traffic is logged.
    type: str
    required: true
  resource_type:
    description: Kind of resource named by O(resource_id).
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  traffic_type:
    description: Which traffic to log.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_destination_type:
    description: Where flow log records are delivered.
    type: str
    choices: [cloud-watch-logs, s3]
    default: cloud-watch-logs
  log_group_name:
    description:
      - CloudWatch Logs group receiving the records.
      - Required when O(log_destination_type=cloud-watch-logs).
    type: str
  log_destination:
    description:
      - ARN of the S3 bucket (or folder) receiving the records.
      - Required when O(log_destination_type=s3).
    type: str
  deliver_logs_permission_arn:
    description:
      - ARN of the IAM role that allows the flow logs service to write to the log group.
      - Required when O(log_destination_type=cloud-watch-logs).
    type: str
  max_aggregation_interval:
    description: Seconds over which packets are aggregated into one record.
    type: int
    choices: [60, 600]
    default: 600
  role_propagation_timeout:
    description:
      - Seconds during which EC2's refusal of I(deliver_logs_permission_arn) as a role it
        cannot assume (C(InvalidParameter), "Unable to assume given IAM role") is retried.
      - IAM is eventually consistent, so a role created seconds earlier is refused until it
        has reached the flow logs service; other errors are reported at once.
    type: int
    default: 120
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log all traffic of the VPC to CloudWatch Logs
  credlink.infra.ec2_vpc_flow_log:
    resource_id: "{{ vpc_id }}"
    traffic_type: ALL
    log_group_name: /aws/vpc/credlink-production-flow-logs
    deliver_logs_permission_arn: "{{ flow_logs_role_arn }}"
    tags:
      Name: credlink-production-flow-logs
      Project: credlink

- name: Remove the flow log
  credlink.infra.ec2_vpc_flow_log:
    state: absent
    resource_id: "{{ vpc_id }}"
    log_group_name: /aws/vpc/credlink-production-flow-logs
"""

RETURN = r"""
flow_log:
  description: The flow log as AWS describes it; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: ID of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: ID of the watched resource.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: Logged traffic.
      type: str
      sample: ALL
    log_group_name:
      description: Destination log group.
      type: str
      sample: /aws/vpc/credlink-production-flow-logs
    deliver_logs_permission_arn:
      description: Delivery role.
      type: str
    max_aggregation_interval:
      description: Aggregation interval in seconds.
      type: int
      sample: 600
    tags:
      description: Tags as a dictionary.
      type: dict
      sample: {"Name": "credlink-production-flow-logs"}
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import ensure_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
)

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.common import retry_while
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import differing
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync
from ansible_collections.credlink.infra.plugins.module_utils.sync import tags_argument_spec

# Settings that cannot be modified on an existing flow log: a difference means replace.
IMMUTABLE = ("traffic_type", "deliver_logs_permission_arn", "max_aggregation_interval", "log_destination_type")


def destination_matches(flow_log, params):
    if params["log_destination_type"] == "s3":
        return flow_log.get("log_destination") == params["log_destination"]
    return flow_log.get("log_group_name") == params["log_group_name"]


def describe_flow_log(client, module):
    params = module.params
    with fail_on_aws_error(module, f"Couldn't describe flow logs of {params['resource_id']}"):
        response = client.describe_flow_logs(
            aws_retry=True, Filters=[{"Name": "resource-id", "Values": [params["resource_id"]]}]
        )
    for raw in response.get("FlowLogs", []):
        flow_log = format_flow_log(raw)
        if destination_matches(flow_log, params):
            return flow_log
    return None


def format_flow_log(raw):
    flow_log = camel_dict_to_snake_dict(raw, ignore_list=["Tags"])
    flow_log["tags"] = boto3_tag_list_to_ansible_dict(raw.get("Tags", []))
    return flow_log


def desired_flow_log(params, current):
    desired = {
        "resource_id": params["resource_id"],
        "traffic_type": params["traffic_type"],
        "log_destination_type": params["log_destination_type"],
        "max_aggregation_interval": params["max_aggregation_interval"],
        "tags": params["tags"] or {},
    }
    if params["log_destination_type"] == "s3":
        desired["log_destination"] = params["log_destination"]
    else:
        desired["log_group_name"] = params["log_group_name"]
        desired["deliver_logs_permission_arn"] = params["deliver_logs_permission_arn"]
    # A replacement carries only the given tags; a flow log kept in place keeps or purges its own.
    if current and not needs_replacement(current, desired):
        desired["tags"] = desired_tags(current["tags"], params["tags"], params["purge_tags"])
    return desired


def needs_replacement(current, desired):
    return any(key in desired and current.get(key) != desired[key] for key in IMMUTABLE)


def create_flow_log(client, module):
    params = module.params
    request = {
        "ResourceIds": [params["resource_id"]],
        "ResourceType": params["resource_type"],
        "TrafficType": params["traffic_type"],
        "LogDestinationType": params["log_destination_type"],
        "MaxAggregationInterval": params["max_aggregation_interval"],
    }
    if params["log_destination_type"] == "s3":
        request["LogDestination"] = params["log_destination"]
    else:
        request["LogGroupName"] = params["log_group_name"]
        request["DeliverLogsPermissionArn"] = params["deliver_logs_permission_arn"]
    if params["tags"]:
        request["TagSpecifications"] = boto3_tag_specifications(params["tags"], types="vpc-flow-log")
    # A role created seconds ago: "InvalidParameter: Unable to assume given IAM role: '<arn>'"
    # (hashicorp/terraform-provider-aws#29323, which retries it for two minutes).
    with fail_on_aws_error(module, f"Couldn't create flow log for {params['resource_id']}"):
        response = retry_while(lambda: client.create_flow_logs(aws_retry=True, **request), "InvalidParameter",
                               "Unable to assume given IAM role", params["role_propagation_timeout"])
    unsuccessful = response.get("Unsuccessful") or []
    if unsuccessful:
        error = unsuccessful[0].get("Error", {})
        module.fail_json(
            msg=f"Couldn't create flow log for {params['resource_id']}: {error.get('Message', 'unknown error')}",
            unsuccessful=unsuccessful,
        )


def delete_flow_log(client, module, flow_log_id):
    with fail_on_aws_error(module, f"Couldn't delete flow log {flow_log_id}"):
        response = client.delete_flow_logs(aws_retry=True, FlowLogIds=[flow_log_id])
    unsuccessful = response.get("Unsuccessful") or []
    if unsuccessful:
        module.fail_json(msg=f"Couldn't delete flow log {flow_log_id}", unsuccessful=unsuccessful)


def update_flow_log(client, module, current, changes):
    params = module.params
    if needs_replacement(current, {**current, **changes}):
        delete_flow_log(client, module, current["flow_log_id"])
        create_flow_log(client, module)
    else:
        ensure_ec2_tags(client, module, current["flow_log_id"], tags=params["tags"], purge_tags=params["purge_tags"])


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", choices=["VPC", "Subnet", "NetworkInterface"], default="VPC"),
        traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
        log_destination_type=dict(type="str", choices=["cloud-watch-logs", "s3"], default="cloud-watch-logs"),
        log_group_name=dict(type="str"),
        log_destination=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
        role_propagation_timeout=dict(type="int", default=120),
        **tags_argument_spec(),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ("log_destination_type", "cloud-watch-logs", ["log_group_name"]),
            ("log_destination_type", "s3", ["log_destination"]),
        ],
        mutually_exclusive=[("log_group_name", "log_destination")],
    )
    if (
        module.params["state"] == "present"
        and module.params["log_destination_type"] == "cloud-watch-logs"
        and not module.params["deliver_logs_permission_arn"]
    ):
        module.fail_json(msg="deliver_logs_permission_arn is required to deliver flow logs to CloudWatch Logs")

    client = module.client("ec2", retry_decorator=RETRY)
    current = describe_flow_log(client, module)

    present = module.params["state"] == "present"
    desired = desired_flow_log(module.params, current) if present else {}
    outcome = sync(
        module, current, desired, state=module.params["state"],
        describe=lambda: describe_flow_log(client, module),
        create=lambda desired: create_flow_log(client, module),
        update=lambda current, changes: update_flow_log(client, module, current, changes),
        delete=lambda current: delete_flow_log(client, module, current["flow_log_id"]),
        compare=differing, diff_keys=list(desired) if present else None,
    )
    # Check mode returns the flow log as it is; --diff shows what would change.
    flow_log = current if module.check_mode else outcome.result
    module.exit_json(changed=outcome.changed, flow_log=(flow_log or {}) if present else {}, diff=outcome.diff)


if __name__ == "__main__":
    main()
