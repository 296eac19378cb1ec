"""The deployment files agree with the settings and with each other."""

import os
import subprocess
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent.parent
HOOKS = [BASE_DIR / ".platform" / kind / "predeploy" / "01-fetch-weights.sh" for kind in ("hooks", "confighooks")]


def test_procfile_has_one_entry_that_starts_either_tier():
    assert (BASE_DIR / "Procfile").read_text().splitlines() == ["web: scripts/start-tier"]
    for script in ("start-tier", "start-web", "start-worker", "run-site"):
        assert os.access(BASE_DIR / "scripts" / script, os.X_OK), script


def test_start_tier_refuses_an_unknown_tier():
    run = subprocess.run(
        [BASE_DIR / "scripts" / "start-tier"],
        env={"PATH": os.environ["PATH"], "COLORSITE_TIER": "both"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 64
    assert "COLORSITE_TIER must be 'web' or 'worker'" in run.stderr


def test_elastic_beanstalk_runs_production_settings_and_checks_healthz():
    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "01-colorsite.config").read_text())
    options = config["option_settings"]
    assert options["aws:elasticbeanstalk:application:environment"]["DJANGO_SETTINGS_MODULE"] == (
        "colorsite.settings.production"
    )
    assert options["aws:elasticbeanstalk:application"]["Application Healthcheck URL"] == "/healthz"
    assert options["aws:elasticbeanstalk:environment:process:default"]["HealthCheckPath"] == "/healthz"
    assert options["aws:elasticbeanstalk:cloudwatch:logs"]["StreamLogs"] is True
    assert config["container_commands"]["02_migrate"]["leader_only"] is True


def test_the_weights_hook_is_the_same_for_code_and_configuration_deployments():
    assert HOOKS[0].read_bytes() == HOOKS[1].read_bytes()
    for hook in [*HOOKS, BASE_DIR / "scripts" / "eb-fetch-weights"]:
        assert os.access(hook, os.X_OK), hook
        assert subprocess.run(["bash", "-n", hook]).returncode == 0


def test_the_weights_hook_runs_the_shared_script_from_the_deployed_version(tmp_path):
    """The hook finds scripts/eb-fetch-weights beside itself, whatever the working folder; off
    the worker tier (here: no Elastic Beanstalk at all) that script has nothing to do."""
    for hook in HOOKS:
        run = subprocess.run(
            ["bash", hook], cwd=tmp_path, env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=30
        )
        assert run.returncode == 0, run.stderr
        assert "COLORSITE_TIER=web, not the worker tier: nothing to fetch." in run.stdout


def test_the_cache_table_is_made_wherever_migrate_runs():
    """The database cache (the rate limits' default) needs its table next to the migrations."""
    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "01-colorsite.config").read_text())
    migrate = config["container_commands"]["02_migrate"]["command"]
    assert migrate.index("manage.py migrate") < migrate.index("manage.py createcachetable")
    run_site = (BASE_DIR / "scripts" / "run-site").read_text()
    assert run_site.index("manage.py migrate") < run_site.index("manage.py createcachetable")
    assert "/var/app/data/upload-tmp" in config["container_commands"]["01_dirs"]["command"]
