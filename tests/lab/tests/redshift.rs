//! The real AWS SDKs for Redshift against the lab: provisioned clusters, Serverless workgroups
//! and the Data API, with statements run on the lab's real PostgreSQL server. Every reply must
//! parse, and every error must surface with AWS's code and message.
//!
//! The caller is the connector role of `redshift-lab-smoke.toml`, reached the way the pod
//! reaches it: Pod Identity for the base role, then `AssumeRole` (whose session name is what
//! the statement-owner condition compares).

use std::path::Path;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_redshiftdata::error::ProvideErrorMetadata;
use aws_sdk_redshiftdata::operation::describe_statement::DescribeStatementOutput;
use aws_sdk_redshiftdata::types::{Field, SqlParameter, StatusString};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use connector_lab::{Lab, Scenario, StatementStatus};

#[path = "common/http.rs"]
mod raw_http;

const CONNECTOR: &str = "arn:aws:iam::111122223333:role/xpander-redshift-access";
const CLUSTER: &str = "xpander-redshift";
const DATABASE: &str = "xpander_demo";
const TABLES: &str = "tables = [\"public.orders\"]";
const ORDERS: &str = "select id, name, amount, ratio, active, created_at from public.orders order by id";

/// The smoke scenario with each `(from, to)` replaced (each must be there) and `extra` added.
fn start(edits: &[(&str, &str)], extra: &str) -> Lab {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/redshift-lab-smoke.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "the smoke scenario has no {from:?}");
        text = text.replace(from, to);
    }
    Lab::start(Scenario::from_toml_str(&(text + extra)).unwrap()).unwrap()
}

/// The resource of a statement of the connector's policy, by the `Sid` that follows it.
fn widen(before_sid: &str, to: &str) -> (String, String) {
    let from = format!("cluster:xpander-redshift\"\n    }},\n    {{\n      \"Sid\": \"{before_sid}\"");
    let to = format!("{to}\"\n    }},\n    {{\n      \"Sid\": \"{before_sid}\"");
    (from, to)
}

fn env(lab: &Lab, name: &str) -> String {
    lab.pod_env().into_iter().find(|(k, _)| k == name).unwrap().1
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder().operation_timeout(Duration::from_secs(5)).build()
}

fn sts(lab: &Lab, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-1"))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts())
        .credentials_provider(credentials);
    aws_sdk_sts::Client::from_conf(config.build())
}

fn data(lab: &Lab, credentials: &Credentials) -> aws_sdk_redshiftdata::Client {
    let config = aws_sdk_redshiftdata::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-1"))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts())
        .credentials_provider(credentials.clone());
    aws_sdk_redshiftdata::Client::from_conf(config.build())
}

fn redshift(lab: &Lab, credentials: &Credentials) -> aws_sdk_redshift::Client {
    let config = aws_sdk_redshift::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-1"))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts())
        .credentials_provider(credentials.clone());
    aws_sdk_redshift::Client::from_conf(config.build())
}

fn serverless(lab: &Lab, credentials: &Credentials) -> aws_sdk_redshiftserverless::Client {
    let config = aws_sdk_redshiftserverless::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-1"))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts())
        .credentials_provider(credentials.clone());
    aws_sdk_redshiftserverless::Client::from_conf(config.build())
}

