"""The same reads as `symguard drift`, one after another with boto3: for every group its
members (paginated), attached and inline policies, then the groups under /sym/ and the
connector role. Prints the number of members read.

usage: boto3_reads.py ENDPOINT GROUPS
"""
import sys

import boto3

endpoint, groups = sys.argv[1], int(sys.argv[2])
iam = boto3.client(
    "iam",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
members = 0
for i in range(groups):
    name = f"team-{i:05}"
    for page in iam.get_paginator("get_group").paginate(GroupName=name):
        members += len(page["Users"])
    for _ in iam.get_paginator("list_attached_group_policies").paginate(GroupName=name):
        pass
    for _ in iam.get_paginator("list_group_policies").paginate(GroupName=name):
        pass
for _ in iam.get_paginator("list_groups").paginate(PathPrefix="/sym/"):
    pass
try:
    iam.get_role(RoleName="SymIAMBench")
except iam.exceptions.NoSuchEntityException:
    pass
print(members)
