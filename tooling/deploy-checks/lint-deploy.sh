#!/usr/bin/env bash
# Lints the deploy path: the GitHub workflows with actionlint and the Copilot CloudFormation
# addons with cfn-lint (both installed by scripts/install-deploy-tools.sh). Part of `turbo run lint`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$ROOT/scripts/install-deploy-tools.sh"
cd "$ROOT"
.tools/bin/actionlint -no-color .github/workflows/*.yml
find copilot -path '*/addons/*.yml' ! -name addons.parameters.yml -print0 \
  | xargs -0 --no-run-if-empty .tools/venv/bin/cfn-lint --format parseable