/// The connector role's credentials for a session name, through the pod's base role.
async fn connector(lab: &Lab, session: &str) -> Credentials {
    let token = std::fs::read_to_string(env(lab, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")).unwrap();
    let (status, body) = raw_http::http(&lab.agent_url(), "GET", &[("Authorization", token.trim())]).unwrap();
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let field = |k: &str| doc[k].as_str().unwrap().to_owned();
    let base =
        Credentials::new(field("AccessKeyId"), field("SecretAccessKey"), Some(field("Token")), None, "agent");
    let out =
        sts(lab, base).assume_role().role_arn(CONNECTOR).role_session_name(session).send().await.unwrap();
    let c = out.credentials.unwrap();
    Credentials::new(c.access_key_id, c.secret_access_key, Some(c.session_token), None, "sts")
}

/// An SDK error's code and message.
fn error<E: ProvideErrorMetadata>(e: &E) -> (String, String) {
    (e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned())
}

/// Submits `sql` on the cluster; returns the statement ID.
async fn execute(client: &aws_sdk_redshiftdata::Client, sql: &str) -> String {
    let out = client.execute_statement().cluster_identifier(CLUSTER).database(DATABASE).sql(sql).send().await;
    out.unwrap().id.unwrap()
}

/// Describes a statement until it has ended.
async fn settle(client: &aws_sdk_redshiftdata::Client, id: &str) -> DescribeStatementOutput {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = client.describe_statement().id(id).send().await.unwrap();
        if matches!(out.status(), Some(StatusString::Finished | StatusString::Failed | StatusString::Aborted))
        {
            return out;
        }
        assert!(Instant::now() < deadline, "statement {id} still {:?}", out.status());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn clusters_and_iam_credentials() {
    let (from, to) = widen("IamCredentials", "cluster:*");
    let lab = start(&[(&from, &to)], "");
    let creds = connector(&lab, "connector-doctor").await;
    let client = redshift(&lab, &creds);
    let out = client.describe_clusters().cluster_identifier(CLUSTER).send().await.unwrap();
    let cluster = &out.clusters()[0];
    assert_eq!(cluster.cluster_identifier(), Some(CLUSTER));
    assert_eq!(cluster.cluster_status(), Some("available"));
    assert_eq!(cluster.cluster_availability_status(), Some("Available"));
    assert_eq!(cluster.node_type(), Some("ra3.xlplus"));
    assert_eq!(cluster.db_name(), Some(DATABASE));
    assert_eq!(cluster.encrypted(), Some(true));
    assert_eq!(cluster.publicly_accessible(), Some(false));
    assert_eq!(cluster.vpc_id(), Some("vpc-0a1b2c3d4e5f60718"));
    assert_eq!(cluster.vpc_security_groups()[0].vpc_security_group_id(), Some("sg-0123456789abcdef0"));
    let endpoint = cluster.endpoint().unwrap();
    assert_eq!(endpoint.port(), Some(5439));
    let address = endpoint.address().unwrap();
    assert!(
        address.starts_with("xpander-redshift.") && address.ends_with(".us-west-1.redshift.amazonaws.com")
    );
    assert!(
        cluster
            .cluster_namespace_arn()
            .unwrap()
            .starts_with("arn:aws:redshift:us-west-1:111122223333:namespace:")
    );

    let err = client.describe_clusters().cluster_identifier("analytics").send().await.unwrap_err();
    assert_eq!(error(&err), ("ClusterNotFound".to_owned(), "Cluster analytics not found.".to_owned()));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));

    let out = client
        .get_cluster_credentials_with_iam()
        .cluster_identifier(CLUSTER)
        .db_name(DATABASE)
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    assert_eq!(out.db_user(), Some("IAMR:xpander-redshift-access"));
    assert!(out.db_password().is_some_and(|p| p.len() > 20));
    assert!(out.expiration().is_some() && out.next_refresh_time().is_some());

    let err =
        client.get_cluster_credentials_with_iam().cluster_identifier(CLUSTER).db_name("dev").send().await;
    assert_eq!(
        error(&err.unwrap_err()),
        (
            "AccessDenied".to_owned(),
            "User: arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor is not authorized to perform: redshift:GetClusterCredentialsWithIAM on resource: arn:aws:redshift:us-west-1:111122223333:dbname:xpander-redshift/dev because no identity-based policy allows the redshift:GetClusterCredentialsWithIAM action".to_owned()
        )
    );
    let calls: Vec<(String, String)> = lab.calls().into_iter().map(|c| (c.service, c.action)).collect();
    assert!(calls.contains(&("redshift".to_owned(), "GetClusterCredentialsWithIAM".to_owned())), "{calls:?}");
}

#[tokio::test]
async fn a_healthy_round_trip_returns_rows() {
    let lab = start(&[], "");
    let creds = connector(&lab, "connector-doctor").await;
    let client = data(&lab, &creds);
    let out = client
        .execute_statement()
        .cluster_identifier(CLUSTER)
        .database(DATABASE)
        .sql(ORDERS)
        .send()
        .await
        .unwrap();
    assert_eq!(out.cluster_identifier(), Some(CLUSTER));
    assert_eq!(out.database(), Some(DATABASE));
    assert_eq!(out.db_user(), Some("IAMR:xpander-redshift-access"));
    assert!(out.created_at().is_some());
    let done = settle(&client, out.id().unwrap()).await;
    assert_eq!(done.status(), Some(&StatusString::Finished), "{:?}", done.error());
    assert_eq!(done.has_result_set(), Some(true));
    assert_eq!(done.result_rows(), 2);
    assert!(done.duration() >= 0 && done.redshift_pid() > 0 && done.redshift_query_id() > 0);
    assert_eq!(done.query_string(), Some(ORDERS));

    let result = client.get_statement_result().id(out.id().unwrap()).send().await.unwrap();
    assert_eq!(result.total_num_rows(), 2);
    assert_eq!(
        result.records()[0],
        [
            Field::LongValue(1),
            Field::StringValue("first".into()),
            Field::StringValue("19.99".into()),
            Field::DoubleValue(0.25),
            Field::BooleanValue(true),
            Field::StringValue("2026-01-15 09:30:00".into()),
        ]
    );
    assert_eq!(result.records()[1][2], Field::IsNull(true));
    let columns = result.column_metadata();
    let types: Vec<&str> = columns.iter().map(|c| c.type_name().unwrap()).collect();
    assert_eq!(types, ["int8", "varchar", "numeric", "float8", "bool", "timestamp"]);
    assert_eq!((columns[2].precision(), columns[2].scale()), (12, 2));
    assert_eq!((columns[0].nullable(), columns[2].nullable()), (0, 1));
    assert_eq!((columns[1].schema_name(), columns[1].table_name()), (Some("public"), Some("orders")));

    // The catalog view the connectors read, and parameters bound into the SQL.
    let id = client
        .execute_statement()
        .cluster_identifier(CLUSTER)
        .database(DATABASE)
        .sql("select column_name, data_type from pg_catalog.svv_all_columns where table_name = :t order by ordinal_position")
        .parameters(SqlParameter::builder().name("t").value("orders").build().unwrap())
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    let done = settle(&client, &id).await;
    assert_eq!(done.status(), Some(&StatusString::Finished), "{:?}", done.error());
    assert_eq!(done.query_parameters().len(), 1);
    let result = client.get_statement_result().id(&id).send().await.unwrap();
    let names: Vec<&Field> = result.records().iter().map(|r| &r[0]).collect();
    assert_eq!(names.len(), 6);
    assert_eq!(result.records()[0], [Field::StringValue("id".into()), Field::StringValue("bigint".into())]);

    // Rows from SQL that cannot be a cursor's query, and a statement without rows.
    let id = execute(&client, "show search_path").await;
    assert_eq!(settle(&client, &id).await.has_result_set(), Some(true));
    let result = client.get_statement_result().id(&id).send().await.unwrap();
    assert_eq!(result.records()[0], [Field::StringValue("\"$user\", public".into())]);
    let id = execute(&client, "set search_path to public").await;
    let done = settle(&client, &id).await;
    assert_eq!((done.status(), done.has_result_set()), (Some(&StatusString::Finished), Some(false)));

    let statements = lab.statements();
    assert_eq!(statements.len(), 4);
    assert_eq!(statements[0].sql, ORDERS);
    assert_eq!(
        (statements[0].database.as_str(), statements[0].db_user.as_str()),
        (DATABASE, "IAMR:xpander-redshift-access")
    );
    assert_eq!(statements[0].status, StatementStatus::Finished);
    assert!(!statements[0].cancelled);
    let calls: Vec<(String, String)> = lab.calls().into_iter().map(|c| (c.service, c.action)).collect();
    for action in ["ExecuteStatement", "DescribeStatement", "GetStatementResult"] {
        assert!(calls.contains(&("redshift-data".to_owned(), action.to_owned())), "{calls:?}");
    }
}

#[tokio::test]
async fn denied_executes_name_the_missing_permission() {
    let lab = start(&[("databases = [\"xpander_demo\"]", "databases = [\"xpander_demo\", \"dev\"]")], "");
    let creds = connector(&lab, "connector-doctor").await;
    let client = data(&lab, &creds);
    let who = "User: arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor";
    let err =
        client.execute_statement().cluster_identifier(CLUSTER).database("dev").sql("select 1").send().await;
    assert_eq!(
        error(&err.unwrap_err()),
        (
            "AccessDeniedException".to_owned(),
            format!(
                "{who} is not authorized to perform: redshift:GetClusterCredentialsWithIAM on resource: arn:aws:redshift:us-west-1:111122223333:dbname:xpander-redshift/dev because no identity-based policy allows the redshift:GetClusterCredentialsWithIAM action"
            )
        )
    );
    let err = client
        .execute_statement()
        .cluster_identifier("other")
        .database(DATABASE)
        .sql("select 1")
        .send()
        .await;
    assert_eq!(
        error(&err.unwrap_err()),
        (
            "AccessDeniedException".to_owned(),
            format!(
                "{who} is not authorized to perform: redshift-data:ExecuteStatement on resource: arn:aws:redshift:us-west-1:111122223333:cluster:other because no identity-based policy allows the redshift-data:ExecuteStatement action"
            )
        )
    );
    assert!(lab.statements().is_empty());
}

#[tokio::test]
async fn unknown_and_unavailable_clusters_and_statements() {
    let (from, to) = widen("DataApiOwnStatements", "cluster:*");
    let lab = start(&[(&from, &to)], "\n[[redshift]]\nid = \"paused-one\"\nstatus = \"paused\"\n");
    let creds = connector(&lab, "connector-doctor").await;
    let client = data(&lab, &creds);
    let err =
        client.execute_statement().cluster_identifier("nope").database(DATABASE).sql("select 1").send().await;
    let err = err.unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_validation_exception()), "{err:?}");
    assert_eq!(error(&err).1, "Redshift endpoint doesn't exist in this region.");
    let err = client
        .execute_statement()
        .cluster_identifier("paused-one")
        .database("dev")
        .sql("select 1")
        .send()
        .await;
    assert_eq!(
        error(&err.unwrap_err()),
        (
            "ValidationException".to_owned(),
            "Cluster paused-one is not available for queries: its status is paused.".to_owned()
        )
    );
    let missing = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    let err = client.describe_statement().id(missing).send().await.unwrap_err();
    let service = err.as_service_error().unwrap();
    assert!(service.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(error(&err), ("ResourceNotFoundException".to_owned(), "Query does not exist.".to_owned()));
    let err = client.get_statement_result().id("NOT-AN-ID").send().await.unwrap_err();
    assert!(
        error(&err)
            .1
            .contains("failed to satisfy constraint: Member must satisfy regular expression pattern")
    );
}

