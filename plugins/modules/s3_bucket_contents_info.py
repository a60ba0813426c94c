#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_contents_info
short_description: Whether an S3 bucket holds anything, counting every object version and delete marker
version_added: 0.2.0
description:
  - Lists the first object versions and delete markers of a bucket (C(ListObjectVersions))
    and says whether the bucket is empty.
  - In a versioned bucket, deleting an object only adds a delete marker and keeps the
    older versions; such a bucket lists no current object but is not empty, and S3 refuses
    to delete it (C(BucketNotEmpty)). A check that lists current objects only would call
    a bucket holding nothing but old proof versions empty.
options:
  bucket:
    description: Name of the bucket.
    type: str
    required: true
  max_keys:
    description: How many versions and delete markers to look at, at most (one request).
    type: int
    default: 100
notes:
  - A bucket that does not exist is reported with RV(exists=false) and as empty.
extends_documentation_fragment:
  - credlink.infra.aws
  - credlink.infra.aws.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find out whether the proofs bucket still holds proofs
  credlink.infra.s3_bucket_contents_info:
    bucket: credlink-production-proofs-123456789012
  register: proofs

- name: Refuse to delete proofs without being told
  ansible.builtin.assert:
    that: proofs.empty or purge_proofs | default(false) | bool
"""

RETURN = r"""
exists:
  description: Whether the bucket exists.
  returned: always
  type: bool
empty:
  description: Whether the bucket holds no object version and no delete marker.
  returned: always
  type: bool
object_versions:
  description: Object versions seen (current and noncurrent), at most O(max_keys).
  returned: always
  type: int
noncurrent_versions:
  description: Of those, versions that are not the current one.
  returned: always
  type: int
delete_markers:
  description: Delete markers seen.
  returned: always
  type: int
truncated:
  description: Whether the bucket holds more than was looked at.
  returned: always
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.credlink.infra.plugins.module_utils.common import RETRY
from ansible_collections.credlink.infra.plugins.module_utils.common import fail_on_aws_error


def contents(client, bucket, max_keys):
    """The first page of ListObjectVersions, or None when the bucket does not exist."""
    try:
        return client.list_object_versions(aws_retry=True, Bucket=bucket, MaxKeys=max_keys)
    except is_boto3_error_code("NoSuchBucket"):
        return None


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            max_keys=dict(type="int", default=100, no_log=False),
        ),
        supports_check_mode=True,
    )
    client = module.client("s3", retry_decorator=RETRY)
    with fail_on_aws_error(module, f"Couldn't list the object versions of bucket {module.params['bucket']}"):
        page = contents(client, module.params["bucket"], max(1, module.params["max_keys"]))
    versions = (page or {}).get("Versions", [])
    markers = (page or {}).get("DeleteMarkers", [])
    module.exit_json(
        changed=False,
        exists=page is not None,
        empty=not versions and not markers,
        object_versions=len(versions),
        noncurrent_versions=sum(1 for v in versions if not v.get("IsLatest")),
        delete_markers=len(markers),
        truncated=bool((page or {}).get("IsTruncated")),
    )


if __name__ == "__main__":
    main()
