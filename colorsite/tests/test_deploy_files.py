"""The deployment files agree with the settings and with each other."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent.parent
HOOKS = [BASE_DIR / ".platform" / kind / "predeploy" / "01-fetch-weights.sh" for kind in ("hooks", "confighooks")]


def test_procfile_has_one_entry_that_starts_either_tier():
    assert (BASE_DIR / "Procfile").read_text().splitlines() == ["web: bash scripts/start-tier"]


def staging(tmp_path):
    """The bundle as Elastic Beanstalk lays it out in /var/app/staging: the scripts without their
    execute bit (the platform sets it on the hooks alone)."""
    root = tmp_path / "var" / "app" / "staging"
    for part in ("Procfile", "scripts", ".platform", ".ebextensions"):
        source = BASE_DIR / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / part)
    for script in (root / "scripts").iterdir():
        script.chmod(0o644)
    return root


def get_config_stub(tmp_path, answer, *, status=0):
    """What /opt/elasticbeanstalk/bin/get-config answers, for the hooks."""
    stub = tmp_path / "get-config"
    stub.write_text(f"#!/bin/sh\ncat <<'JSON'\n{answer}\nJSON\nexit {status}\n")
    stub.chmod(0o755)
    return stub


def run_hook(root, hook, get_config, **already):
    env = {"PATH": os.environ["PATH"], "EB_GET_CONFIG": str(get_config), **already}
    return subprocess.run([root / hook], cwd="/", env=env, capture_output=True, text=True, timeout=60)


def test_the_procfile_starts_the_tier_whatever_the_scripts_file_mode(tmp_path):
    root = staging(tmp_path)
    command = (root / "Procfile").read_text().split(":", 1)[1].strip()
    run = subprocess.run(
        ["bash", "-c", command],
        cwd=root,
        env={"PATH": os.environ["PATH"], "COLORSITE_TIER": "both"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 64, run.stderr  # start-tier ran, and refused the tier
    assert "COLORSITE_TIER must be 'web' or 'worker'" in run.stderr


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
    """The hook finds scripts/eb-fetch-weights beside itself (not executable), whatever the
    working folder; on the web tier that script has nothing to do."""
    root = staging(tmp_path)
    stub = get_config_stub(tmp_path, '{"COLORSITE_TIER": "web", "DJANGO_SETTINGS_MODULE": "x"}')
    for hook in HOOKS:
        run = run_hook(root, hook.relative_to(BASE_DIR), stub)
        assert run.returncode == 0, run.stderr
        assert "COLORSITE_TIER=web, not the worker tier: nothing to fetch." in run.stdout


def test_the_weights_hook_sets_only_the_properties_its_environment_lacks(tmp_path):
    """What EB already put in the hook's environment (a resolved secret, say) is never
    overwritten by get-config's answer (issue #35: it was, through eval)."""
    root = staging(tmp_path)
    stub = get_config_stub(tmp_path, '{"COLORSITE_TIER": "worker", "DJANGO_SETTINGS_MODULE": "x"}')
    run = run_hook(root, HOOKS[0].relative_to(BASE_DIR), stub, COLORSITE_TIER="web")
    assert run.returncode == 0, run.stderr
    assert "COLORSITE_TIER=web, not the worker tier: nothing to fetch." in run.stdout


@pytest.mark.parametrize(
    ("answer", "status", "why"),
    [
        ("", 1, "cannot read the environment properties"),
        ("<html>not json</html>", 0, "are not a JSON object"),
    ],
)
def test_the_weights_hook_fails_closed_when_it_cannot_read_the_environment(tmp_path, answer, status, why):
    root = staging(tmp_path)
    for hook in HOOKS:
        run = run_hook(root, hook.relative_to(BASE_DIR), get_config_stub(tmp_path, answer, status=status))
        assert run.returncode != 0
        assert why in run.stderr, run.stderr


def test_the_weights_hook_fails_closed_off_elastic_beanstalk(tmp_path):
    root = staging(tmp_path)
    run = run_hook(root, HOOKS[0].relative_to(BASE_DIR), tmp_path / "no-such-get-config")
    assert run.returncode != 0
    assert "cannot read the environment properties" in run.stderr


def test_the_proxy_serves_the_collected_static_files_not_the_source_folder():
    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "01-colorsite.config").read_text())
    options = config["option_settings"]
    assert options["aws:elasticbeanstalk:environment:proxy:staticfiles"] == {"/static": "staticfiles"}
    # With a Procfile the platform ignores WSGIPath: no option that pretends otherwise.
    assert "aws:elasticbeanstalk:container:python" not in options


