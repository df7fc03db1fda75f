# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders for seed fixtures in AWS's own shapes (boto3 GetFindings shape, CloudTrail log records)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from botocore.validate import ParamValidator

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox import shapes

FOREIGN_ACCOUNT = "210987654321"

# A finding as boto3's get_findings returns it (PascalCase), as if exported from another account.
BOTO3_FINDING: dict[str, Any] = {
    "AccountId": FOREIGN_ACCOUNT,
    "Arn": f"arn:aws:guardduty:{REGION}:{FOREIGN_ACCOUNT}:detector/0123abcd/finding/f-boto3",
    "CreatedAt": "2026-11-01T10:00:00.000Z",
    "Id": "f-boto3",
    "Partition": "aws",
    "Region": REGION,
    "SchemaVersion": "2.0",
    "Severity": 8.0,
    "Confidence": 5.0,
    "Title": "Objects of victim-bucket read from a known malicious IP",
    "Description": "GetObject from 198.51.100.7",
    "Type": "Exfiltration:S3/MaliciousIPCaller",
    "UpdatedAt": "2026-11-01T10:05:00.000Z",
    "Resource": {
        "ResourceType": "S3Bucket",
        "AccessKeyDetails": {
            "AccessKeyId": "AKIAMALLORY000000001",
            "PrincipalId": "AIDAMALLORY",
            "UserName": "mallory",
            "UserType": "IAMUser",
        },
        "S3BucketDetails": [
            {
                "Arn": "arn:aws:s3:::victim-bucket",
                "Name": "victim-bucket",
                "Type": "Destination",
                "CreatedAt": "2026-01-15T08:00:00+00:00",
                "Owner": {"Id": "canonical"},
                "PublicAccess": {"EffectivePermission": "PUBLIC"},
            }
        ],
    },
    "Service": {
        "ServiceName": "guardduty",
        "DetectorId": "0123abcd",
        "Archived": False,
        "Count": 12,
        "EventFirstSeen": "2026-11-01T09:58:00.000Z",
        "EventLastSeen": "2026-11-01T10:04:00.000Z",
        "ResourceRole": "TARGET",
        "Action": {
            "ActionType": "AWS_API_CALL",
            "AwsApiCallAction": {
                "Api": "GetObject",
                "ServiceName": "s3.amazonaws.com",
                "CallerType": "Remote IP",
                "RemoteIpDetails": {"IpAddressV4": "198.51.100.7", "Country": {"CountryName": "Example"}},
            },
        },
    },
}

# The same kind of finding in the wire / EventBridge ``detail`` shape (camelCase).
WIRE_FINDING: dict[str, Any] = {
    "schemaVersion": "2.0",
    "accountId": ACCOUNT_ID,
    "region": REGION,
    "partition": "aws",
    "id": "f-wire",
    "arn": f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/feedface/finding/f-wire",
    "type": "Policy:S3/BucketBlockPublicAccessDisabled",
    "resource": {
        "resourceType": "AccessKey",
        "accessKeyDetails": {"accessKeyId": "AKIAMALLORY000000001", "userName": "mallory", "userType": "IAMUser"},
        "s3BucketDetails": [
            {
                "arn": "arn:aws:s3:::victim-bucket",
                "name": "victim-bucket",
                "type": "Destination",
                "createdAt": 1768464000,
            }
        ],
    },
    "service": {"serviceName": "guardduty", "detectorId": "feedface", "archived": False, "count": 1},
    "severity": 2,
    "createdAt": "2026-11-01T09:50:00.000Z",
    "updatedAt": "2026-11-01T09:50:00.000Z",
    "title": "Block Public Access was disabled for victim-bucket",
    "description": "DeleteBucketPublicAccessBlock by mallory",
}


def assert_fits_output(service: str, shape_name: str, value: Any) -> None:
    """Fail unless ``value`` (as boto3 returned it) validates against the botocore shape."""
    report = ParamValidator().validate(value, shapes.shape(service, shape_name))
    assert not report.has_errors(), report.generate_report()


@pytest.fixture
def fits_output() -> Callable[[str, str, Any], None]:
    """``fits_output(service, shape_name, value)``: botocore's validator on what boto3 returned."""
    return assert_fits_output


@pytest.fixture
def boto3_finding() -> Callable[..., dict[str, Any]]:
    def build(**changes: Any) -> dict[str, Any]:
        finding = copy.deepcopy(BOTO3_FINDING)
        finding.update(changes)
        return finding

    return build


@pytest.fixture
def wire_finding() -> Callable[..., dict[str, Any]]:
    def build(**changes: Any) -> dict[str, Any]:
        finding = copy.deepcopy(WIRE_FINDING)
        finding.update(changes)
        return finding

    return build


@pytest.fixture
def record() -> Callable[..., dict[str, Any]]:
    """A CloudTrail record as in a log file; ``data=True`` makes an S3 data event."""

    def build(
        name: str = "PutBucketPolicy",
        when: str = "2026-11-01T10:00:00Z",
        *,
        bucket: str = "victim-bucket",
        user: str = "mallory",
        data: bool = False,
        event_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "eventVersion": "1.11",
            "eventTime": when,
            "eventSource": "s3.amazonaws.com",
            "eventName": name,
            "awsRegion": REGION,
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "[aws-cli/2.15.0]",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAMALLORY",
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}",
                "accountId": ACCOUNT_ID,
                "accessKeyId": f"AKIA{user.upper():0<16}"[:20],
                "userName": user,
            },
            "requestParameters": {"bucketName": bucket},
            "responseElements": None,
            "readOnly": name.startswith(("Get", "List", "Head")),
            "eventType": "AwsApiCall",
            "managementEvent": not data,
            "eventCategory": "Data" if data else "Management",
            "recipientAccountId": ACCOUNT_ID,
        }
        if data:
            rec["requestParameters"]["key"] = "exports/customers.csv"
            rec["resources"] = [
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/exports/customers.csv"},
                {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}", "accountId": ACCOUNT_ID},
            ]
        if event_id:
            rec["eventID"] = event_id
        rec.update(extra)
        return rec

    return build
