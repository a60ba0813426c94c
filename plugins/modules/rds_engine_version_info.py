#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_engine_version_info
short_description: Choose the RDS engine version to create an instance with, and to send on a rerun
version_added: 0.2.0
description:
  - Lists the minor versions of a major engine version that RDS can create now
    (C(DescribeDBEngineVersions), optionally narrowed to those orderable for an instance
    class with C(DescribeOrderableDBInstanceOptions)) and decides which version to send.
  - For a new instance, I(create_version) is the pinned minor when I(version) names one,
    otherwise the newest orderable minor of the major.
  - For an existing instance, I(modify_version) is empty unless a pinned minor is newer
    than the running one. RDS upgrades minors by itself (auto minor version upgrade, and
    forced upgrades when a minor reaches the end of its support), and refuses to go back
    (C(Cannot upgrade postgres from 15.8 to 15.4)), so a rerun never sends a version lower
    than the one running.
options:
  engine:
    description: The RDS engine.
    type: str
    default: postgres
  version:
    description:
      - A major version (C(15)), which takes the newest orderable minor at creation and
        follows AWS's upgrades afterwards, or a minor version (C(15.8)) to pin.
    type: str
    required: true
  instance_class:
    description:
      - Only versions orderable for this instance class count. The answer also says in
        which availability zones the class is offered and whether it can be Multi-AZ.
    type: str
  storage_type:
    description: With I(instance_class), the storage type the instance will use.
    type: str
    default: gp3
  current_version:
    description: The version the instance runs now; empty for an instance still to be created.
    type: str
    default: ""
notes:
  - An endpoint that does not implement C(DescribeDBEngineVersions) (some emulators) is
    answered with the version as given; AWS accepts a major version alone and picks a
    recent minor itself.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Choose the PostgreSQL version
  credlink.infra.rds_engine_version_info:
    version: "15"
    instance_class: db.t3.small
    current_version: "{{ current.engine_version | default('') }}"
  register: pg

- name: Create or update the instance without ever downgrading it
  amazon.aws.rds_instance:
    db_instance_identifier: credlink-production-db
    engine: postgres
    engine_version: "{{ (pg.modify_version or omit) if current else pg.create_version }}"
"""

RETURN = r"""
versions:
  description: Minor versions of the major that RDS can create now, oldest first.
  returned: always
  type: list
  elements: str
  sample: ["15.13", "15.14", "15.15"]
newest:
  description: The newest of I(versions); empty when the endpoint lists none.
  returned: always
  type: str
create_version:
  description: The version to create a new instance with.
  returned: always
  type: str
  sample: "15.15"
modify_version:
  description:
    - The version to send to an existing instance, or empty when none must be sent (the
      running version already satisfies I(version)).
  returned: always
  type: str
listed:
  description: Whether the endpoint listed the engine's versions.
  returned: always
  type: bool
zones:
  description: Availability zones where I(instance_class) is offered with I(create_version) and I(storage_type).
  returned: always
  type: list
  elements: str
multi_az_capable:
  description: Whether I(instance_class) can be Multi-AZ with I(create_version) and I(storage_type).
  returned: always
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import ENDPOINT_ERRORS
from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.elasticache import endpoint_lacks_action
from ansible_collections.credlink.infra.plugins.module_utils.rds import choose
from ansible_collections.credlink.infra.plugins.module_utils.rds import class_not_orderable
from ansible_collections.credlink.infra.plugins.module_utils.rds import engine_versions
from ansible_collections.credlink.infra.plugins.module_utils.rds import is_pinned
from ansible_collections.credlink.infra.plugins.module_utils.rds import major_of
from ansible_collections.credlink.infra.plugins.module_utils.rds import multi_az_capable
from ansible_collections.credlink.infra.plugins.module_utils.rds import offered_zones
from ansible_collections.credlink.infra.plugins.module_utils.rds import offers
from ansible_collections.credlink.infra.plugins.module_utils.rds import orderable_options
from ansible_collections.credlink.infra.plugins.module_utils.rds import version_not_orderable
from ansible_collections.credlink.infra.plugins.module_utils.rds import versions_for_class


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            engine=dict(type="str", default="postgres"),
            version=dict(type="str", required=True),
            instance_class=dict(type="str"),
            storage_type=dict(type="str", default="gp3"),
            current_version=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    engine, version, current = p["engine"], p["version"], p["current_version"]
    if current and major_of(current) != major_of(version):
        module.fail_json(msg=f"The instance runs {engine} {current}; a major version upgrade to {version} is not "
                             "done in place by this collection (upgrade it deliberately, then set the new major)")
    client = module.client("rds", retry_decorator=RETRY)
    listed, versions, options = True, [], []
    try:
        versions = engine_versions(client, engine, major_of(version))
        if p["instance_class"] and versions:
            options = orderable_options(client, engine, p["instance_class"])
    except ENDPOINT_ERRORS as e:
        if not endpoint_lacks_action(e):
            module.fail_json_aws(e, msg=f"Couldn't list the orderable versions of {engine} {major_of(version)}")
        listed = False
    if p["instance_class"] and listed and versions:
        versions = versions_for_class(versions, options)
        if not versions:
            module.fail_json(msg=class_not_orderable(p["instance_class"], engine, major_of(version)))
    create, modify = choose(version, versions, current)
    if listed and is_pinned(version) and version not in versions and (modify or not current):
        module.fail_json(msg=version_not_orderable(engine, version, versions))
    chosen = offers(options, create, p["storage_type"])
    module.exit_json(
        changed=False,
        versions=versions,
        newest=versions[-1] if versions else "",
        create_version=create,
        modify_version=modify,
        listed=listed,
        zones=offered_zones(chosen),
        multi_az_capable=multi_az_capable(chosen),
    )


if __name__ == "__main__":
    main()
