#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_alarm_set
short_description: Manage a named set of CloudWatch metric alarms in one call
version_added: 0.1.0
description:
  - Creates or updates every alarm of O(alarms) (plain metric or metric math), tags them,
    and deletes alarms whose name starts with O(prefix) but which the set no longer lists.
  - Unlike C(amazon.aws.cloudwatch_metric_alarm), metric math changes are detected, alarms
    are tagged, and C(--diff) shows which alarm changes how.
options:
  prefix:
    description:
      - Common name prefix of the set, for example C(credlink-production-). Every alarm
        name must start with it; with O(purge=true) other alarms with this prefix are deleted.
    type: str
    required: true
  alarms:
    description: The alarms of the set.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Alarm name.
        type: str
        required: true
      description:
        description: Alarm description.
        type: str
        default: ""
      namespace:
        description: Metric namespace (plain metric alarms).
        type: str
      metric_name:
        description: Metric name (plain metric alarms).
        type: str
      statistic:
        description: Statistic (plain metric alarms).
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
      dimensions:
        description: Metric dimensions (plain metric alarms).
        type: dict
        default: {}
      period:
        description: Seconds per datapoint (plain metric alarms).
        type: int
      metrics:
        description:
          - Metric math instead of a plain metric, in the API's form (C(Id), C(Expression),
            C(MetricStat), C(ReturnData), C(Label)).
        type: list
        elements: dict
      comparison:
        description: How the datapoint is compared to the threshold.
        type: str
        required: true
        choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
      threshold:
        description: Threshold.
        type: float
        required: true
      evaluation_periods:
        description: Datapoints considered.
        type: int
        default: 1
      datapoints_to_alarm:
        description: Breaching datapoints among them that trigger the alarm (default all).
        type: int
      treat_missing_data:
        description: How missing datapoints count.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: missing
  alarm_actions:
    description: ARNs notified when an alarm fires (for example an SNS topic).
    type: list
    elements: str
    default: []
  ok_actions:
    description: ARNs notified when an alarm recovers.
    type: list
    elements: str
    default: []
  purge:
    description:
      - Delete alarms with O(prefix) that O(alarms) does not list, provided they carry
        every tag of O(owner_tags).
    type: bool
    default: true
  owner_tags:
    description:
      - The tags that make an alarm this set's (for the stack, C(Project), C(Environment)
        and C(ManagedBy)). A prefix alone does not, since C(credlink-dev-) also starts
        the alarms of an environment C(dev-alice). With O(purge=true) only alarms carrying all of
        these tags are deleted; others are left alone and listed in RV(foreign).
      - An alarm the set lists that exists without these tags is not adopted; the module
        fails, naming it.
      - Empty (the default) keeps the old behaviour of owning every alarm with the prefix.
    type: dict
    default: {}
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.changes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Database CPU alarms
  credlink.infra.cloudwatch_alarm_set:
    prefix: credlink-production-
    alarm_actions: ["{{ topic_arn }}"]
    alarms:
      - name: credlink-production-rds-cpu-critical
        namespace: AWS/RDS
        metric_name: CPUUtilization
        statistic: Average
        dimensions: {DBInstanceIdentifier: credlink-production-db}
        period: 300
        evaluation_periods: 2
        comparison: GreaterThanThreshold
        threshold: 90
    tags:
      Project: credlink
"""

RETURN = r"""
alarms:
  description: The alarms of the set as settled by this run, by name.
  returned: always
  type: dict
created:
  description: Names of the alarms created.
  returned: always
  type: list
  elements: str
updated:
  description: Names of the alarms whose settings or tags changed.
  returned: always
  type: list
  elements: str
deleted:
  description: Names of the alarms deleted.
  returned: always
  type: list
  elements: str
