#!/bin/bash
# Elastic Beanstalk prebuild hook: the platform then installs the application's dependencies
# with `pip install -r requirements.txt` (prebuild hooks run after the bundle is extracted and
# before the platform sets up the application). Point that file at the lock, so every instance,
# autoscaled ones included, installs the same packages, each checked against its sha256
# (--require-hashes: any file that is not the one locked fails the deployment).
# requirements.txt stays the list of direct pins in the repository; `make lock` makes the lock.
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ -f requirements.lock ] || { echo "01-install-from-lock: no requirements.lock in $(pwd)" >&2; exit 1; }
printf '%s\n' "# Written by .platform/hooks/prebuild/01-install-from-lock.sh at deployment." \
  "--require-hashes" "-r requirements.lock" > requirements.txt
echo "01-install-from-lock: the platform installs requirements.lock with --require-hashes."
