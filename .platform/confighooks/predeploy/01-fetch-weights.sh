#!/bin/bash
# Elastic Beanstalk predeploy hook: the worker tier fetches and verifies the official weights.
# The work is in scripts/eb-fetch-weights, shared with the other predeploy hook; run with bash
# because Elastic Beanstalk makes only the hooks themselves executable.
exec bash "$(dirname "$0")/../../../scripts/eb-fetch-weights"