#[tokio::test]
async fn the_owner_condition_denies_another_session() {
    let lab = start(&[], "");
    let mine = data(&lab, &connector(&lab, "connector-doctor").await);
    let id = execute(&mine, "select 1").await;
    assert_eq!(settle(&mine, &id).await.status(), Some(&StatusString::Finished));
    let theirs = data(&lab, &connector(&lab, "connector-doctor-1732190000").await);
    let err = theirs.describe_statement().id(&id).send().await.unwrap_err();
    assert_eq!(
        error(&err),
        (
            "AccessDeniedException".to_owned(),
            "User: arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor-1732190000 is not authorized to perform: redshift-data:DescribeStatement on resource: * because no identity-based policy allows the redshift-data:DescribeStatement action".to_owned()
        )
    );
    let err = theirs.get_statement_result().id(&id).send().await.unwrap_err();
    assert_eq!(error(&err).0, "AccessDeniedException");
    assert!(mine.get_statement_result().id(&id).send().await.is_ok());
    assert!(lab.statements()[0].owner.ends_with(":connector-doctor"));
}

#[tokio::test]
async fn failing_statements_say_why_in_redshift_words() {
    let cases = [
        ("select = [\"public\"]", "select = []", ORDERS, "ERROR: permission denied for relation orders"),
        ("usage = [\"public\"]", "usage = []", ORDERS, "ERROR: permission denied for schema public"),
        (
            "[[redshift.user]]\nname = \"IAMR:xpander-redshift-access\"",
            "[[redshift.user]]\nname = \"IAMR:someone-else\"",
            "select 1",
            "FATAL: user \"IAMR:xpander-redshift-access\" does not exist",
        ),
        (TABLES, TABLES, "select * from public.missing", "ERROR: relation \"public.missing\" does not exist"),
        (TABLES, TABLES, "select 1/0", "ERROR: division by zero"),
        (
            TABLES,
            TABLES,
            "select repeat('x', 1048576) from generate_series(1, 70)",
            "ERROR: Database response exceeded size limit",
        ),
    ];
    // The one server holds every cluster's databases and users; each cluster sees its own.
    let other = "\n[[workgroup]]\nname = \"other\"\ndatabases = [\"dev\"]\n[[workgroup.user]]\nname = \"IAMR:xpander-redshift-access\"\n";
    let edits = [
        (
            "[[redshift.user]]\nname = \"IAMR:xpander-redshift-access\"",
            "[[redshift.user]]\nname = \"IAMR:x\"",
        ),
        ("dbname:xpander-redshift/xpander_demo", "dbname:xpander-redshift/*"),
    ];
    let lab = start(&edits, other);
    let client = data(&lab, &connector(&lab, "connector-doctor").await);
    let done = settle(&client, &execute(&client, "select 1").await).await;
    assert_eq!(done.error(), Some("FATAL: user \"IAMR:xpander-redshift-access\" does not exist"));
    for (database, expected) in [
        ("dev", "FATAL: database \"dev\" does not exist"),
        ("postgres", "FATAL: database \"postgres\" does not exist"),
    ] {
        let out = client
            .execute_statement()
            .cluster_identifier(CLUSTER)
            .database(database)
            .sql("select 1")
            .send()
            .await;
        let done = settle(&client, out.unwrap().id().unwrap()).await;
        assert_eq!(done.error(), Some(expected));
    }

    for (from, to, sql, expected) in cases {
        let lab = start(&[(from, to)], "");
        let client = data(&lab, &connector(&lab, "connector-doctor").await);
        let id = execute(&client, sql).await;
        let done = settle(&client, &id).await;
        assert_eq!(done.status(), Some(&StatusString::Failed), "{sql}");
        assert_eq!(done.error(), Some(expected));
        assert_eq!(done.has_result_set(), Some(false));
        let err = client.get_statement_result().id(&id).send().await.unwrap_err();
        assert_eq!(
            error(&err),
            (
                "ValidationException".to_owned(),
                "Query does not have result. Please check query status with DescribeStatement.".to_owned()
            )
        );
        let statement = &lab.statements()[0];
        assert_eq!((statement.status, statement.error.as_deref()), (StatementStatus::Failed, Some(expected)));
    }
}

