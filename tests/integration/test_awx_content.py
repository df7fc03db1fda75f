"""AWX / Automation Platform content in extensions/awx: job templates, surveys, the approval workflow, the wrapper
playbooks and the execution environment definition, checked against the collection they launch."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AWX = REPO / "extensions" / "awx"
CONTROLLER = AWX / "controller"
WRAPPERS = AWX / "playbooks"
EE_FILE = AWX / "execution-environment.yml"
BIN = Path(sys.executable).parent
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


class _AwxLoader(yaml.SafeLoader):
    """Reads the data files as infra.aap_configuration does: ``!unsafe`` strings stay literal Jinja."""


_AwxLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


@pytest.fixture(scope="module")
def controller() -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path in sorted(CONTROLLER.glob("*.yml")):
        loaded = yaml.load(path.read_text(), Loader=_AwxLoader)
        overlap = set(data) & set(loaded)
        assert not overlap, f"{path.name} redefines {overlap}"
        data.update(loaded)
    return data


def _names(controller: dict[str, Any], key: str) -> set[str]:
    return {item["name"] for item in controller.get(key, [])}


def _collection_playbook(wrapper: str) -> Path:
    """The collection playbook a wrapper imports (``cloudsec.s3.X`` -> playbooks/X.yml)."""
    plays = yaml.safe_load((WRAPPERS / wrapper).read_text())
    imported = [p["ansible.builtin.import_playbook"] for p in plays if "ansible.builtin.import_playbook" in p]
    assert len(imported) == 1 and imported[0].startswith("cloudsec.s3."), f"{wrapper} imports {imported}"
    return REPO / "playbooks" / (imported[0].split(".")[-1] + ".yml")


def playbook_inputs(playbook: Path) -> set[str]:
    """Variables a collection playbook reads: names used in its Jinja, plus the options of the roles it runs."""
    text = playbook.read_text()
    names: set[str] = set()
    for expression in re.findall(r"{{(.*?)}}", text, flags=re.S):
        names.update(re.findall(r"\b([a-z_][a-z0-9_]*)\b", expression))
    for role in set(re.findall(r"cloudsec\.s3\.([a-z_]+)", text)):
        spec = REPO / "roles" / role / "meta" / "argument_specs.yml"
        if spec.exists():
            for entry in yaml.safe_load(spec.read_text())["argument_specs"].values():
                names.update(entry.get("options", {}))
    return names


def _surveys(controller: dict[str, Any]):
    for kind in ("controller_templates", "controller_workflows"):
        for item in controller[kind]:
            if item.get("survey_enabled"):
                yield item["name"], item["survey_spec"]


def test_every_job_template_launches_an_existing_wrapper_with_defined_objects(controller):
    projects = _names(controller, "controller_projects")
    inventories = _names(controller, "controller_inventories")
    environments = _names(controller, "controller_execution_environments")
    credentials = _names(controller, "controller_credentials")
    assert {c["credential_type"] for c in controller["controller_credentials"]} <= _names(
        controller, "controller_credential_types"
    )
    assert {p["default_environment"] for p in controller["controller_projects"]} <= environments
    for template in controller["controller_templates"]:
        assert (REPO / template["playbook"]).is_file(), template["name"]
        assert template["playbook"].startswith("extensions/awx/playbooks/"), template["name"]
        assert template["project"] in projects
        assert template["inventory"] in inventories
        assert template["execution_environment"] in environments
        assert set(template["credentials"]) <= credentials
    names = _names(controller, "controller_templates")
    assert {"cloudsec.s3 respond", "cloudsec.s3 restore"} <= names
    baseline_modes = {t["job_type"] for t in controller["controller_templates"] if "baseline" in t["playbook"]}
    assert baseline_modes == {"check", "run"}  # audit (drift report only) and enforce


def test_surveys_are_well_formed(controller):
    for name, survey in _surveys(controller):
        variables = [q["variable"] for q in survey["spec"]]
        assert len(variables) == len(set(variables)), f"{name}: a variable is asked twice"
        for question in survey["spec"]:
            assert {"question_name", "variable", "type", "required"} <= set(question), (name, question)
            assert question["type"] in SURVEY_TYPES, (name, question)
            if question["type"] == "multiplechoice":
                assert question["default"] in question["choices"], (name, question)


@pytest.mark.parametrize("wrapper", ["respond.yml", "baseline.yml", "restore.yml", "triage_org.yml"])
def test_survey_variables_are_inputs_of_the_playbook_they_launch(controller, wrapper):
    playbook = _collection_playbook(wrapper)
    if not playbook.exists():
        pytest.skip(f"{playbook.relative_to(REPO)} is not in this checkout yet")
    inputs = playbook_inputs(playbook)
    templates = [t for t in controller["controller_templates"] if t["playbook"].endswith("/" + wrapper)]
    assert templates
    for template in templates:
        asked = {q["variable"] for q in template["survey_spec"]["spec"]}
        assert asked <= inputs, f"{template['name']} asks for {sorted(asked - inputs)}, which {playbook.name} ignores"


def test_respond_survey_covers_the_respond_inputs(controller):
    (respond,) = [t for t in controller["controller_templates"] if t["name"] == "cloudsec.s3 respond"]
    questions = {q["variable"]: q for q in respond["survey_spec"]["spec"]}
    assert {"bucket", "response_mode", "responder_principals", "incident_id", "output_dir"} <= set(questions)
    assert questions["response_mode"]["choices"] == ["investigate", "contain", "full"]
    assert questions["response_mode"]["default"] == "investigate"
    assert questions["responder_principals"]["type"] == "multiselect"  # a list, as respond expects
    assert respond["ask_variables_on_launch"]  # EDA's run_job_template passes `finding`


def test_workflow_needs_an_approval_before_any_change(controller):
    (workflow,) = controller["controller_workflows"]
    nodes = {n["identifier"]: n for n in workflow["simplified_workflow_nodes"]}
    assert len(nodes) == len(workflow["simplified_workflow_nodes"])
    children = {
        child
        for n in nodes.values()
        for key in ("success_nodes", "failure_nodes", "always_nodes")
        for child in n.get(key, [])
    }
    assert children <= set(nodes)
    parents = {child: ident for ident, n in nodes.items() for child in n.get("success_nodes", [])}
    (root,) = set(nodes) - children
    assert nodes[root]["extra_data"]["response_mode"] == "investigate"
    modes = set()
    for ident, node in nodes.items():
        mode = node.get("extra_data", {}).get("response_mode")
        if mode in ("contain", "full"):
            modes.add(mode)
            approval = nodes[parents[ident]]
            assert "approval_node" in approval, f"{ident} runs without an approval right before it"
            assert not approval.get("failure_nodes") and not approval.get("always_nodes")
        if "approval_node" not in node:
            assert node["unified_job_template"] in _names(controller, "controller_templates")
    assert modes == {"contain", "full"}
    # workflow variables override node variables: asking response_mode here would run every node in that mode
    assert "response_mode" not in {q["variable"] for q in workflow["survey_spec"]["spec"]}


def _accounts_inventories(controller: dict[str, Any]) -> set[str]:
    """Inventories filled by the cloudsec.s3.aws_accounts plugin (one host per AWS account)."""
    return {
        source["inventory"]
        for source in controller.get("controller_inventory_sources", [])
        if source["source_path"].endswith((".aws_accounts.yml", ".aws_accounts.yaml"))
    }


def test_accounts_inventory_source_is_the_plugin_file_of_the_project(controller, tools_env):
    sources = controller["controller_inventory_sources"]
    assert sources
    options = _plugin_options(tools_env)
    assert {"plugin", "include_ous", "keyed_groups", "cache"} <= options  # the plugin's own and its fragments'
    for source in sources:
        assert source["inventory"] in _names(controller, "controller_inventories"), source["name"]
        assert source["source"] == "scm" and source["source_project"] in _names(controller, "controller_projects")
        assert source["credential"] in _names(controller, "controller_credentials")
        assert source["execution_environment"] in _names(controller, "controller_execution_environments")
        path = REPO / source["source_path"]
        assert path.is_file(), source["source_path"]
        config = yaml.safe_load(path.read_text())
        assert config["plugin"] == "cloudsec.s3.aws_accounts"
        unknown = set(config) - options
        assert not unknown, f"{source['source_path']} sets options the plugin does not have: {sorted(unknown)}"


def _plugin_options(env: dict[str, str]) -> set[str]:
    """Every option of the cloudsec.s3.aws_accounts inventory plugin, doc fragments included, as ansible-doc has it."""
    proc = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "inventory", "--json", "cloudsec.s3.aws_accounts"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return set(json.loads(proc.stdout)["cloudsec.s3.aws_accounts"]["doc"]["options"])


def test_organization_templates_slice_the_accounts_and_never_enforce_twice_at_once(controller):
    accounts = _accounts_inventories(controller)
    org = [t for t in controller["controller_templates"] if t["inventory"] in accounts]
    assert {t["playbook"] for t in org} == {
        "extensions/awx/playbooks/baseline.yml",
        "extensions/awx/playbooks/triage_org.yml",
    }
    for template in org:
        assert template["job_slice_count"] > 1, f"{template['name']} runs every account in one job"
        assert template.get("ask_limit_on_launch"), f"{template['name']} cannot be narrowed to an OU or tag group"
        if template["job_type"] == "run" and "baseline" in template["playbook"]:
            assert template["allow_simultaneous"] is False, f"{template['name']} could race another enforce run"
        if "triage_org" in template["playbook"]:
            # sliced jobs must each read their own accounts; the delegated-admin read would repeat in every slice
            assert template["extra_vars"]["org_triage_mode"] == "per_account"
    single = [t for t in controller["controller_templates"] if t["inventory"] not in accounts]
    for template in single:
        assert template.get("job_slice_count", 1) == 1, f"{template['name']} slices a one-host inventory"
    modes = {t["job_type"] for t in org if "baseline" in t["playbook"]}
    assert modes == {"check", "run"}


def test_credential_type_injects_the_session_token_amazon_aws_reads(controller):
    (cred_type,) = controller["controller_credential_types"]
    env = cred_type["injectors"]["env"]
    assert env["AWS_SESSION_TOKEN"] == "{{ session_token | default('') }}"
    assert "AWS_SECURITY_TOKEN" not in env
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env)
    fields = {f["id"]: f for f in cred_type["inputs"]["fields"]}
    assert fields["secret_access_key"]["secret"] and fields["session_token"]["secret"]


@pytest.mark.parametrize("wrapper", sorted(p.name for p in WRAPPERS.glob("*.yml")))
def test_wrapper_playbook_passes_syntax_check_against_the_checkout(wrapper, tools_env):
    playbook = _collection_playbook(wrapper)
    if not playbook.exists():
        pytest.skip(f"{playbook.relative_to(REPO)} is not in this checkout yet")
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", str(WRAPPERS / wrapper)],
        cwd=REPO,
        env=tools_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def builder() -> str:
    path = shutil.which("ansible-builder", path=str(BIN))
    assert path, "ansible-builder is missing from the venv: run `make venv` (requirements-dev.txt)"
    return path


def _create(builder: str, ee_file: Path, context: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [builder, "create", "-f", str(ee_file), "-c", str(context), "--output-filename", "Containerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_execution_environment_passes_ansible_builder_v3_validation(builder, tmp_path):
    proc = _create(builder, EE_FILE, tmp_path / "context")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert 'ANSIBLE_INSTALL_REFS="ansible-core==2.19.* ansible-runner"' in containerfile
    assert re.search(r"ansible-galaxy collection install --no-deps .*cloudsec-s3-\*\.tar\.gz", containerfile)
    galaxy = yaml.safe_load((tmp_path / "context" / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["amazon.aws"]
    python = (tmp_path / "context" / "_build" / "requirements.txt").read_text()
    assert python == (REPO / "requirements.txt").read_text()


def test_ansible_builder_rejects_a_definition_outside_its_schema(builder, tmp_path):
    """The validation above is real: the same file with a misspelt key fails it."""
    broken = yaml.safe_load(EE_FILE.read_text())
    broken["dependencies"]["ansible_cor"] = broken["dependencies"].pop("ansible_core")
    broken["dependencies"]["python"] = "requirements.txt"
    (tmp_path / "requirements.txt").write_text("boto3\n")
    bad = tmp_path / "execution-environment.yml"
    bad.write_text(yaml.safe_dump(broken))
    proc = _create(builder, bad, tmp_path / "context")
    assert proc.returncode != 0
    assert "ansible_cor" in proc.stdout + proc.stderr
