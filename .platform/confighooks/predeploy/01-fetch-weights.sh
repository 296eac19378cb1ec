#!/bin/bash
# Elastic Beanstalk predeploy hook (the same file is in .platform/hooks/ and
# .platform/confighooks/, so it runs on application and configuration deployments alike).
# On the worker tier only, makes sure the official ECCV16 and SIGGRAPH17 weights are in
# COLORIZE_WEIGHTS_DIR (/var/app/weights, kept across deployments): `fetch_weights` downloads
# what is missing and checks the sha256, and does nothing when the files are there and
# verified. The web tier never loads a network and skips this.
set -euo pipefail

GET_CONFIG=/opt/elasticbeanstalk/bin/get-config
tier="$("$GET_CONFIG" environment -k COLORSITE_TIER 2>/dev/null || true)"
if [ "${tier:-web}" != worker ]; then
  echo "01-fetch-weights: COLORSITE_TIER=${tier:-web}, not the worker tier: nothing to fetch."
  exit 0
fi

# The new version is in the staging folder (the hook's working directory) until it is deployed.
for app_dir in "$PWD" /var/app/staging /var/app/current; do
  [ -f "$app_dir/manage.py" ] && break
done
cd "$app_dir"

# shellcheck disable=SC1091
source /var/app/venv/*/bin/activate
# Hooks do not get the environment properties, and the production settings need them.
eval "$("$GET_CONFIG" environment | python -c '
import json, shlex, sys
for name, value in json.load(sys.stdin).items():
    if name.isidentifier():
        print(f"export {name}={shlex.quote(value)}")
')"

weights_dir="${COLORIZE_WEIGHTS_DIR:-/var/app/weights}"
mkdir -p "$weights_dir"
python manage.py fetch_weights eccv16 siggraph17
chown -R webapp:webapp "$weights_dir"
