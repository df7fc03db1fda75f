"""Pure parts of the baseline: exceptions, settings validation, CloudTrail selector coverage and merge, IAM audit."""

from __future__ import annotations

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import baseline as bl
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError

MANAGEMENT = {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}


def s3_selector(name, arns=None, read_only=None, extra=None):
    fields = [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
    ]
    if arns is not None:
        fields.append({"Field": "resources.ARN", "StartsWith": arns})
    if read_only is not None:
        fields.append({"Field": "readOnly", "Equals": [read_only]})
    if extra:
        fields.append(extra)
    return {"Name": name, "FieldSelectors": fields}


def test_exceptions_from_variable_and_tag_profile_and_tag_list():
    settings = bl.Settings(
        exceptions=[{"bucket": "acme-*", "controls": ["versioning"], "reason": "scratch"}],
    )
    excepted, warnings = bl.exceptions_for("acme-www", {"cloudsec:baseline-exception": "public-website"}, settings)
    assert excepted["versioning"] == "exception variable: scratch"
    assert excepted["public_access_block"].startswith("tag cloudsec:baseline-exception=public-website")
    assert "encryption" not in excepted and warnings == []
    excepted, warnings = bl.exceptions_for(
        "other", {"cloudsec:baseline-exception": "logging+versioning bogus"}, settings
    )
    assert sorted(excepted) == ["logging", "versioning"]
    assert warnings == [
        "tag cloudsec:baseline-exception=logging+versioning bogus names unknown control(s) or profile(s): "
        "bogus (ignored)"
    ]
    assert bl.exceptions_for("other", {}, settings) == ({}, [])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (bl.Settings(kms_key_id="alias/mine"), "Invalid KMS key ARN 'alias/mine' in kms_key_id"),
        (bl.Settings(controls=["versioning", "nope"]), r"Unknown control\(s\) in controls: nope"),
        (bl.Settings(exceptions=[{"bucket": "a*"}]), r"exceptions\[0\] \(a\*\): needs a reason"),
        (bl.Settings(statements={"org_id": "acme"}), "Invalid organization id 'acme'"),
    ],
)
def test_settings_validation_names_the_option(settings, message):
    with pytest.raises(ValueError, match=message):
        bl.validate_settings(settings)


def test_kms_key_and_alias_arns_are_accepted():
    bl.validate_settings(bl.Settings(kms_key_id="arn:aws:kms:eu-west-1:123456789012:alias/s3-default"))
    bl.validate_settings(
        bl.Settings(kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    )


def test_pattern_matching_nothing_says_so():
    assert bl.select_buckets(["acme-a", "acme-b", "other"], "acme-*") == ["acme-a", "acme-b"]
    with pytest.raises(CloudsecError, match="bucket_pattern 'zzz-\\*' matches none of the 3 buckets"):
        bl.select_buckets(["acme-a", "acme-b", "other"], "zzz-*")


def test_selector_coverage_needs_read_and_write_for_the_whole_bucket():
    assert bl.data_events_coverage([MANAGEMENT], "acme-a") == set()
    assert bl.data_events_coverage([s3_selector("all")], "acme-a") == {"read", "write"}
    assert bl.data_events_coverage([s3_selector("one", ["arn:aws:s3:::acme-a/"])], "acme-a") == {"read", "write"}
    assert bl.data_events_coverage([s3_selector("prefix", ["arn:aws:s3:::acme-a/logs/"])], "acme-a") == set()
    assert bl.data_events_coverage([s3_selector("other", ["arn:aws:s3:::acme-b/"])], "acme-a") == set()
    split = [s3_selector("r", read_only="true"), s3_selector("w", ["arn:aws:s3:::acme-"], read_only="false")]
    assert bl.data_events_coverage(split, "acme-a") == {"read", "write"}
    narrowed = s3_selector("puts", extra={"Field": "eventName", "Equals": ["PutObject"]})
    assert bl.data_events_coverage([narrowed], "acme-a") == set()


def test_adding_buckets_keeps_existing_selectors_and_reuses_ours():
    existing = [MANAGEMENT, s3_selector("theirs", ["arn:aws:s3:::legacy/"])]
    merged = bl.add_buckets_to_selectors(existing, ["acme-b", "acme-a"])
    assert merged[:2] == existing
    assert merged[2]["Name"] == bl.DATA_EVENTS_SELECTOR
    again = bl.add_buckets_to_selectors(merged, ["acme-a", "acme-c"])
    assert len(again) == 3
    arns = next(f for f in again[2]["FieldSelectors"] if f["Field"] == "resources.ARN")["StartsWith"]
    assert arns == ["arn:aws:s3:::acme-b/", "arn:aws:s3:::acme-a/", "arn:aws:s3:::acme-c/"]


def test_basic_selectors_convert_to_advanced_without_loss():
    basic = [
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::acme-a/"]}],
        }
    ]
    advanced = bl.basic_to_advanced(basic)
    assert advanced[0]["FieldSelectors"] == [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["false"]},
    ]
    assert bl.data_events_coverage(advanced, "acme-a") == {"write"}


def test_iam_wildcard_grants_match_buckets_by_resource():
    class FakeIam:
        def get_paginator(self, _operation):
            return self

        def paginate(self, **_kwargs):
            return self

        def build_full_result(self):
            return {
                "UserDetailList": [
                    {
                        "Arn": "arn:aws:iam::123456789012:user/ci",
                        "UserPolicyList": [
                            {
                                "PolicyName": "deploy",
                                "PolicyDocument": {
                                    "Statement": [
                                        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-*"}
                                    ]
                                },
                            },
                            {
                                "PolicyName": "read-only",
                                "PolicyDocument": {
                                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
                                },
                            },
                        ],
                        "AttachedManagedPolicies": [],
                    }
                ],
                "RoleDetailList": [
                    {
                        "Arn": "arn:aws:iam::123456789012:role/admin",
                        "RolePolicyList": [],
                        "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
                    }
                ],
                "Policies": [],
            }

    grants = bl.iam_wildcard_grants(FakeIam())
    assert [(g["principal"].rsplit(":", 1)[1], g["policy"]) for g in grants] == [
        ("user/ci", "deploy"),
        ("role/admin", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ]
    assert [g["principal"] for g in bl.grants_for_bucket(grants, "other-bucket")] == [
        "arn:aws:iam::123456789012:role/admin"
    ]
    assert len(bl.grants_for_bucket(grants, "acme-data")) == 2