#[tokio::test]
async fn hanging_and_slow_statements_are_cancelled() {
    let lab = start(&[(TABLES, &format!("{TABLES}\nstatement_hang = true"))], "");
    let client = data(&lab, &connector(&lab, "connector-doctor").await);
    let id = execute(&client, "select 1").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let out = client.describe_statement().id(&id).send().await.unwrap();
    assert_eq!((out.status(), out.duration(), out.result_rows()), (Some(&StatusString::Started), -1, -1));
    assert_eq!(client.cancel_statement().id(&id).send().await.unwrap().status(), Some(true));
    assert_eq!(settle(&client, &id).await.status(), Some(&StatusString::Aborted));
    let err = client.cancel_statement().id(&id).send().await.unwrap_err();
    assert_eq!(
        error(&err),
        (
            "ValidationException".to_owned(),
            "Could not cancel a query that is already in ABORTED state.".to_owned()
        )
    );
    let statement = &lab.statements()[0];
    assert_eq!((statement.status, statement.cancelled), (StatementStatus::Aborted, true));

    // A real query on the server is cancelled there too, promptly.
    let lab = start(&[], "");
    let client = data(&lab, &connector(&lab, "connector-doctor").await);
    let id = execute(&client, "select pg_sleep(30)").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.describe_statement().id(&id).send().await.unwrap().redshift_pid() == 0 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    assert_eq!(client.cancel_statement().id(&id).send().await.unwrap().status(), Some(true));
    assert_eq!(settle(&client, &id).await.status(), Some(&StatusString::Aborted));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn statements_wait_their_delay() {
    let lab = start(&[(TABLES, &format!("{TABLES}\nstatement_delay_ms = 300"))], "");
    let client = data(&lab, &connector(&lab, "connector-doctor").await);
    let id = execute(&client, "select 1").await;
    let first = client.describe_statement().id(&id).send().await.unwrap();
    assert_eq!(first.status(), Some(&StatusString::Submitted));
    let done = settle(&client, &id).await;
    assert_eq!(done.status(), Some(&StatusString::Finished));
}

const SERVERLESS_POLICY: &str = r#"ServerlessAccess = '''
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["redshift-serverless:GetWorkgroup", "redshift-serverless:GetCredentials", "redshift-data:ExecuteStatement"],
      "Resource": "arn:aws:redshift-serverless:us-west-1:111122223333:workgroup/*"
    }
  ]
}
'''
RedshiftAccess = '''"#;

