"""cloudsec.s3.s3_bucket_policy: statements merged by Sid, owner's statements untouched, conflicts reported."""

from __future__ import annotations

import json

from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import tls_only
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import vpce_only

BUCKET = "acme-customer-exports"
OWNER = {
    "Sid": "PartnerRead",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}
QUARANTINE = {
    "Sid": "CloudsecQuarantineDenyAll",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
}


def policy_of(sandbox):
    return json.loads(sandbox.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])


def test_statements_merge_by_sid_and_leave_owner_statements_byte_equal(sandbox, run_module):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    # written with whitespace and single-value spellings, as an owner would
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [OWNER, QUARANTINE]}, indent=4)
    )
    wanted = [
        tls_only(BUCKET),
        vpce_only(BUCKET, ["vpce-0a1b2c3d4e5f60718"], ["arn:aws:iam::123456789012:role/responder"]),
    ]

    failed, check = run_module("s3_bucket_policy", {"bucket": BUCKET, "statements": wanted}, check_mode=True, diff=True)
    assert not failed and check["changed"], check
    assert [s["Sid"] for s in check["diff"]["after"]["Statement"]] == [
        "PartnerRead",
        "CloudsecQuarantineDenyAll",
        "CloudsecDenyInsecureTransport",
        "CloudsecDenyOutsideVpce",
    ]
    assert [s["Sid"] for s in policy_of(sandbox)["Statement"]] == ["PartnerRead", "CloudsecQuarantineDenyAll"]

    failed, result = run_module("s3_bucket_policy", {"bucket": BUCKET, "statements": wanted})
    assert not failed and result["changed"], result
    after = parse_policy(policy_of(sandbox))["Statement"]
    for original, kept in zip([OWNER, QUARANTINE], after[:2], strict=True):
        assert dump_policy(kept) == dump_policy(parse_policy({"Statement": [original]})["Statement"][0])
    vpce = after[3]
    assert vpce["Condition"]["ArnNotLike"] == {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/responder"]}

    # re-ordered and re-spelled: still the same document, so nothing to do
    reordered = [dict(reversed(list(s.items()))) for s in reversed(wanted)]
    failed, again = run_module("s3_bucket_policy", {"bucket": BUCKET, "statements": reordered})
    assert not failed and again["changed"] is False, again


def test_conflicting_sid_is_reported_and_kept_unless_overwrite_conflicts(sandbox, run_module):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    mine = dict(tls_only(BUCKET), Action=["s3:GetObject"])
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [mine]}))
    failed, result = run_module("s3_bucket_policy", {"bucket": BUCKET, "statements": [tls_only(BUCKET)]})
    assert not failed and result["changed"] is False
    assert result["conflicts"] == ["CloudsecDenyInsecureTransport"]
    assert policy_of(sandbox)["Statement"][0]["Action"] == ["s3:GetObject"]
    failed, result = run_module(
        "s3_bucket_policy", {"bucket": BUCKET, "statements": [tls_only(BUCKET)], "fail_on_conflict": True}
    )
    assert failed and "CloudsecDenyInsecureTransport" in result["msg"]
    failed, result = run_module(
        "s3_bucket_policy", {"bucket": BUCKET, "statements": [tls_only(BUCKET)], "overwrite_conflicts": True}
    )
    assert not failed and result["changed"]
    assert policy_of(sandbox)["Statement"][0]["Action"] == ["s3:*"]


def test_removing_by_sid_keeps_the_rest_and_protected_sids_are_refused(sandbox, run_module):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [OWNER, QUARANTINE, tls_only(BUCKET)]})
    )
    args = {"bucket": BUCKET, "sids": ["CloudsecQuarantineDenyAll"], "state": "absent"}
    failed, result = run_module("s3_bucket_policy", {**args, "protected_sid_prefixes": ["CloudsecQuarantine"]})
    assert failed and "CloudsecQuarantineDenyAll" in result["msg"]
    failed, result = run_module(
        "s3_bucket_policy", {"bucket": BUCKET, "sids": ["CloudsecDenyInsecureTransport"], "state": "absent"}
    )
    assert not failed and result["changed"]
    assert [s["Sid"] for s in policy_of(sandbox)["Statement"]] == ["PartnerRead", "CloudsecQuarantineDenyAll"]
    failed, result = run_module(
        "s3_bucket_policy", {"bucket": BUCKET, "sids": ["CloudsecDenyInsecureTransport"], "state": "absent"}
    )
    assert not failed and result["changed"] is False
