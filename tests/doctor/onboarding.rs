//! Onboarding against the lab, per preset: in a world where nothing is set up no step is done and
//! each step that is to do shows its failing check's remedy; in the same world with the guide's
//! generated policies applied (the test writes them into the lab's roles, as the script's
//! commands would) every step is done. The worlds start from the healthy scenarios, keeping
//! their pod, databases and clusters and replacing every role with what the guide generates.

use std::path::Path;

use connector_doctor::config::Config;
use connector_doctor::onboard::Onboarding;
use connector_doctor::onboard::need::Secrets;
use connector_doctor::onboard::plan::documents;
use connector_doctor::onboard::preset::RoleRef;
use connector_lab::{Lab, Scenario};
use serde_json::Value;
use toml::{Table, Value as Toml};

use super::support::{doctor_in, scenario_dir};

/// The healthy scenario `base` as a table.
fn table(base: &str) -> Table {
    let text = std::fs::read_to_string(scenario_dir().join(format!("{base}.toml"))).unwrap();
    text.parse::<Table>().unwrap()
}

/// The onboarding the scenario's own configuration describes, with `given` values.
fn onboarding(scenario: &Table, given: &[(&str, &str)]) -> Onboarding {
    let config =
        Config::from_toml(Path::new("doctor.toml"), scenario["doctor_config"].as_str().unwrap()).unwrap();
    let given: Vec<(String, String)> =
        given.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Onboarding::prepare(None, &config, &given, &|_| None).unwrap()
}

/// The roles the guide creates, as lab `[[role]]` tables; the base role may also read IAM
/// through the scenario's managed policy `read_iam`, so that the policy audit runs.
fn generated_roles(ob: &Onboarding, read_iam: &str) -> Vec<Toml> {
    let mut roles: Vec<Table> = Vec::new();
    for d in documents(&ob.needs, Secrets::Reveal) {
        if d.policy == "initial-trust" || d.role == RoleRef::Document {
            continue;
        }
        let i = roles.iter().position(|r| r["name"].as_str() == Some(&d.owner_name)).unwrap_or_else(|| {
            let mut role = Table::new();
            role.insert("name".into(), Toml::String(d.owner_name.clone()));
            role.insert("policies".into(), Toml::Table(Table::new()));
            if d.role == RoleRef::Base {
                role.insert("managed".into(), Toml::Array(vec![Toml::String(read_iam.to_owned())]));
            }
            roles.push(role);
            roles.len() - 1
        });
        let json = d.json.pretty();
        if d.policy == "trust" {
            roles[i].insert("trust".into(), Toml::String(json));
        } else if let Some(Toml::Table(policies)) = roles[i].get_mut("policies") {
            policies.insert(d.policy.clone(), Toml::String(json));
        }
    }
    roles.into_iter().map(Toml::Table).collect()
}

fn start(world: &Table) -> Lab {
    let text = toml::to_string(world).unwrap();
    Lab::start(Scenario::from_toml_str(&text).unwrap_or_else(|e| panic!("{e:#}\n{text}"))).expect("lab")
}

/// Runs `onboard --json` in the lab's pod: the exit code and the steps.
fn progress(lab: &Lab) -> (i32, Vec<Value>) {
    let run = doctor_in(lab, &["onboard", "--json"]);
    let doc: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, doc["steps"].as_array().unwrap().clone())
}

