"""cloudsec.s3.s3_access_point and _info: create with BPA, VPC origin and policy; idempotent; fixed settings guarded."""

from __future__ import annotations

ACCOUNT = "123456789012"
ARN = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/forensics"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ForensicsRead",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/forensics"},
            "Action": ["s3:GetObject"],
            "Resource": [f"{ARN}/object/*"],
        }
    ],
}


def test_access_point_lifecycle_with_check_mode_and_idempotence(sandbox, run_module):
    sandbox.client("s3").create_bucket(Bucket="acme-customer-exports")
    control = sandbox.client("s3control")
    args = {"name": "forensics", "bucket": "acme-customer-exports", "vpc_id": "vpc-0a1b2c3d", "policy": POLICY}

    failed, check = run_module("s3_access_point", args, check_mode=True, diff=True)
    assert not failed and check["changed"], check
    assert check["diff"]["before"] == {}
    assert control.list_access_points(AccountId=ACCOUNT).get("AccessPointList", []) == []

    failed, created = run_module("s3_access_point", args)
    assert not failed and created["changed"], created
    point = control.get_access_point(AccountId=ACCOUNT, Name="forensics")
    assert point["NetworkOrigin"] == "VPC" and point["VpcConfiguration"] == {"VpcId": "vpc-0a1b2c3d"}
    assert all(point["PublicAccessBlockConfiguration"].values())
    assert created["access_point"]["policy"]["Statement"][0]["Sid"] == "ForensicsRead"

    failed, again = run_module("s3_access_point", args)
    assert not failed and again["changed"] is False

    failed, refused = run_module("s3_access_point", {**args, "vpc_id": None})
    assert failed and "different vpc_id" in refused["msg"]

    failed, info = run_module("s3_access_point_info", {"bucket": "acme-customer-exports"})
    assert not failed and [p["name"] for p in info["access_points"]] == ["forensics"]
    assert info["access_points"][0]["network_origin"] == "VPC"

    failed, gone = run_module("s3_access_point", {"name": "forensics", "state": "absent"})
    assert not failed and gone["changed"] and gone["access_point"] is None
    assert control.list_access_points(AccountId=ACCOUNT).get("AccessPointList", []) == []
