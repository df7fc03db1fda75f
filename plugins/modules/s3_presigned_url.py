#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_presigned_url
short_description: Share one S3 object through a short-lived SigV4 presigned URL
version_added: 0.1.0
description:
  - Creates a Signature Version 4 presigned URL for one object, the way to share it once public access is removed.
  - The lifetime is O(expires_in) seconds (default one hour), capped by the bucket's own limit - the smallest
    C(s3:signatureAge) of the Deny statements of its policy - and by the SigV4 maximum of 7 days. RV(capped_by) says
    which limit applied.
  - The URL is a bearer credential. It is returned in RV(url), documented as secret; always set C(no_log=true) on
    the task and hand the URL over out of band.
  - Creating a URL changes nothing in AWS (the task is never V(changed)); it is signed locally with the credentials
    in use, and dies early if those are temporary and expire first.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: Bucket name.
    type: str
    required: true
  object:
    description: Object key.
    type: str
    required: true
    aliases: [key]
  method:
    description: V(get) to download the object, V(put) to upload it.
    type: str
    choices: [get, put]
    default: get
  expires_in:
    description: Requested lifetime in seconds.
    type: int
    default: 3600
  check_object:
    description:
      - With O(method=get), fail when the object does not exist (C(HeadObject)) instead of handing out a dead URL.
    type: bool
    default: true
notes:
  - Needs C(s3:GetBucketPolicy) (to read the cap), C(s3:GetObject) (C(HeadObject) and the download itself) or
    C(s3:PutObject) for the signer.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Share the report with the customer for one hour
  cloudsec.s3.s3_presigned_url:
    bucket: acme-customer-exports
    object: reports/2026-11.csv
  register: share
  no_log: true
"""

RETURN = r"""
url:
  description: The presigned URL. SECRET - anyone holding it can use it until it expires; register it with no_log.
  returned: success
  type: str
  sample: "https://acme-customer-exports.s3.amazonaws.com/reports/2026-11.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&..."
expires_in:
  description: The lifetime actually used, in seconds.
  returned: success
  type: int
  sample: 600
expires_at:
  description: When the URL stops working (UTC).
  returned: success
  type: str
  sample: "2026-11-30T10:10:00Z"
requested_expires_in:
  description: The lifetime asked for.
  returned: success
  type: int
  sample: 3600
capped_by:
  description: V(bucket_policy) (its s3:signatureAge deny), V(sigv4_maximum) (7 days) or V(null) when not capped.
  returned: success
  type: str
  sample: bucket_policy
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import MAX_PRESIGN_SECONDS
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import signature_age_limit
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

try:
    import botocore.config
except ImportError:
    pass  # AnsibleAWSModule reports missing botocore


def effective_expiry(requested: int, bucket_limit: int | None) -> tuple[int, str | None]:
    """The lifetime to sign with and what capped it."""
    expires, capped_by = requested, None
    if expires > MAX_PRESIGN_SECONDS:
        expires, capped_by = MAX_PRESIGN_SECONDS, "sigv4_maximum"
    if bucket_limit is not None and expires > bucket_limit:
        expires, capped_by = bucket_limit, "bucket_policy"
    return expires, capped_by


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        object=dict(type="str", required=True, aliases=["key"], no_log=False),
        method=dict(type="str", choices=["get", "put"], default="get"),
        expires_in=dict(type="int", default=3600),
        check_object=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    bucket, key = params["bucket"], params["object"]
    try:
        validate_bucket_name(bucket, "bucket")
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if params["expires_in"] < 1:
        module.fail_json(msg=f"expires_in must be at least 1 second, got {params['expires_in']}")
    if not key:
        module.fail_json(msg="object must be a non-empty key")

    s3 = client(module, "s3", config=botocore.config.Config(signature_version="s3v4"))
    try:
        text = s3.get_bucket_policy(aws_retry=True, Bucket=bucket)["Policy"]
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchBucket"):
            module.fail_json(msg=f"Bucket {bucket} does not exist")
        if not is_error(exc, "NoSuchBucketPolicy"):
            module.fail_json_aws(
                exc, msg=f"Failed to read the bucket policy of {bucket} (for its s3:signatureAge limit)"
            )
        text = None
    try:
        limit = signature_age_limit(parse_optional_policy(text, f"bucket policy of {bucket}"))
    except PolicyError as exc:
        module.fail_json(msg=str(exc))
    if limit is not None and limit < 1:
        module.fail_json(msg=f"The bucket policy of {bucket} denies every signature older than 1 second")
    if params["method"] == "get" and params["check_object"]:
        try:
            s3.head_object(aws_retry=True, Bucket=bucket, Key=key)
        except botocore_errors() as exc:
            if is_error(exc, "404", "NoSuchKey", "NotFound"):
                module.fail_json(msg=f"Object {key} does not exist in bucket {bucket}")
            module.fail_json_aws(exc, msg=f"Failed to check object {key} in bucket {bucket}")
    expires, capped_by = effective_expiry(params["expires_in"], limit)
    operation = "get_object" if params["method"] == "get" else "put_object"
    url = s3.generate_presigned_url(operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    module.exit_json(
        changed=False,
        url=url,
        expires_in=expires,
        requested_expires_in=params["expires_in"],
        expires_at=(now + datetime.timedelta(seconds=expires)).isoformat().replace("+00:00", "Z"),
        capped_by=capped_by,
    )


if __name__ == "__main__":
    main()