foreign:
  description: Alarms with the prefix, not in the set, that lack O(owner_tags) and were left alone.
  returned: always
  type: list
  elements: str
  sample: ["credlink-dev-alice-rds-cpu-critical"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error
from ansible_collections.credlink.infra.plugins.module_utils.sync import desired_tags
from ansible_collections.credlink.infra.plugins.module_utils.sync import differing
from ansible_collections.credlink.infra.plugins.module_utils.sync import owned
from ansible_collections.credlink.infra.plugins.module_utils.sync import retag
from ansible_collections.credlink.infra.plugins.module_utils.sync import sync
from ansible_collections.credlink.infra.plugins.module_utils.sync import tags_argument_spec


def _metric_query(query):
    """A metric math query in a canonical shape (AWS fills in ReturnData and drops empty keys)."""
    result = {"Id": query["Id"], "ReturnData": query.get("ReturnData", True)}
    for key in ("Expression", "Label"):
        if query.get(key):
            result[key] = query[key]
    if query.get("MetricStat"):
        stat = query["MetricStat"]
        metric = stat["Metric"]
        result["MetricStat"] = {
            "Metric": {
                "Namespace": metric["Namespace"], "MetricName": metric["MetricName"],
                "Dimensions": sorted(({"Name": d["Name"], "Value": d["Value"]} for d in metric.get("Dimensions") or []),
                                     key=lambda d: d["Name"]),
            },
            "Period": stat["Period"], "Stat": stat["Stat"],
        }
    return result


def from_aws(alarm):
    settings = {
        "name": alarm["AlarmName"],
        "description": alarm.get("AlarmDescription") or "",
        "comparison": alarm["ComparisonOperator"],
        "threshold": float(alarm["Threshold"]),
        "evaluation_periods": alarm["EvaluationPeriods"],
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"],
        "treat_missing_data": alarm.get("TreatMissingData", "missing"),
        "alarm_actions": sorted(alarm.get("AlarmActions") or []),
        "ok_actions": sorted(alarm.get("OKActions") or []),
    }
    if alarm.get("Metrics"):
        settings["metrics"] = [_metric_query(q) for q in alarm["Metrics"]]
    else:
        settings.update({
            "namespace": alarm.get("Namespace"), "metric_name": alarm.get("MetricName"),
            "statistic": alarm.get("Statistic"), "period": alarm.get("Period"),
            "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
        })
    return settings


def from_params(alarm, params):
    settings = {
        "name": alarm["name"],
        "description": alarm["description"],
        "comparison": alarm["comparison"],
        "threshold": float(alarm["threshold"]),
        "evaluation_periods": alarm["evaluation_periods"],
        "datapoints_to_alarm": alarm["datapoints_to_alarm"] or alarm["evaluation_periods"],
        "treat_missing_data": alarm["treat_missing_data"],
        "alarm_actions": sorted(params["alarm_actions"]),
        "ok_actions": sorted(params["ok_actions"]),
    }
    if alarm["metrics"]:
        settings["metrics"] = [_metric_query(q) for q in alarm["metrics"]]
    else:
        settings.update({
            "namespace": alarm["namespace"], "metric_name": alarm["metric_name"], "statistic": alarm["statistic"],
            "period": alarm["period"], "dimensions": {k: str(v) for k, v in alarm["dimensions"].items()},
        })
    return settings


def to_api(settings):
    request = {
        "AlarmName": settings["name"], "AlarmDescription": settings["description"],
        "ComparisonOperator": settings["comparison"], "Threshold": settings["threshold"],
        "EvaluationPeriods": settings["evaluation_periods"], "DatapointsToAlarm": settings["datapoints_to_alarm"],
        "TreatMissingData": settings["treat_missing_data"], "ActionsEnabled": True,
        "AlarmActions": settings["alarm_actions"], "OKActions": settings["ok_actions"],
    }
    if "metrics" in settings:
        request["Metrics"] = settings["metrics"]
    else:
        request.update({
            "Namespace": settings["namespace"], "MetricName": settings["metric_name"],
            "Statistic": settings["statistic"], "Period": settings["period"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(settings["dimensions"].items())],
        })
    return request


def existing_alarms(client, module, prefix):
    with fail_on_aws_error(module, f"Couldn't list the alarms named {prefix}*"):
        paginator = client.get_paginator("describe_alarms")
        alarms = [a for page in paginator.paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])
                  for a in page["MetricAlarms"]]
    found = {}
    for alarm in alarms:
        settings = from_aws(alarm)
        with fail_on_aws_error(module, f"Couldn't read the tags of alarm {alarm['AlarmName']}"):
            tags = client.list_tags_for_resource(aws_retry=True, ResourceARN=alarm["AlarmArn"])["Tags"]
        found[alarm["AlarmName"]] = {"settings": settings, "arn": alarm["AlarmArn"],
                                     "tags": boto3_tag_list_to_ansible_dict(tags)}
    return found


