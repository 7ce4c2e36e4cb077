# The IAM connector: the role Sym assumes to add and remove group members.
module "iam_connector" {
  source  = "symopsio/iam-connector/aws"
  version = ">= 2.0.0"

  environment       = local.environment_name
  runtime_role_arns = [module.runtime_connector.sym_runtime_connector_role.arn]
}

resource "sym_integration" "iam_context" {
  type        = "permission_context"
  name        = "main-iam"
  external_id = module.iam_connector.settings.account_id
  settings    = module.iam_connector.settings
}

resource "aws_iam_group" "cloudwatch_readonly" {
  name = "CloudwatchReadOnly"
  path = "/sym/"
}

resource "aws_iam_group_policy_attachment" "cloudwatch_readonly" {
  group      = aws_iam_group.cloudwatch_readonly.name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"
}

resource "aws_iam_group" "s3_readonly" {
  name = "S3ReadOnly"
  path = "/sym/"
}

resource "aws_iam_group_policy_attachment" "s3_readonly" {
  group      = aws_iam_group.s3_readonly.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}

resource "sym_target" "cloudwatch_readonly" {
  type = "aws_iam_group"

  # A unique identifier for this target: the group name, as Sym recommends.
  name  = aws_iam_group.cloudwatch_readonly.name
  label = "Cloudwatch Read-only"

  settings = {
    iam_group = aws_iam_group.cloudwatch_readonly.name
  }
}

resource "sym_target" "s3_readonly" {
  type  = "aws_iam_group"
  name  = aws_iam_group.s3_readonly.name
  label = "S3 Read-only"

  settings = {
    iam_group = aws_iam_group.s3_readonly.name
  }
}

resource "sym_strategy" "aws_iam" {
  type           = "aws_iam"
  name           = "main-aws-iam"
  integration_id = sym_integration.iam_context.id

  targets = [sym_target.cloudwatch_readonly.id, sym_target.s3_readonly.id]
}

resource "sym_flow" "this" {
  name  = "iam_access"
  label = "IAM Group Access"

  implementation = file("${path.module}/impl.py")
  environment_id = sym_environment.this.id

  params {
    strategy_id = sym_strategy.aws_iam.id

    prompt_field {
      name     = "reason"
      label    = "Why do you need access?"
      type     = "string"
      required = true
    }

    prompt_field {
      name           = "duration"
      type           = "duration"
      allowed_values = ["30m", "1h"]
      default        = "1h"
      required       = true
    }
  }
}