fn table_of(steps: &[Value]) -> String {
    steps
        .iter()
        .map(|s| format!("{} {} {} {}", s["number"], s["state"], s["title"], s["problem"]["check"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the applied world: every step done.
fn assert_all_done(world: &Table, preset: &str) {
    let (code, steps) = progress(&start(world));
    assert!(!steps.is_empty());
    assert!(
        steps.iter().all(|s| s["state"] == "done"),
        "{preset}, generated policies applied:\n{}",
        table_of(&steps)
    );
    assert_eq!(code, 0, "{preset}");
}

/// Asserts the bare world: nothing done, and every step to do carries its check's remedy.
fn assert_nothing_done(world: &Table, preset: &str, first_todo: &str, says: &str) {
    let (code, steps) = progress(&start(world));
    let t = table_of(&steps);
    assert!(steps.iter().all(|s| s["state"] != "done"), "{preset}, nothing set up:\n{t}");
    for s in steps.iter().filter(|s| s["state"] == "todo") {
        let remedy = &s["problem"]["remedy"]["text"];
        assert!(
            remedy.as_str().is_some_and(|r| !r.is_empty()),
            "{preset}: step {} has no remedy:\n{t}",
            s["number"]
        );
    }
    let todo =
        steps.iter().find(|s| s["step"] == first_todo).unwrap_or_else(|| panic!("{first_todo} in\n{t}"));
    assert_eq!(todo["state"], "todo", "{preset}:\n{t}");
    let text = format!("{} {}", todo["problem"]["remedy"]["text"], todo["problem"]["remedy"]["commands"]);
    assert!(text.contains(says), "{preset}: {says:?} missing from {text}");
    assert_eq!(code, 1, "{preset}");
}

/// The world with no association for the pod and only a bare pod role: nothing applied yet.
fn bare(mut world: Table, pod_role: &str) -> Table {
    let mut role = Table::new();
    role.insert("name".into(), Toml::String(pod_role.to_owned()));
    world.insert("role".into(), Toml::Array(vec![Toml::Table(role)]));
    if let Some(Toml::Table(pod)) = world.get_mut("pod") {
        pod.insert("association".into(), Toml::Boolean(false));
    }
    world
}

#[test]
fn xpander_steps_fail_before_the_setup_and_pass_after_it() {
    let mut world = table("healthy-xpander-chain");
    let ob = onboarding(&world, &[("external_id", "org-7f3a9c2e")]);
    assert!(ob.prove().holds());
    let roles = generated_roles(&ob, "xpander-read-iam");
    world.insert("role".into(), Toml::Array(roles));
    assert_all_done(&world, "xpander");
    assert_nothing_done(
        &bare(world, "xpander-base-role"),
        "xpander",
        "pod-identity",
        "Pod Identity association for xpander/xpander",
    );
}

#[test]
fn vcluster_rds_steps_fail_before_the_setup_and_pass_after_it() {
    let mut world = table("vcluster-rds-healthy");
    let ob = onboarding(
        &world,
        &[
            ("db_resource_id", "db-VCLUSTERDBEXAMPLE234567ABC"),
            ("db_host", "vcluster-db.example.us-west-1.rds.amazonaws.com"),
        ],
    );
    assert!(ob.prove().holds());
    let roles = generated_roles(&ob, "vcluster-read-iam");
    world.insert("role".into(), Toml::Array(roles));
    assert_all_done(&world, "vcluster-rds");
    assert_nothing_done(
        &bare(world, "vcluster-db"),
        "vcluster-rds",
        "pod-identity",
        "Pod Identity association for vcluster/vcluster-db",
    );
}

#[test]
fn qualytics_steps_fail_before_the_setup_and_pass_after_it() {
    let mut world = table("healthy-qualytics");
    // The same read-only IAM policy the xpander world attaches, so that the audit runs here too.
    let read_iam =
        table("healthy-xpander-chain")["policy"].as_array().unwrap()[0].as_table().unwrap().clone();
    let mut policy = read_iam.clone();
    policy.insert("name".into(), Toml::String("qualytics-read-iam".into()));
    world.insert("policy".into(), Toml::Array(vec![Toml::Table(policy)]));
    let ob = onboarding(
        &world,
        &[
            ("oidc_provider", "oidc.eks.us-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
            ("namespace", "qualytics"),
            ("service_account", "spark"),
        ],
    );
    assert!(ob.prove().holds());
    let roles = generated_roles(&ob, "qualytics-read-iam");
    world.insert("role".into(), Toml::Array(roles));
    assert_all_done(&world, "qualytics");
    // IRSA: nothing set up means the base role does not trust the service account's tokens.
    let mut bare_world = world.clone();
    let mut role = Table::new();
    role.insert("name".into(), Toml::String("qualytics-dataplane-base".into()));
    role.insert(
        "trust".into(),
        Toml::String(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#.into()),
    );
    bare_world.insert("role".into(), Toml::Array(vec![Toml::Table(role)]));
    assert_nothing_done(&bare_world, "qualytics", "base-role-irsa", "qualytics-dataplane-base");
}

#[test]
fn a_step_done_wrong_shows_its_failing_check_and_remedy_in_place() {
    let lab = super::support::lab("xpander-self-assume-missing");
    let run = doctor_in(&lab, &["onboard"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.starts_with("Onboarding xpander: 4 of 6 steps done"), "{out}");
    assert!(
        out.contains("✔ done     Step 1. Create the base role"),
        "the audit's finding is the connector role's: {out}"
    );
    let step3 = out.split("Step 3.").nth(1).unwrap().split("Step 4.").next().unwrap();
    assert!(
        step3.contains("chain.self_assume[warehouse]") && step3.contains("\"Sid\": \"SelfAssume\""),
        "{step3}"
    );
    assert!(
        step3.contains("$ aws iam update-assume-role-policy --role-name xpander-redshift-access"),
        "{step3}"
    );
}

#[test]
fn discover_learns_what_aws_and_the_pod_can_tell() {
    // No base role in the configuration: the preset's default name would be wrong here.
    let lab = Lab::start(super::support::edited_scenario(
        "vcluster-rds-healthy",
        &[("base_role_arn = \"arn:aws:iam::111122223333:role/vcluster-db\"\n", "")],
    ))
    .unwrap();
    let run = doctor_in(&lab, &["onboard", "--print"]);
    assert!(
        run.stdout
            .contains("| `base_role_name` | | `vcluster-platform-iam-database-role` | preset default |"),
        "{}",
        run.stdout
    );
    let run = doctor_in(&lab, &["onboard", "--print", "--discover"]);
    assert!(
        run.stdout.contains("| `account` | | `111122223333` | discovered (sts:GetCallerIdentity) |"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("| `base_role_name` | | `vcluster-db` | discovered (sts:GetCallerIdentity) |"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("--role-name vcluster-db --assume-role-policy-document"), "the steps use it");
    // Per connector, what the RDS description told, and the pod's token's service account.
    for row in [
        "| `db_resource_id` | vcluster-db | `db-VCLUSTERDBEXAMPLE234567ABC` | discovered (rds:DescribeDBInstances) |",
        "| `db_host` | vcluster-db | `vcluster-db.uz3vmabfmqh3.us-west-1.rds.amazonaws.com` | discovered (rds:DescribeDBInstances) |",
        "| `service_account` | | `vcluster-db` | discovered (the pod's service-account token) |",
    ] {
        assert!(run.stdout.contains(row), "{row}\n{}", run.stdout);
    }
    assert!(
        run.stdout.contains("dbuser:db-VCLUSTERDBEXAMPLE234567ABC/postgres"),
        "the rds-db:connect policy names the discovered resource id"
    );
}

#[test]
fn discover_reads_the_oidc_provider_from_an_irsa_token() {
    let lab = Lab::start(super::support::edited_scenario("healthy-qualytics", &[])).unwrap();
    let run = doctor_in(&lab, &["onboard", "--print"]);
    assert!(
        run.stdout.contains("## Missing values") && run.stdout.contains("`oidc_provider`"),
        "{}",
        run.stdout
    );
    let run = doctor_in(&lab, &["onboard", "--print", "--discover"]);
    let row = "| `oidc_provider` | | `oidc.eks.us-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE` | discovered (the pod's service-account token) |";
    assert!(run.stdout.contains(row), "{}", run.stdout);
    assert!(!run.stdout.contains("## Missing values"), "every value is known now:\n{}", run.stdout);
    assert_eq!(run.code, 0, "the plan proof holds: {}", run.stderr);
}

#[test]
fn discover_never_takes_a_caller_that_is_not_the_pods_own_for_the_base_role() {
    // The pod has no identity of its own: the node's instance role answers. Its name must not
    // become the base role the guide creates and rewrites.
    let lab = Lab::start(super::support::edited_scenario("node-role-fallback", &[])).unwrap();
    let run = super::support::run_with(
        &lab.pod_env(),
        &["onboard", "--preset", "xpander", "--print", "--discover"],
        &super::support::Options { cwd: Some(lab.temp_dir().to_owned()), ..Default::default() },
    );
    assert!(
        run.stdout.contains("| `account` | | `111122223333` | discovered (sts:GetCallerIdentity) |"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("| `base_role_name` | | `xpander-base-role` | preset default |"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("NodeInstanceRole"), "the node's role is nowhere in the guide");
}