const WORKGROUP: &str = r#"
[[workgroup]]
name = "analytics"
namespace = "analytics-ns"
databases = ["xpander_demo"]
tables = ["sales.deals"]
[[workgroup.user]]
name = "IAMR:xpander-redshift-access"
usage = ["sales"]
select = ["sales"]
"#;

#[tokio::test]
async fn serverless_workgroups_and_their_data_api() {
    let lab = start(&[("RedshiftAccess = '''", SERVERLESS_POLICY)], WORKGROUP);
    let creds = connector(&lab, "connector-doctor").await;
    let client = serverless(&lab, &creds);
    let out = client.get_workgroup().workgroup_name("analytics").send().await.unwrap();
    let workgroup = out.workgroup().unwrap();
    assert_eq!(workgroup.workgroup_name(), Some("analytics"));
    assert_eq!(workgroup.namespace_name(), Some("analytics-ns"));
    assert_eq!(workgroup.status().map(|s| s.as_str()), Some("AVAILABLE"));
    let arn = workgroup.workgroup_arn().unwrap();
    assert_eq!(
        arn,
        format!(
            "arn:aws:redshift-serverless:us-west-1:111122223333:workgroup/{}",
            workgroup.workgroup_id().unwrap()
        )
    );
    let endpoint = workgroup.endpoint().unwrap();
    assert_eq!(
        endpoint.address(),
        Some("analytics.111122223333.us-west-1.redshift-serverless.amazonaws.com")
    );
    assert_eq!(endpoint.port(), Some(5439));
    assert_eq!(workgroup.security_group_ids(), ["sg-0123456789abcdef0"]);
    assert!(workgroup.creation_date().is_some());

    let out = client.get_credentials().workgroup_name("analytics").db_name(DATABASE).send().await.unwrap();
    assert_eq!(out.db_user(), Some("IAMR:xpander-redshift-access"));
    assert!(out.db_password().is_some() && out.expiration().is_some());

    let err = client.get_workgroup().workgroup_name("missing").send().await.unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{err:?}");
    assert_eq!(error(&err).1, "Workgroup missing not found.");

    let data = data(&lab, &creds);
    let sql = "select id, active from sales.deals order by id";
    let out = data
        .execute_statement()
        .workgroup_name("analytics")
        .database(DATABASE)
        .sql(sql)
        .send()
        .await
        .unwrap();
    assert_eq!(out.workgroup_name(), Some("analytics"));
    assert_eq!(out.db_user(), Some("IAMR:xpander-redshift-access"));
    // The statement-owner policy of the smoke scenario covers Serverless statements too.
    let done = settle(&data, out.id().unwrap()).await;
    assert_eq!(done.status(), Some(&StatusString::Finished), "{:?}", done.error());
    assert_eq!(done.workgroup_name(), Some("analytics"));
    let result = data.get_statement_result().id(out.id().unwrap()).send().await.unwrap();
    assert_eq!(result.records()[1], [Field::LongValue(2), Field::BooleanValue(false)]);
    assert_eq!(lab.statements()[0].workgroup.as_deref(), Some("analytics"));
}

#[tokio::test]
async fn serverless_denials_use_aws_words() {
    let lab = start(&[], WORKGROUP);
    let creds = connector(&lab, "connector-doctor").await;
    let err =
        serverless(&lab, &creds).get_credentials().workgroup_name("analytics").send().await.unwrap_err();
    let (code, message) = error(&err);
    assert_eq!(code, "AccessDeniedException");
    assert!(
        message.starts_with("User: arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor is not authorized to perform: redshift-serverless:GetCredentials on resource: arn:aws:redshift-serverless:us-west-1:111122223333:workgroup/"),
        "{message}"
    );
    let err = data(&lab, &creds)
        .execute_statement()
        .workgroup_name("analytics")
        .database(DATABASE)
        .sql("select 1")
        .send()
        .await
        .unwrap_err();
    assert!(
        error(&err).1.contains("redshift-data:ExecuteStatement on resource: arn:aws:redshift-serverless:"),
        "{err:?}"
    );
}
