#!/bin/bash
# Elastic Beanstalk predeploy hook: the worker tier fetches and verifies the official weights.
# The work is in scripts/eb-fetch-weights, shared with the other predeploy hook.
exec "$(dirname "$0")/../../../scripts/eb-fetch-weights"
