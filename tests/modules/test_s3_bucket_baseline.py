"""cloudsec.s3.s3_bucket_baseline against the sandbox: every control from drift to compliant, then idempotent."""

from __future__ import annotations

import json

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy

ACCOUNT = "123456789012"
RESPONDER = f"arn:aws:iam::{ACCOUNT}:role/incident-responder"
LOG_BUCKET = "acme-access-logs"
TRAIL = "org-trail"
KMS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FULL_ARGS = {
    "kms_key_id": KMS_KEY,
    "logging_target_bucket": LOG_BUCKET,
    "cloudtrail_trail": TRAIL,
    "noncurrent_version_days": 90,
    "statements": {
        "tls_only": True,
        "min_tls_version": "1.2",
        "sigv4_only": True,
        "max_signature_age": 600,
        "vpce_ids": ["vpce-0a1b2c3d4e5f60718"],
        "exempt_principals": [RESPONDER],
        "org_id": "o-a1b2c3d4e5",
        "access_point_delegation": True,
    },
}
OWNER_STATEMENT = {
    "Sid": "OwnerReadOnlyForAnalytics",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/analytics"},
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::acme-data-lake", "arn:aws:s3:::acme-data-lake/*"],
}


@pytest.fixture
def estate(sandbox):
    """Three drifting buckets, a log target that accepts log delivery, and a trail with a management selector."""
    s3 = sandbox.client("s3")
    for name in ("acme-data-lake", "acme-exports", "acme-www", LOG_BUCKET, "acme-trail-logs"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(
        Bucket=LOG_BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "S3ServerAccessLogsPolicy",
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": f"arn:aws:s3:::{LOG_BUCKET}/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_policy(
        Bucket="acme-data-lake", Policy=json.dumps({"Version": "2012-10-17", "Statement": [OWNER_STATEMENT]})
    )
    s3.put_bucket_versioning(Bucket="acme-exports", VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_tagging(
        Bucket="acme-www", Tagging={"TagSet": [{"Key": "cloudsec:baseline-exception", "Value": "public-website"}]}
    )
    ct = sandbox.client("cloudtrail")
    ct.create_trail(Name=TRAIL, S3BucketName="acme-trail-logs")
    ct.put_event_selectors(
        TrailName=TRAIL,
        AdvancedEventSelectors=[
            {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
        ],
    )
    return sandbox


def configuration(sandbox, bucket):
    """Everything the baseline may touch, read back with plain boto3 calls."""
    s3 = sandbox.client("s3")
    out = {}
    for key, call, absent in (
        ("bpa", lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"], "NoSuchPublic"),
        (
            "ownership",
            lambda: s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"],
            "OwnershipControls",
        ),
        ("encryption", lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"], "Server"),
        ("versioning", lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status"), None),
        ("policy", lambda: json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]), "NoSuchBucketPolicy"),
        ("logging", lambda: s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled"), None),
        ("lifecycle", lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"], "NoSuchLifecycle"),
    ):
        try:
            out[key] = call()
        except Exception as exc:  # "not configured" answers become None
            assert absent and absent in type(exc).__name__ + str(exc), exc
            out[key] = None
    return out


def normalised(statement):
    """The statement as policy.py normalises it, as JSON text: byte-equal means the same statement."""
    return dump_policy(parse_policy({"Version": "2012-10-17", "Statement": [statement]}))


def selectors(sandbox):
    return sandbox.client("cloudtrail").get_event_selectors(TrailName=TRAIL)["AdvancedEventSelectors"]


def statuses(result, bucket):
    entry = next(b for b in result["buckets"] if b["name"] == bucket)
    return {name: control["status"] for name, control in entry["controls"].items()}


def test_baseline_fixes_every_control_and_second_run_changes_nothing(estate, run_module):
    failed, first = run_module("s3_bucket_baseline", {"buckets": ["acme-data-lake", "acme-exports"], **FULL_ARGS})
    assert not failed, first
    assert first["changed"] is True
    for bucket in ("acme-data-lake", "acme-exports"):
        got = statuses(first, bucket)
        assert got.pop("access_points") == "compliant"
        assert got.pop("iam_wildcard_s3") == "compliant"
        assert set(got.values()) == {"changed"}, got
        config = configuration(estate, bucket)
        assert config["bpa"] == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )
        assert config["ownership"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        rule = config["encryption"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_KEY}
        assert rule["BucketKeyEnabled"] is True
        assert config["versioning"] == "Enabled"
        assert config["logging"]["TargetBucket"] == LOG_BUCKET
        assert config["logging"]["TargetPrefix"] == f"{bucket}/"
        assert [r["ID"] for r in config["lifecycle"]] == ["cloudsec-noncurrent-versions"]
        sids = {s["Sid"] for s in config["policy"]["Statement"]}
        assert {
            "CloudsecDenyInsecureTransport",
            "CloudsecDenyOutdatedTls",
            "CloudsecDenyNonSigV4",
            "CloudsecDenyOldSignatures",
            "CloudsecDenyOutsideVpce",
            "CloudsecDenyOutsideOrganization",
            "CloudsecDelegateToAccessPoints",
        } <= sids
    data_lake_policy = configuration(estate, "acme-data-lake")["policy"]["Statement"]
    owner = next(s for s in data_lake_policy if s["Sid"] == OWNER_STATEMENT["Sid"])
    assert normalised(owner) == normalised(OWNER_STATEMENT)
    vpce = next(s for s in data_lake_policy if s["Sid"] == "CloudsecDenyOutsideVpce")
    assert vpce["Condition"]["ArnNotLike"]["aws:PrincipalArn"] in (RESPONDER, [RESPONDER])
    names = [s["Name"] for s in selectors(estate)]
    assert names == ["Management events", "cloudsec-s3-data-events"]
    arns = selectors(estate)[1]["FieldSelectors"]
    arn_field = next(f for f in arns if f["Field"] == "resources.ARN")
    assert sorted(arn_field["StartsWith"]) == ["arn:aws:s3:::acme-data-lake/", "arn:aws:s3:::acme-exports/"]

    failed, second = run_module("s3_bucket_baseline", {"buckets": ["acme-data-lake", "acme-exports"], **FULL_ARGS})
    assert not failed, second
    assert second["changed"] is False
    for bucket in ("acme-data-lake", "acme-exports"):
        assert set(statuses(second, bucket).values()) == {"compliant"}


def test_check_mode_reports_drift_and_changes_nothing(estate, run_module):
    names = ["acme-data-lake", "acme-exports", "acme-www"]
    before = {b: configuration(estate, b) for b in names}
    selectors_before = selectors(estate)
    failed, result = run_module("s3_bucket_baseline", {"buckets": names, **FULL_ARGS}, check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] is False
    assert statuses(result, "acme-exports")["versioning"] == "would_change"
    assert result["diff"]["before"]["acme-exports"]["versioning"] == "Suspended"
    assert result["diff"]["after"]["acme-exports"]["versioning"] == "Enabled"
    assert {b: configuration(estate, b) for b in names} == before
    assert selectors(estate) == selectors_before
    assert result["account"]["data_events"]["added_buckets"] == names


def test_exceptions_by_tag_and_by_variable_exempt_only_the_named_controls(estate, run_module):
    args = {
        "buckets": ["acme-www", "acme-exports"],
        "statements": {"tls_only": True},
        "exceptions": [
            {"bucket": "acme-exp*", "controls": ["versioning"], "reason": "scratch data, versions unwanted"}
        ],
    }
    failed, result = run_module("s3_bucket_baseline", args)
    assert not failed, result
    www = next(b for b in result["buckets"] if b["name"] == "acme-www")["controls"]
    assert www["public_access_block"]["status"] == "excepted"
    assert "cloudsec:baseline-exception=public-website" in www["public_access_block"]["detail"]
    assert www["policy_tls_only"]["status"] == "excepted"
    assert www["versioning"]["status"] == "changed"
    exports = next(b for b in result["buckets"] if b["name"] == "acme-exports")["controls"]
    assert exports["versioning"] == {
        "status": "excepted",
        "fsbp": "S3.14",
        "cis": None,
        "detail": "exception variable: scratch data, versions unwanted",
    }
    assert exports["public_access_block"]["status"] == "changed"
    assert configuration(estate, "acme-www")["bpa"] is None
    assert configuration(estate, "acme-exports")["versioning"] == "Suspended"


def test_sid_conflict_is_reported_and_kept_unless_overwrite_conflicts(estate, run_module):
    owner_tls = {
        "Sid": "CloudsecDenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-exports/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3 = estate.client("s3")
    s3.put_bucket_policy(Bucket="acme-exports", Policy=json.dumps({"Version": "2012-10-17", "Statement": [owner_tls]}))
    args = {"buckets": ["acme-exports"], "controls": ["policy_tls_only"], "statements": {"tls_only": True}}
    failed, result = run_module("s3_bucket_baseline", args)
    assert not failed, result
    control = result["buckets"][0]["controls"]["policy_tls_only"]
    assert control["status"] == "non_compliant"
    assert "overwrite_conflicts" in control["detail"]
    assert configuration(estate, "acme-exports")["policy"]["Statement"][0]["Action"] == "s3:GetObject"

    failed, result = run_module("s3_bucket_baseline", {**args, "overwrite_conflicts": True})
    assert result["buckets"][0]["controls"]["policy_tls_only"]["status"] == "changed"
    assert configuration(estate, "acme-exports")["policy"]["Statement"][0]["Action"] == ["s3:*"]


def test_missing_bucket_is_reported_and_the_others_complete(estate, run_module):
    failed, result = run_module("s3_bucket_baseline", {"buckets": ["acme-gone-bucket", "acme-exports"]})
    assert not failed, result
    gone = result["buckets"][0]
    assert gone["error"] == "Bucket acme-gone-bucket does not exist"
    assert {c["status"] for c in gone["controls"].values()} == {"failed"}
    assert statuses(result, "acme-exports")["versioning"] == "changed"
    assert result["summary"]["failed_buckets"] == ["acme-gone-bucket"]


def test_bucket_pattern_selects_buckets_and_empty_match_says_so(estate, run_module):
    failed, result = run_module("s3_bucket_baseline", {"bucket_pattern": "acme-e*"}, check_mode=True)
    assert not failed, result
    assert [b["name"] for b in result["buckets"]] == ["acme-exports"]
    failed, result = run_module("s3_bucket_baseline", {"bucket_pattern": "nothing-like-this-*"})
    assert failed
    assert result["msg"] == "bucket_pattern 'nothing-like-this-*' matches none of the 5 buckets of the account"


BAD_INPUT = [
    ({"kms_key_id": "my-key"}, "Invalid KMS key ARN 'my-key' in kms_key_id"),
    ({"logging_target_bucket": "acme-no-such-logs"}, "Logging target bucket acme-no-such-logs does not exist"),
    ({"cloudtrail_trail": "no-such-trail"}, "CloudTrail trail no-such-trail does not exist"),
    ({"statements": {"vpce_ids": ["vpce-0a1b2c3d4e5f60718"]}}, "exempt_principals must name at least one"),
]


def test_bad_input_fails_naming_it_before_any_change(estate, run_module):
    before = configuration(estate, "acme-exports")
    for args, message in BAD_INPUT:
        failed, result = run_module("s3_bucket_baseline", {"buckets": ["acme-exports"], **args})
        assert failed, args
        assert message in result["msg"]
    assert configuration(estate, "acme-exports") == before
