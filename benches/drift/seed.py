"""Seeds a moto IAM server with GROUPS groups of MEMBERS members under /sym/, and writes a
Terraform root declaring one Sym target per group.

usage: seed.py ENDPOINT OUT_DIR GROUPS MEMBERS
"""
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

endpoint, out_dir, groups, members = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
iam = boto3.client(
    "iam",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)

users = [f"user-{i:05}" for i in range(members)]
for user in users:
    iam.create_user(UserName=user)


def seed(i):
    name = f"team-{i:05}"
    iam.create_group(Path="/sym/", GroupName=name)
    for user in users:
        iam.add_user_to_group(GroupName=name, UserName=user)


with ThreadPoolExecutor(8) as pool:
    list(pool.map(seed, range(groups)))

targets = "\n".join(
    f'''resource "sym_target" "team_{i:05}" {{
  type     = "aws_iam_group"
  name     = "team-{i:05}"
  label    = "Team {i}"
  settings = {{ iam_group = "team-{i:05}" }}
}}
'''
    for i in range(groups)
)
listed = ", ".join(f"sym_target.team_{i:05}.id" for i in range(groups))
with open(f"{out_dir}/main.tf", "w") as f:
    f.write(
        f'''module "iam_connector" {{
  source      = "symopsio/iam-connector/aws"
  version     = ">= 2.0.0"
  environment = "bench"
}}

resource "sym_integration" "iam" {{
  type        = "permission_context"
  name        = "bench-iam"
  external_id = module.iam_connector.settings.account_id
  settings    = module.iam_connector.settings
}}

{targets}
resource "sym_strategy" "iam" {{
  type           = "aws_iam"
  name           = "bench"
  integration_id = sym_integration.iam.id
  targets        = [{listed}]
}}
'''
    )
