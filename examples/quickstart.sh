#!/usr/bin/env bash
# simfra's quick start: the CodePipeline guide's pipeline (examples/pipeline.json), end to end,
# with nothing but the AWS CLI and git. It
#   1. creates the CodeCommit repository `my-app` and pushes examples/sample-app to it,
#   2. creates the CodeBuild project `my-build` and the CodeDeploy application `my-app` with
#      its deployment group `prod` (targets: containers labelled simfra.ec2.tag.Name=web),
#   3. creates the pipeline `my-pipeline` (which starts its first execution) and prints a line
#      per stage as the execution moves, until it ends,
#   4. shows where the deployed app answers.
# Run again, it pushes a new commit instead and follows the execution that starts.
#
#   bash examples/quickstart.sh
#
# Settings (environment):
#   SIMFRA_URL         simfra's endpoint                  (default http://localhost:4599)
#   QUICKSTART_APP_URL where the deployed app answers     (default http://localhost:8080)
#   QUICKSTART_TIMEOUT seconds to wait for the execution  (default 600)
# simfra must run with SIMFRA_DOCKER=true, and a container labelled simfra.ec2.tag.Name=web must
# exist (the compose stack in docker/ has one; on the host see README.md's quick start).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
url="${SIMFRA_URL:-http://localhost:4599}"
app_url="${QUICKSTART_APP_URL:-http://localhost:8080}"
timeout="${QUICKSTART_TIMEOUT:-600}"

# The CLI insists on credentials and a region; simfra accepts any.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""

aws_() { aws --endpoint-url "$url" "$@"; }
say() { printf '==> %s\n' "$*"; }
# Runs a create call; "already exists" is fine (the script may run twice).
create() {
  local out
  if ! out="$(aws_ "$@" 2>&1 >/dev/null)"; then
    if [[ "$out" == *AlreadyExists* || "$out" == *NameExistsException* || "$out" == *BucketAlreadyOwnedByYou* ]]; then
      return 0
    fi
    echo "$out" >&2
    return 1
  fi
}

say "simfra at $url"
for _ in $(seq 1 50); do
  if aws_ codepipeline list-pipelines >/dev/null 2>&1; then break; fi
  sleep 0.2
done
aws_ codepipeline list-pipelines >/dev/null

say "1/4 repository my-app, with the sample app pushed to main"
create codecommit create-repository --repository-name my-app \
  --repository-description "simfra quick start"
clone_url="$(aws_ codecommit get-repository --repository-name my-app \
  --query repositoryMetadata.cloneUrlHttp --output text)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git_() {
  git -C "$work/my-app" -c user.name=quickstart -c user.email=quickstart@example.com \
    -c init.defaultBranch=main "$@"
}
mkdir -p "$work/my-app"
git_ init -q
if git_ fetch -q "$clone_url" main 2>/dev/null; then
  # The repository has history (an earlier run): a new version on top of it.
  git_ checkout -q -b main FETCH_HEAD
  cp -R "$here/sample-app/." "$work/my-app/"
  version="1.$(($(git_ rev-list --count HEAD)))"
  echo "$version" >"$work/my-app/VERSION"
  first_run=false
else
  cp -R "$here/sample-app/." "$work/my-app/"
  version="$(cat "$work/my-app/VERSION")"
  first_run=true
fi
git_ add -A
git_ commit -q -m "sample-app $version"
before="$(aws_ codepipeline list-pipeline-executions --pipeline-name my-pipeline \
  --query 'length(pipelineExecutionSummaries)' --output text 2>/dev/null || echo 0)"
git_ push -q "$clone_url" HEAD:main
echo "    pushed sample-app $version ($(git_ rev-parse --short HEAD)) to $clone_url"

say "2/4 build project my-build, deployment group my-app/prod, report bucket"
create s3api create-bucket --bucket quickstart-reports
create codebuild create-project --name my-build \
  --source type=CODEPIPELINE --artifacts type=CODEPIPELINE \
  --environment 'type=LINUX_CONTAINER,image=aws/codebuild/standard:7.0,computeType=BUILD_GENERAL1_SMALL,environmentVariables=[{name=REPORT_BUCKET,value=quickstart-reports}]' \
  --service-role arn:aws:iam::000000000000:role/codebuild-role
create deploy create-application --application-name my-app
create deploy create-deployment-group --application-name my-app \
  --deployment-group-name prod \
  --service-role-arn arn:aws:iam::000000000000:role/codedeploy-role \
  --ec2-tag-filters Key=Name,Value=web,Type=KEY_AND_VALUE

say "3/4 pipeline my-pipeline (examples/pipeline.json)"
if aws_ codepipeline get-pipeline --name my-pipeline >/dev/null 2>&1; then
  echo "    the pipeline exists: the push starts its next execution"
else
  aws_ codepipeline create-pipeline --cli-input-json "file://$here/pipeline.json" >/dev/null
  echo "    created; it starts its first execution"
  before=0
fi

# The execution to follow: the first one newer than what was there before the push.
execution=""
deadline=$((SECONDS + timeout))
while [[ -z "$execution" || "$execution" == None ]]; do
  if ((SECONDS > deadline)); then
    echo "no execution started within ${timeout}s" >&2
    exit 1
  fi
  count="$(aws_ codepipeline list-pipeline-executions --pipeline-name my-pipeline \
    --query 'length(pipelineExecutionSummaries)' --output text)"
  if ((count > before)); then
    execution="$(aws_ codepipeline list-pipeline-executions --pipeline-name my-pipeline \
      --query 'pipelineExecutionSummaries[0].pipelineExecutionId' --output text)"
  else
    sleep 0.5
  fi
done
echo "    execution $execution"

# One line per stage whenever its status changes.
declare -A seen=()
status=InProgress
while [[ "$status" == InProgress || "$status" == Stopping ]]; do
  if ((SECONDS > deadline)); then
    echo "the execution did not end within ${timeout}s" >&2
    exit 1
  fi
  while read -r stage state; do
    [[ -z "$stage" ]] && continue
    if [[ "${seen[$stage]:-}" != "$state" ]]; then
      seen[$stage]="$state"
      printf '    %-8s %s\n' "$stage" "$state"
    fi
  done < <(aws_ codepipeline get-pipeline-state --name my-pipeline \
    --query "stageStates[?latestExecution.pipelineExecutionId=='$execution'].[stageName,latestExecution.status]" \
    --output text)
  status="$(aws_ codepipeline get-pipeline-execution --pipeline-name my-pipeline \
    --pipeline-execution-id "$execution" --query pipelineExecution.status --output text)"
  [[ "$status" == InProgress || "$status" == Stopping ]] && sleep 1
done
echo "    execution $execution: $status"
if [[ "$status" != Succeeded ]]; then
  aws_ codepipeline list-action-executions --pipeline-name my-pipeline \
    --filter "pipelineExecutionId=$execution" \
    --query 'actionExecutionDetails[?status!=`Succeeded`].[stageName,actionName,status,output.executionResult.externalExecutionSummary]' \
    --output text >&2 || true
  exit 1
fi

say "4/4 done"
echo "    the build copied its page to simfra's S3:"
aws_ s3 ls s3://quickstart-reports/builds/ --recursive | tail -n 1 | sed 's/^/      /'
echo "    the app answers at $app_url (sample-app $version)"
if [[ "$first_run" == true ]]; then
  echo "    push a change to $clone_url and the pipeline runs again"
fi
