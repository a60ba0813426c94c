#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_network_info
short_description: Discover the network layer of a CredLink environment by its tags
version_added: 0.1.0
description:
  - Finds the VPC named C(credlink-<environment>-vpc) and its subnets grouped by their
    C(Tier) tag (public, private, database), plus the NAT gateways of the VPC.
  - Every layer role uses it to look up the network instead of receiving IDs, so a run
    scoped to one layer (C(--tags cache)) works on a stack whose network exists.
options:
  environment:
    description: Environment name, the C({env}) of the naming contract.
    type: str
    required: true
  project:
    description: Project prefix of every name.
    type: str
    default: credlink
  required:
    description:
      - Fail with a message naming the missing network layer when the VPC is absent.
      - When V(false), return RV(found=false) instead.
      - In check mode a missing VPC is never an error but a warning, because an earlier
        layer of the same run would have created it; callers skip what depends on it.
    type: bool
    default: true
attributes:
  check_mode:
    details: A missing VPC is a warning there, never an error (see O(required)).
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Look up the network of the production stack
  credlink.infra.stack_network_info:
    environment: production
  register: network

- name: Use the database subnets
  ansible.builtin.debug:
    msg: "{{ network.subnets.database | map(attribute='id') }}"
"""

RETURN = r"""
found:
  description: Whether the VPC exists.
  returned: always
  type: bool
vpc:
  description: The VPC (id, cidr_block, tags); empty when not found.
  returned: always
  type: dict
  sample: {"id": "vpc-0123", "cidr_block": "10.0.0.0/16", "tags": {"Name": "credlink-production-vpc"}}
subnets:
  description:
    - Subnets per tier, each list sorted by availability zone.
    - Each has its id, zone, CIDR, C(name), C(tags), C(map_public_ip_on_launch),
      C(assign_ipv6_address_on_creation) and C(ipv6_cidr_blocks) (associated or associating).
  returned: always
  type: dict
  sample:
    public: [{"id": "subnet-1", "availability_zone": "us-east-1a", "cidr_block": "10.0.1.0/24",
              "name": "credlink-production-public-us-east-1a", "tags": {"Tier": "public"},
              "map_public_ip_on_launch": false, "assign_ipv6_address_on_creation": false, "ipv6_cidr_blocks": []}]
    private: []
    database: []
nat_gateways:
  description: NAT gateways of the VPC that are pending or available, sorted by subnet zone.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "nat-1", "state": "available", "subnet_id": "subnet-1", "availability_zone": "us-east-1a",
            "tags": {"Name": "credlink-production-nat-us-east-1a", "Project": "credlink"}}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.network import network_info


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            environment=dict(type="str", required=True),
            project=dict(type="str", default="credlink"),
            required=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    name = f"{module.params['project']}-{module.params['environment']}-vpc"
    info = network_info(module.client("ec2", retry_decorator=RETRY), module, name)
    if not info["found"] and module.params["required"]:
        if not module.check_mode:
            module.fail_json(
                msg=f"The network layer of environment '{module.params['environment']}' was not found "
                f"(no VPC named {name}); run site.yml with --tags network first"
            )
        module.warn(f"No VPC named {name} yet; in a real run the network layer creates it first")
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
