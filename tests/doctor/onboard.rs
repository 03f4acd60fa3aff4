//! `connector-doctor onboard`: the printed guide, the plan proof and bad values, through the
//! built binary. Nothing here reaches AWS: printing and proving read only the configuration.

use std::path::Path;

use super::support::{Options, run_with};

const XPANDER: &str = r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/xpander-base-role"
cluster_name = "xpander-prod"
preset = "xpander"

[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/xpander-redshift-access"
cluster_id = "xpander-redshift"
database = "xpander_demo"
external_id = "org-7f3a9c2e"
"#;

fn onboard(dir: &Path, config: &str, args: &[&str]) -> super::support::Run {
    let file = dir.join("connector-doctor.toml");
    std::fs::write(&file, config).unwrap();
    let mut all = vec!["--config", file.to_str().unwrap(), "onboard"];
    all.extend_from_slice(args);
    run_with(&[], &all, &Options { cwd: Some(dir.to_owned()), ..Options::default() })
}

#[test]
fn the_xpander_guide_is_complete_when_every_value_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("setup.sh");
    let run = onboard(dir.path(), XPANDER, &["--print", "--script", script.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = &run.stdout;
    for placeholder in
        ["<account>", "<region>", "<cluster_name>", "<connector_role_name>", "{account}", "<ACCOUNT_ID>"]
    {
        assert!(!md.contains(placeholder), "{placeholder} left in the guide");
    }
    assert!(!md.contains("## Missing values"), "nothing is missing");
    assert!(md.contains("## Step 3. Create the connector role xpander-redshift-access"), "{md}");
    assert!(
        md.contains("\"AWS\": \"arn:aws:iam::111122223333:role/xpander-base-role\""),
        "AllowFromBaseRole filled"
    );
    assert!(md.contains("Every one of the") && !md.contains('✖'), "the plan proves");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        !md.contains("org-7f3a9c2e") && !text.contains("org-7f3a9c2e"),
        "the ExternalId is never printed"
    );
    assert!(text.contains("${EXTERNAL_ID_WAREHOUSE:?"), "the script demands the variable");
    let syntax = std::process::Command::new("sh").arg("-n").arg(&script).output().unwrap();
    assert!(syntax.status.success(), "sh -n: {}", String::from_utf8_lossy(&syntax.stderr));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn the_platform_account_of_the_cross_account_statement_is_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let run = onboard(dir.path(), XPANDER, &["--print"]);
    assert!(run.stdout.contains("| `platform_account` | | `111122223333` | derived |"), "{}", run.stdout);
    assert!(
        run.stdout.contains("\"AWS\": \"arn:aws:iam::111122223333:root\""),
        "the default is the guide's own account"
    );
    let run = onboard(dir.path(), XPANDER, &["--print", "--value", "platform_account=999988887777"]);
    assert_eq!(run.code, 0, "the plan still proves: {}", run.stderr);
    assert!(run.stdout.contains("\"AWS\": \"arn:aws:iam::999988887777:root\""), "{}", run.stdout);
    assert!(!run.stdout.contains("iam::111122223333:root"), "{}", run.stdout);
    let run = onboard(dir.path(), XPANDER, &["--print", "--value", "platform_account=xpander"]);
    assert_eq!(run.code, 2, "not an account id: {}", run.stdout);
}

#[test]
fn a_guide_without_values_names_each_missing_one_and_where_to_give_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = onboard(dir.path(), "", &["--preset", "xpander", "--print"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let missing =
        run.stdout.split("## Missing values").nth(1).unwrap().split("## Plan proof").next().unwrap();
    for key in
        ["`account`", "`region`", "`cluster_name`", "`connector_role_name`", "`external_id`", "`cluster_id`"]
    {
        assert!(missing.contains(key), "{key} not named in {missing}");
    }
    assert!(missing.contains("--value NAME=VALUE"), "{missing}");
    assert!(
        run.stdout.contains("<connector_role_name>") && run.stdout.contains("<region>"),
        "placeholders show where values belong"
    );
    assert!(run.stderr.contains("still misses") && run.stderr.contains("account"), "{}", run.stderr);
}

#[test]
fn an_external_id_with_a_trailing_space_is_refused_before_anything_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let config = XPANDER.replace("external_id = \"org-7f3a9c2e\"", "external_id = \"org-7f3a9c2e \"");
    for args in [&["--print"][..], &["--check-plan"][..]] {
        let run = onboard(dir.path(), &config, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.contains("external_id (connector warehouse)")
                && run.stderr.contains("whitespace at position 13"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("org-7f3a9c2e"), "the value is never echoed: {}", run.stderr);
    }
}

#[test]
fn a_connector_left_out_of_the_base_roles_list_fails_the_plan_proof() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{XPANDER}\n[[connector]]\nname = \"lake\"\nkind = \"redshift\"\nrole_arn = \"arn:aws:iam::111122223333:role/xpander-lake-access\"\ncluster_id = \"lake\"\ndatabase = \"lake\"\nexternal_id = \"org-7f3a9c2e\"\n"
    );
    let list = "assume_list=arn:aws:iam::111122223333:role/xpander-redshift-access";
    let run = onboard(dir.path(), &config, &["--check-plan", "--value", list]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let failing: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("✖ fail")).collect();
    assert_eq!(failing.len(), 2, "{}", run.stdout);
    assert!(
        failing[0].contains("[lake] permissions of xpander-base-role")
            && failing[0].contains("sts:AssumeRole on arn:aws:iam::111122223333:role/xpander-lake-access"),
        "{}",
        failing[0]
    );
    let run = onboard(dir.path(), &config, &["--print", "--value", list]);
    assert_eq!(run.code, 1, "the printed guide shows the failing proof too");
    assert!(
        run.stdout.contains("2 of ") && run.stdout.contains("✖ permissions of xpander-base-role"),
        "{}",
        run.stdout
    );
    // Without the list of one's own (forgotten with an empty value), the guide lists every
    // connector and the proof holds.
    let run = onboard(dir.path(), &config, &["--check-plan", "--value", "assume_list="]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--preset", "nope", "--print"], "nope"),
        (&["--print"], "name a preset"),
        (&["--preset", "xpander", "--print", "--value", "account"], "expected KEY=VALUE"),
        (&["--preset", "xpander", "--print", "--value", "acount=1"], "no such value"),
        (&["--preset", "xpander", "--print", "--value", "account=12"], "12-digit"),
        (
            &[
                "--preset",
                "qualytics",
                "--print",
                "--value",
                "oidc_provider=https://oidc.eks.us-west-1.amazonaws.com/id/X",
            ],
            "give \"oidc.eks.us-west-1.amazonaws.com/id/X\"",
        ),
        (&["--preset", "vcluster-rds", "--print", "--value", "db_resource_id=vcluster-db"], "DbiResourceId"),
        (&["--preset", "vcluster-rds", "--print", "--value", "db_port=5432x"], "1 to 65535"),
    ];
    for (args, says) in cases {
        let run = onboard(dir.path(), "", args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("internal error"), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn values_are_remembered_so_that_a_later_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let first = onboard(
        dir.path(),
        "",
        &[
            "--preset",
            "xpander",
            "--check-plan",
            "--value",
            "account=111122223333",
            "--value",
            "region=eu-west-2",
            "--value",
            "external_id=org-7f3a9c2e",
        ],
    );
    assert_eq!(first.code, 1, "values are still missing: {}", first.stdout);
    let file = std::fs::read_to_string(dir.path().join(".connector-doctor-onboard.toml")).unwrap();
    assert!(file.contains("preset = \"xpander\"") && file.contains("account = \"111122223333\""), "{file}");
    assert!(!file.contains("org-7f3a9c2e"), "an ExternalId is never written: {file}");
    // No preset and no values on the command line: both come back from the file.
    let second = onboard(dir.path(), "", &["--print", "--value", "cluster_name=xpander-prod"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains("| `region` | | `eu-west-2` | progress file |"), "{}", second.stdout);
    assert!(second.stdout.contains("--cluster-name xpander-prod"), "the new value is used");
    let missing =
        second.stdout.split("## Missing values").nth(1).unwrap().split("## Plan proof").next().unwrap();
    assert!(!missing.contains("`account`") && missing.contains("`external_id`"), "{missing}");
    let file = std::fs::read_to_string(dir.path().join(".connector-doctor-onboard.toml")).unwrap();
    assert!(file.contains("cluster_name = \"xpander-prod\""), "{file}");
    // A damaged file is a clear usage error.
    std::fs::write(dir.path().join(".connector-doctor-onboard.toml"), "preset = [").unwrap();
    let broken = onboard(dir.path(), "", &["--print"]);
    assert_eq!(broken.code, 2);
    assert!(broken.stderr.contains("cannot read the progress file"), "{}", broken.stderr);
}

#[test]
fn a_malformed_value_flag_names_only_its_key() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["external_id:org-SECRET-9f", "external_id org-SECRET-9f", "external_id:a=org-SECRET-9f"] {
        let run = onboard(dir.path(), XPANDER, &["--print", "--value", flag]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("expected KEY=VALUE"), "{}", run.stderr);
        assert!(
            !run.stderr.contains("SECRET") && !run.stderr.contains("9f"),
            "the rest is never shown: {}",
            run.stderr
        );
    }
    let run = onboard(dir.path(), XPANDER, &["--print", "--value", "external_id:org-SECRET-9f"]);
    assert!(run.stderr.contains("--value \"external_id\""), "{}", run.stderr);
}

#[test]
fn hostile_values_are_refused_before_anything_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let m = marker.display();
    let values = [
        format!("cluster_name=c;touch${{IFS}}{m};"),
        format!("cluster_name=$(touch {m})"),
        format!("namespace=`touch {m}`"),
        format!("database=a'b;touch {m}"),
        format!("connector_role_name=a\"b$(touch {m})"),
        "service_account=a\nb".to_owned(),
        format!("assume_list=arn:aws:iam::111122223333:role/$(touch {m})"),
    ];
    for value in &values {
        let key = value.split('=').next().unwrap();
        let script = dir.path().join("setup.sh");
        let run = onboard(
            dir.path(),
            XPANDER,
            &["--print", "--script", script.to_str().unwrap(), "--value", value],
        );
        assert_eq!(run.code, 2, "{value:?}: {}", run.stderr);
        assert!(run.stdout.is_empty() && !script.exists(), "{value:?}: {}", run.stdout);
        assert!(run.stderr.contains(key), "{value:?}: {}", run.stderr);
        assert!(!marker.exists());
    }
    // The connector's name, a default-only key and a derived one are checked too.
    let config = XPANDER.replace("name = \"warehouse\"", "name = \"ware\\nhouse\"");
    let run = onboard(dir.path(), &config, &["--print"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for (preset, value, says) in [
        ("vcluster-rds", "db_port=5432;id", "db_port"),
        ("vcluster-rds", "kind=rds;id", "kind"),
        ("xpander", "connector=a;b", "connector"),
        (
            "qualytics",
            "base_principal_arn=arn:aws:iam::315179787488:role/$(touch${IFS}/tmp/x)",
            "base_principal_arn",
        ),
    ] {
        let run = onboard(dir.path(), "", &["--preset", preset, "--print", "--value", value]);
        assert_eq!(run.code, 2, "{value}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{value}: {}", run.stderr);
    }
}

#[test]
fn connectors_reading_one_external_id_variable_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}\n[[connector]]\nname = \"a_b\"\nkind = \"redshift\"\nrole_arn = \"arn:aws:iam::111122223333:role/r2\"\ncluster_id = \"c2\"\ndatabase = \"d2\"\n",
        XPANDER.replace("name = \"warehouse\"", "name = \"a-b\"")
    );
    let run = onboard(dir.path(), &config, &["--print"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("\"a-b\"") && run.stderr.contains("\"a_b\""), "{}", run.stderr);
}

#[test]
fn a_saved_value_does_not_override_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let first =
        onboard(dir.path(), "", &["--preset", "xpander", "--check-plan", "--value", "region=eu-west-2"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let second = onboard(dir.path(), XPANDER, &["--print"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains("| `region` | | `us-west-1` | configuration (region) |"),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("eu-west-2"), "{}", second.stdout);
}

#[test]
fn a_role_name_flag_renames_the_role_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let run = onboard(dir.path(), XPANDER, &["--print", "--value", "connector_role_name=xpander-new-access"]);
    assert_eq!(run.code, 0, "the plan still proves: {}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("xpander-redshift-access"), "the old role is named: {}", run.stdout);
    assert!(run.stdout.contains("arn:aws:iam::111122223333:role/xpander-new-access"), "{}", run.stdout);
    assert!(run.stdout.contains("--role-name xpander-new-access"), "{}", run.stdout);
}

#[test]
fn the_generated_script_runs_against_stub_commands() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("setup.sh");
    let run = onboard(dir.path(), XPANDER, &["--print", "--script", script.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for stub in ["aws", "kubectl", "psql", "helm", "sleep", "connector-doctor"] {
        let path = bin.join(stub);
        std::fs::write(&path, "#!/bin/sh\n{ printf '%s' \"${0##*/}\"; for a in \"$@\"; do printf '|%s' \"$a\"; done; echo; } >> \"$STUB_LOG\"\n")
            .unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).unwrap();
    }
    let log = dir.path().join("calls.log");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("sh")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("STUB_LOG", &log)
        .env("EXTERNAL_ID_WAREHOUSE", "org-7f3a9c2e")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("aws|eks|create-pod-identity-association|--cluster-name|xpander-prod|"),
        "{calls}"
    );
    let trust = std::fs::read_to_string(dir.path().join("xpander-redshift-access.trust.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&trust).unwrap();
    assert!(json.to_string().contains("\"org-7f3a9c2e\""), "{trust}");
}