def test_nginx_accepts_the_platforms_snippet(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-core; scripts/run-tests does)")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  include {BASE_DIR}/.platform/nginx/conf.d/*.conf;\n  server {{ listen 127.0.0.1:8080; }}\n}}\n"
    )
    run = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "syntax is ok" in run.stderr


def _nginx_get(port, path, **headers):
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers, response.read()


def test_nginx_serves_static_files_with_long_cache_headers_and_compressed_copies(tmp_path):
    """The platform's snippet in a real nginx on loopback, with a /static location as EB's
    mapping writes it: hashed names cached for a year, the .gz copy for a client that takes
    gzip, and the site's own answers left without a Cache-Control of nginx's."""
    import gzip
    import time

    from colorsite.tests.servers import free_port

    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-core; scripts/run-tests does)")
    static = tmp_path / "staticfiles"
    static.mkdir()
    css = b"body { color: #333; }\n" * 50
    (static / "site.0123456789ab.css").write_bytes(css)
    (static / "site.0123456789ab.css.gz").write_bytes(gzip.compress(css))
    (static / "site.css").write_bytes(css)
    port = free_port()
    temp = "".join(
        f"{kind}_temp_path {tmp_path}/{kind};\n  " for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        # As root, nginx's workers would run as nobody, who cannot read pytest's private folders.
        ("user root;\n" if os.geteuid() == 0 else "") + f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  {temp}access_log off;\n  include {BASE_DIR}/.platform/nginx/conf.d/*.conf;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n"
        f"    location /static/ {{ alias {static}/; }}\n"
        f'    location / {{ return 200 "a page"; }}\n  }}\n}}\n'
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"], stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                _nginx_get(port, "/")
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.05)
        headers, body = _nginx_get(port, "/static/site.0123456789ab.css")
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert body == css
        headers, body = _nginx_get(port, "/static/site.0123456789ab.css", **{"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == css
        assert _nginx_get(port, "/static/site.css")[0]["Cache-Control"] == "public, max-age=60"
        assert _nginx_get(port, "/")[0]["Cache-Control"] is None
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_cache_table_is_made_wherever_migrate_runs():
    """The database cache (the rate limits' default) needs its table next to the migrations."""
    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "01-colorsite.config").read_text())
    migrate = config["container_commands"]["02_migrate"]["command"]
    assert migrate.index("manage.py migrate") < migrate.index("manage.py createcachetable")
    run_site = (BASE_DIR / "scripts" / "run-site").read_text()
    assert run_site.index("manage.py migrate") < run_site.index("manage.py createcachetable")
    assert "/var/app/data/upload-tmp" in config["container_commands"]["01_dirs"]["command"]


def _as_template(resources):
    """``.ebextensions`` resources as the CloudFormation template Elastic Beanstalk makes of
    them, for cfn-lint: each Fn::GetOptionSetting becomes a parameter with its default, and the
    environment's own Auto Scaling group (which EB declares) a stand-in."""
    parameters = {}

    def resolve(node):
        if isinstance(node, dict):
            if set(node) == {"Fn::GetOptionSetting"}:
                option = node["Fn::GetOptionSetting"]
                name = option["OptionName"].replace("_", "")
                parameters[name] = {"Type": "String", "Default": str(option["DefaultValue"])}
                return {"Ref": name}
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved = resolve(resources)
    group = resolved.pop("AWSEBAutoScalingGroup")
    group["Properties"].update(
        {
            "MinSize": "1",
            "MaxSize": "4",
            "AvailabilityZones": {"Fn::GetAZs": ""},
            "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"},
        }
    )
    # EB's default trigger's alarms, as EB declares them (the config changes ActionsEnabled only).
    for name, operator, threshold in (
        ("AWSEBCloudwatchAlarmHigh", "GreaterThanThreshold", 6000000),
        ("AWSEBCloudwatchAlarmLow", "LessThanThreshold", 2000000),
    ):
        resolved[name]["Properties"].update(
            {
                "Namespace": "AWS/EC2",
                "MetricName": "NetworkOut",
                "Dimensions": [{"Name": "AutoScalingGroupName", "Value": {"Ref": "AWSEBAutoScalingGroup"}}],
                "Statistic": "Average",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": threshold,
                "ComparisonOperator": operator,
            }
        )
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": parameters,
        "Resources": {"AWSEBAutoScalingGroup": group, **resolved},
    }


def test_the_worker_scaling_and_alarms_pass_cfn_lint(tmp_path):
    import json

    from cfnlint.api import lint_all

    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "02-worker-scaling.config").read_text())
    template = _as_template(config["Resources"])
    problems = [str(match) for match in lint_all(json.dumps(template)) if match.rule.id[0] in "EW"]
    assert problems == []  # errors and warnings; the informational hints (I...) are advice
    assert {
        "ColorsiteBacklogScaling",
        "ColorsiteQueueAgeAlarm",
        "ColorsiteNoWorkerAlarm",
        "ColorsiteFailureRateAlarm",
    } <= set(template["Resources"])


def _metric_names(node):
    if isinstance(node, dict):
        return ({node["MetricName"]} if "MetricName" in node else set()) | {
            name for value in node.values() for name in _metric_names(value)
        }
    if isinstance(node, list):
        return {name for value in node for name in _metric_names(value)}
    return set()


@pytest.mark.django_db
def test_every_metric_the_scaling_and_the_alarms_read_is_one_the_worker_publishes():
    """The names in the config are those gallery.metrics really sends, in its namespace and with
    the Environment dimension (EB's own NetworkOut alarms aside)."""
    from gallery import metrics

    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "02-worker-scaling.config").read_text())
    ours = {name: resource for name, resource in config["Resources"].items() if name.startswith("Colorsite")}
    read = _metric_names(ours)
    sent = metrics.site_data() + metrics.worker_data({"compact": [1.0]}, {"compact": 1})
    assert read == {"BacklogPerWorker", "OldestQueuedAge", "WorkersAlive", "JobsFailed", "JobsFinished"}
    assert read <= {datum["MetricName"] for datum in sent}
    text = (BASE_DIR / ".ebextensions" / "02-worker-scaling.config").read_text()
    assert text.count("Namespace: Colorsite") == text.count("MetricName: ")
    assert text.count("OptionName: COLORSITE_ENVIRONMENT") == 5


def _eb_create(name):
    """The docs' `eb create NAME ...` command, its continuation lines joined."""
    text = (BASE_DIR / "docs" / "operations.md").read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.strip().startswith(f"eb create {name} ")]
    return line.split()


def test_the_worker_is_created_with_an_internal_load_balancer_in_the_instances_group():
    """With --vpc.id the EB CLI makes the load balancer internal unless --vpc.elbpublic is
    given, and passes --vpc.securitygroups at all only with --vpc.id (by id, in a VPC)."""
    worker, web = _eb_create("colorsite-worker"), _eb_create("colorsite-web")
    assert "--vpc.elbpublic" not in worker
    assert "--vpc.elbpublic" in web
    for command in (worker, web):
        assert "--vpc.id" in command
        assert command[command.index("--vpc.securitygroups") + 1] == "$SG"
    docs = (BASE_DIR / "docs" / "operations.md").read_text()
    assert "Name=group-name,Values=colorsite-instances --query 'SecurityGroups[0].GroupId'" in docs


def test_the_worker_turns_off_ebs_networkout_trigger_and_the_web_keeps_it():
    config = yaml.safe_load((BASE_DIR / ".ebextensions" / "02-worker-scaling.config").read_text())
    for alarm in ("AWSEBCloudwatchAlarmHigh", "AWSEBCloudwatchAlarmLow"):
        option = config["Resources"][alarm]["Properties"]["ActionsEnabled"]["Fn::GetOptionSetting"]
        assert (option["OptionName"], option["DefaultValue"]) == ("COLORSITE_EB_TRIGGER", "true")
    envvars = _eb_create("colorsite-worker")[_eb_create("colorsite-worker").index("--envvars") + 1]
    assert "COLORSITE_EB_TRIGGER=false" in envvars
    assert "COLORSITE_EB_TRIGGER" not in " ".join(_eb_create("colorsite-web"))


def test_a_deployment_keeps_an_instance_serving():
    options = yaml.safe_load((BASE_DIR / ".ebextensions" / "01-colorsite.config").read_text())["option_settings"]
    assert options["aws:elasticbeanstalk:command"]["DeploymentPolicy"] in ("RollingWithAdditionalBatch", "Immutable")
    assert int(options["aws:elasticbeanstalk:command"]["Timeout"]) >= 1200
    rolling = options["aws:autoscaling:updatepolicy:rollingupdate"]
    assert rolling["RollingUpdateEnabled"] is True
    assert rolling["MinInstancesInService"] >= 1
