terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    sym = {
      source  = "symopsio/sym"
      version = "~> 3.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

provider "sym" {
  org = "healthy-health"
}

locals {
  environment_name = "main"
}

resource "sym_integration" "slack" {
  type        = "slack"
  name        = "${local.environment_name}-slack"
  external_id = "T123ABC"
}

resource "sym_error_logger" "slack" {
  integration_id = sym_integration.slack.id
  destination    = "#sym-errors"
}

resource "sym_environment" "this" {
  name            = local.environment_name
  error_logger_id = sym_error_logger.slack.id

  integrations = {
    slack_id = sym_integration.slack.id
  }
}

module "runtime_connector" {
  source  = "symopsio/runtime-connector/aws"
  version = ">= 2.0.0"

  environment = local.environment_name
}

resource "sym_integration" "runtime_context" {
  type        = "permission_context"
  name        = "${local.environment_name}-runtime"
  external_id = module.runtime_connector.settings.account_id
  settings    = module.runtime_connector.settings
}

resource "sym_runtime" "this" {
  name     = local.environment_name
  context_id = sym_integration.runtime_context.id
}