def validate(module):
    p = module.params
    names = [a["name"] for a in p["alarms"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="Alarm names must be unique within the set")
    for alarm in p["alarms"]:
        if not alarm["name"].startswith(p["prefix"]):
            module.fail_json(msg=f"Alarm {alarm['name']} does not start with the set's prefix {p['prefix']}")
        plain = [alarm[k] for k in ("namespace", "metric_name", "statistic", "period")]
        if alarm["metrics"] and any(plain):
            module.fail_json(msg=f"Alarm {alarm['name']}: give either metrics or namespace/metric_name/statistic/period")
        if not alarm["metrics"] and not all(plain):
            module.fail_json(msg=f"Alarm {alarm['name']} needs namespace, metric_name, statistic and period (or metrics)")


def put_alarm(client, module, desired):
    request = to_api({key: value for key, value in desired.items() if key != "tags"})
    request["Tags"] = ansible_dict_to_boto3_tag_list(desired["tags"])
    with fail_on_aws_error(module, f"Couldn't put alarm {desired['name']}"):
        client.put_metric_alarm(aws_retry=True, **request)


def update_alarm(client, module, have, desired):
    # The whole desired alarm, not only the changes: PutMetricAlarm replaces every setting,
    # and an alarm moving between one metric and a metric math query loses the other's keys.
    wanted = {key: value for key, value in desired.items() if key != "tags"}
    with fail_on_aws_error(module, f"Couldn't put alarm {desired['name']}"):
        if wanted != have["settings"]:
            client.put_metric_alarm(aws_retry=True, **to_api(wanted))
        retag(have["tags"], desired["tags"], purge=True,
              untag=lambda keys: client.untag_resource(aws_retry=True, ResourceARN=have["arn"], TagKeys=keys),
              tag=lambda new: client.tag_resource(aws_retry=True, ResourceARN=have["arn"],
                                                  Tags=ansible_dict_to_boto3_tag_list(new)))


def main():
    alarm_options = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        namespace=dict(type="str"),
        metric_name=dict(type="str"),
        statistic=dict(type="str", choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
        dimensions=dict(type="dict", default={}),
        period=dict(type="int"),
        metrics=dict(type="list", elements="dict"),
        comparison=dict(type="str", required=True, choices=[
            "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]),
        threshold=dict(type="float", required=True),
        evaluation_periods=dict(type="int", default=1),
        datapoints_to_alarm=dict(type="int"),
        treat_missing_data=dict(type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="missing"),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            prefix=dict(type="str", required=True),
            alarms=dict(type="list", elements="dict", required=True, options=alarm_options),
            alarm_actions=dict(type="list", elements="str", default=[]),
            ok_actions=dict(type="list", elements="str", default=[]),
            purge=dict(type="bool", default=True),
            owner_tags=dict(type="dict", default={}),
            **tags_argument_spec(),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["prefix"]:
        module.fail_json(msg="prefix must not be empty: it bounds which alarms this set may delete")
    validate(module)
    client = module.client("cloudwatch", retry_decorator=RETRY)
    current = existing_alarms(client, module, p["prefix"])
    adopted = sorted(a["name"] for a in p["alarms"] if a["name"] in current
                     and not owned(current[a["name"]]["tags"], p["owner_tags"]))
    if adopted:
        module.fail_json(msg=f"Alarm(s) {', '.join(adopted)} exist without the tags "
                             f"{', '.join(f'{k}={v}' for k, v in sorted(p['owner_tags'].items()))}: they are not this "
                             "stack's. Delete or rename them, or tag them so if they are.")

    created, updated, result, before, after = [], [], {}, {}, {}
    for alarm in p["alarms"]:
        wanted = from_params(alarm, p)
        name = wanted["name"]
        have = current.get(name)
        result[name] = {**wanted, "tags": desired_tags(have["tags"] if have else {}, p["tags"], p["purge_tags"])}
        outcome = sync(
            module, {**have["settings"], "tags": have["tags"]} if have else None, result[name],
            create=lambda desired: put_alarm(client, module, desired),
            update=lambda current, changes, have=have, desired=result[name]: update_alarm(client, module, have, desired),
            compare=differing,
        )
        if not outcome.changed:
            continue
        (updated if have else created).append(name)
        if have:
            before[name] = outcome.diff["before"]
        after[name] = result[name]

    deleted = sorted(name for name in set(current) - set(result) if owned(current[name]["tags"], p["owner_tags"])) \
        if p["purge"] else []
    foreign = sorted(name for name in set(current) - set(result) if not owned(current[name]["tags"], p["owner_tags"]))
    for name in deleted:
        before[name] = {**current[name]["settings"], "tags": current[name]["tags"]}
    if deleted and not module.check_mode:
        with fail_on_aws_error(module, f"Couldn't delete alarms {', '.join(deleted)}"):
            client.delete_alarms(aws_retry=True, AlarmNames=deleted)

    changed = bool(created or updated or deleted)
    module.exit_json(changed=changed, alarms=result, created=created, updated=updated, deleted=deleted,
                     foreign=foreign, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
